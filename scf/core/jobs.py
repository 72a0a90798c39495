"""The registry of daily jobs: each product adds its own from its AppConfig.ready.

    jobs.register_daily("factoring.overdue", mark_overdue, order=120)

A job takes the day it runs for and returns how many objects it changed. It must be
idempotent: run twice for the same day, the second run changes nothing, because beat may fire
again after a restart and operations may re-run a day by hand (`manage.py run_daily --date`).
`run_daily` runs every job once a day (Celery beat, `scf.core.tasks.run_daily`), in order.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import transaction

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
