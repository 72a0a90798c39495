"""Benchmark: the signing click, the debtor signing two documents (the notice and the confirmation letter).

    .venv/bin/python bench/signing.py [-n 10] [--warmup 2] [--hasher pbkdf2|md5] [--broker memory://]

The click is a POST of the password to the debtor's signing task page, through Django's test client,
with the supplier and the lender having signed before, so that it is the last signature of both
documents: after it, both are rendered with their signature blocks and certificate and sealed
(real WeasyPrint and pyHanko, files in a temporary directory). Two ways, each timed n times:

- eager: Celery runs the enqueued work in the process (the default with no broker): the click also
  waits for the rendering and sealing of both documents;
- worker: the work is published to a broker (CELERY_TASK_ALWAYS_EAGER off; kombu's in-memory
  transport by default, or --broker redis://...) for a documents worker: the click only signs and
  enqueues. The bench then checks that the flow waits (its "sealing" step open, no disbursement task)
  and runs the sealing itself, as the worker would, untimed, after which the disbursement task exists.

Passwords are hashed with production's PBKDF2 by default (the slow hash is checked once per click).
Works in a throw-away SQLite file, or the PostgreSQL database DATABASE_URL names (created fresh and
dropped at the end). The last line is machine-readable:

    signing: eager_median_ms=N eager_p90_ms=N worker_median_ms=N worker_p90_ms=N documents=2 hasher=… db=…
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchkit import calibrate, code_state, percentile
from lifecycle import PASSWORD, World, business_day_clock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scf.settings.test")

OPEN = ("NEW", "ASSIGNED", "STARTED")


def issued_financing(world: World, number: int):
    """A financing approved, its contracts issued, signed by the supplier and the lender: the debtor's turn."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from documents.selectors import documents_to_sign
    from documents.services import documents_sign
    from workflows.factoring import services

    today = timezone.localdate()
    receivable = services.receivable_create(
        supplier=world.supplier, debtor=world.debtor, invoice_number=f"SIGN-{number:06d}",
        issue_date=today - datetime.timedelta(days=10), due_date=today + datetime.timedelta(days=90),
        face_amount=Decimal("1000000.00"), acting_user=world.supplier_user)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                  value_date=today, acting_user=world.supplier_user)
    services.receivable_confirm(receivable=receivable, amount=receivable.face_amount, note="",
                                acting_user=world.debtor_user)
    services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    for organization, user in ((world.supplier, world.supplier_user), (world.lender, world.ops)):
        documents_sign(documents=documents_to_sign(financing, organization), organization=organization, signer=user,
                       password=PASSWORD, ip_address="127.0.0.1", user_agent="bench/signing")
    return financing


def click(world: World, financing, client) -> float:
    """POST the debtor's password to its signing task; return the milliseconds of the request."""
    from django.urls import reverse
    from viewflow.workflow.models import Task

    from documents.selectors import documents_to_sign
    from workflows.factoring.flows import FactoringFlow

    assert len(documents_to_sign(financing, world.debtor)) == 2
    task = Task.objects.get(process__caseprocess__reference=financing.reference, flow_task=FactoringFlow.sign_debtor,
                            status__in=OPEN)
    url = reverse("inbox:task", kwargs={"task_pk": task.pk})
    started = time.perf_counter()
    response = client.post(url, {"password": PASSWORD})
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 302, response.content.decode()[:2000]
    return elapsed


def check_and_seal(financing) -> None:
    """The worker's part, untimed: the flow waits for the sealing, then goes on to the disbursement."""
    from viewflow.workflow.models import Task

    from documents.models import Document
    from documents.tasks import finalize_document
    from workflows.factoring.flows import FactoringFlow
    from workflows.factoring.models import FactoringFinancing

    tasks = Task.objects.filter(process__caseprocess__reference=financing.reference, status__in=OPEN)
    assert tasks.filter(flow_task=FactoringFlow.sealing).exists()
    assert not tasks.filter(flow_task=FactoringFlow.disburse).exists()
    for document in Document.objects.filter(object_id=financing.pk, state=Document.State.ISSUED,
                                            content_type__model="factoringfinancing"):
        finalize_document.apply(kwargs={"document_id": document.pk})
    financing.refresh_from_db()
    assert financing.state == FactoringFinancing.State.SIGNED, financing.state
    assert tasks.filter(flow_task=FactoringFlow.disburse).exists()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10, help="timed clicks in each way (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed clicks in each way first (default 2)")
    parser.add_argument("--hasher", choices=["md5", "pbkdf2"], default="pbkdf2",
                        help="password hasher: pbkdf2 (production's, default) or md5 (scf.settings.test)")
    parser.add_argument("--broker", default="memory://", help="the broker of the worker way (default memory://)")
    args = parser.parse_args()

    print(f"machine: a 3,000,000-step Python loop takes {calibrate():.0f} ms (min of 5); load average "
          f"{os.getloadavg()[0]:.2f}; code {code_state()}")
    import django

    django.setup()
    business_day_clock()
    import logging

    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from scf.celery import app

    setup_test_environment()
    media = tempfile.mkdtemp(prefix="scfbench-sign-media-")
    settings.MEDIA_ROOT = media
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    if args.hasher == "pbkdf2":
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    sqlite_dir = None
    if connection.vendor == "sqlite":
        sqlite_dir = tempfile.mkdtemp(prefix="scfbench-sign-")
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(Path(sqlite_dir, "sign.sqlite3"))
    else:
        connection.settings_dict.setdefault("TEST", {})["NAME"] = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    print(f"database: {connection.vendor}; hasher {settings.PASSWORD_HASHERS[0]}; worker way's broker {args.broker}")
    timings: dict[str, list[float]] = {"eager": [], "worker": []}
    try:
        from documents.rendering import warm_up

        warm_up()
        world = World()
        client = Client()
        client.force_login(world.debtor_user)
        number = 0
        for way in ("eager", "worker"):
            for round_ in range(args.warmup + args.n):
                number += 1
                app.conf.task_always_eager = True  # the set-up renders and seals at once
                financing = issued_financing(world, number)
                if way == "worker":
                    app.conf.update(task_always_eager=False, broker_url=args.broker)
                elapsed = click(world, financing, client)
                app.conf.task_always_eager = True
                if way == "worker":
                    check_and_seal(financing)
                if round_ >= args.warmup:
                    timings[way].append(elapsed)
            values = timings[way]
            print(f"{way}: the click signing 2 documents, {len(values)} times: median {statistics.median(values):.0f} ms,"
                  f" p90 {percentile(values, 0.9):.0f} ms, min {min(values):.0f} ms, max {max(values):.0f} ms")
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
        shutil.rmtree(media, ignore_errors=True)
        if sqlite_dir:
            shutil.rmtree(sqlite_dir, ignore_errors=True)
    eager, worker = timings["eager"], timings["worker"]
    print(f"signing: eager_median_ms={statistics.median(eager):.0f} eager_p90_ms={percentile(eager, 0.9):.0f} "
          f"worker_median_ms={statistics.median(worker):.0f} worker_p90_ms={percentile(worker, 0.9):.0f} "
          f"documents=2 hasher={args.hasher} db={connection.vendor}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
