"""The registry of daily jobs: each product adds its own from its AppConfig.ready.

    jobs.register_daily("factoring.overdue", mark_overdue, order=120)

A job takes the day it runs for and returns how many objects it changed. It must be
idempotent: run twice for the same day, the second run changes nothing, because beat may fire
again after a restart and operations may re-run a day by hand (`manage.py run_daily --date`).
`run_daily` runs every job once a day (Celery beat, `scf.core.tasks.run_daily`), in order.
"""

from __future__ import annotations

import contextvars
import datetime
import logging
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DailyJob:
    name: str
    run: Callable[[datetime.date], int]
    order: int


_daily: dict[str, DailyJob] = {}


def register_daily(name: str, run: Callable[[datetime.date], int], *, order: int) -> DailyJob:
    """Add a daily job; jobs run by ascending `order`, then name. Registering it again changes nothing."""
    existing = _daily.get(name)
    if existing is not None and (existing.run, existing.order) != (run, order):
        raise RuntimeError(f"Another daily job is already registered as {name}.")
    _daily[name] = DailyJob(name=name, run=run, order=order)
    return _daily[name]


def daily_jobs() -> list[DailyJob]:
    """Return the registered jobs in the order they run."""
    return sorted(_daily.values(), key=lambda job: (job.order, job.name))


def run_daily(on: datetime.date) -> dict[str, int]:
    """Run every daily job for the day, in order; return each job's count by its name.

    One job raising does not stop the others: its error is logged with the traceback and the
    job is left out of the counts, so a caller sees which jobs did not complete.
    """
    counts: dict[str, int] = {}
    for job in daily_jobs():
        try:
            with _isolated():
                counts[job.name] = job.run(on)
        except Exception:
            logger.exception("Daily job %s failed for %s.", job.name, on)
    logger.info("Daily jobs for %s: %s", on, counts)
    return counts


def _isolated():
    # Jobs commit their work in small transactions of their own. Inside a caller's transaction
    # (a test, a shell) a savepoint keeps one job's database error from breaking it for the next.
    return transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext()


# --- chunked jobs ----------------------------------------------------------------------------

CHUNK_SIZE = 2000
_progress: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar("jobs_progress",
                                                                                          default=None)


@contextmanager
def progress_to(write: Callable[[str], None]) -> Iterator[None]:
    """Send the chunked jobs' progress lines (chunk k/n, rows, elapsed) to `write` inside the block."""
    token = _progress.set(write)
    try:
        yield
    finally:
        _progress.reset(token)


def in_chunks(name: str, candidates: QuerySet, work: Callable[[list[int]], int], *, size: int | None = None) -> int:
    """Run `work` over the candidates' ids in chunks (keyset over the id), each chunk in its own transaction.

    `work` gets the ids of one chunk, locks and re-reads those rows, re-checks that each still needs
    the change and makes it; it returns how many it changed. A chunk that fails rolls back alone
    and stops the job: the chunks before it are committed, and since the candidates are the rows
    still needing work, running the day again finishes the rest and repeats nothing. Returns the
    total changed.
    """
    size = size or CHUNK_SIZE
    write = _progress.get()
    total = candidates.count() if write else 0
    chunks = max(1, math.ceil(total / size))
    started = time.perf_counter()
    last, changed, k = 0, 0, 0
    while True:
        ids = list(candidates.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            break
        k += 1
        with transaction.atomic():
            changed += work(ids)
        last = ids[-1]
        if write:
            write(f"{name}: chunk {k}/{max(k, chunks)}, {len(ids)} rows, {changed} changed, "
                  f"{time.perf_counter() - started:.1f} s")
    return changed
