"""Benchmark: the staff and client dashboards of a lender with 100,000 financings and 50,000 open tasks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_dash .venv/bin/python bench/dashboards.py
    options: [--financings 100000] [--open 50000] [--reps 20] [--warmup 3] [--small 1000]
    (SQLite file var/bench-dashboards.sqlite3 without DATABASE_URL)

Works in a dedicated database, dropped and created again each run. The book is bench/lists.py's seeder
(one lender and its credit officer, 200 suppliers, 20 debtors, N financings in a spread of states and
due dates, 60 days overdue to 180 days ahead, and another lender's 1,000), written by COPY through
benchkit.write; the open tasks are bench/inbox.py's seeder (credit-review tasks of that lender,
created up to 90 days ago), written by COPY. A client user is made a member of one supplier.

Each dashboard is fetched through Django's test Client (force_login) `--reps` times after a warm-up;
the time is the request's wall time in this process (view, queries, template): server time without
the network. The queries of one request are counted, and counted again on a second, small lender
(`--small` financings and a tenth of the tasks) to show that the number does not grow with the book.
The last line is machine-readable:

    dashboards: staff_median_ms=N staff_p95_ms=N queries=N client_median_ms=N ...
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from benchkit import announce_and_migrate, fresh_database, percentile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scf.settings.test")

TARGET_MS = 200


def measure(client, url: str, reps: int, warmup: int) -> dict:
    from django.db import connection

    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    statements = []
    with connection.execute_wrapper(lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)):
        response = client.get(url)
    timings = []
    for _ in range(reps):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    return {"median": statistics.median(timings), "p95": percentile(timings, 0.95), "min": min(timings),
            "max": max(timings), "queries": len(statements), "bytes": len(response.content),
            "body": response.content.decode()}


def seed_tasks(open_count: int, lender, officer, suppliers, debtors) -> None:
    """bench/inbox.py's task seeder, pointed at the lists bench's lender, officer and parties."""
    from inbox import Seeder

    seeder = Seeder(SimpleNamespace(closed=0, applicants=len(suppliers)))
    seeder.lender, seeder.officer, seeder.ops = lender, officer, officer
    seeder.applicants, seeder.cores = list(suppliers), list(debtors)
    seeder.open_cases(open_count, lender.pk)
    seeder.write()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--financings", type=int, default=100_000)
    parser.add_argument("--foreign", type=int, default=1_000)
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    where = fresh_database("bench-dashboards.sqlite3")
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from lists import seed as seed_book

    from scf.parties.models import Membership, User

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    announce_and_migrate(where)
    today = timezone.localdate()
    started = time.perf_counter()
    officer, suppliers, debtors = seed_book(args.financings, args.foreign, today)
    lender = officer.memberships.get().organization
    seed_tasks(args.open, lender, officer, suppliers[:200], debtors)
    client_user = User.objects.create_user("bench_dash_supplier", password="bench-Pass-2026")
    Membership.objects.create(user=client_user, organization=suppliers[17], role=Membership.Role.OPERATOR)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"seeded {args.financings:,} financings (+{args.foreign:,} of another lender) and {args.open:,} open "
          f"tasks in {time.perf_counter() - started:.1f} s")

    client = Client()
    results = {}
    print(f"\n{args.reps} requests a page after {args.warmup} warm-ups (target {TARGET_MS} ms)")
    print(f"  {'page':<10} {'median':>8} {'p95':>8} {'min':>8} {'max':>8} {'queries':>8} {'KB':>6}")
    for name, user in (("staff", officer), ("client", client_user)):
        client.force_login(user)
        result = measure(client, "/", args.reps, args.warmup)
        results[name] = result
        flag = "  OVER TARGET" if result["p95"] > TARGET_MS else ""
        print(f"  {name:<10} {result['median']:>6.1f}ms {result['p95']:>6.1f}ms {result['min']:>6.1f}ms "
              f"{result['max']:>6.1f}ms {result['queries']:>8} {result['bytes'] / 1024:>6.0f}{flag}")
    staff_page = results["staff"]["body"]
    assert 'id="exposure-product-table"' in staff_page and 'id="tasks-table"' in staff_page, "staff dashboard"
    assert 'id="dues"' in results["client"]["body"], "client dashboard"

    # The same pages over the other lender's small book (1,000 financings, no tasks): the same number of queries.
    small_officer = User.objects.create_user("bench_dash_small", password="bench-Pass-2026")
    small_officer.groups.add(*officer.groups.all())
    other = suppliers[200].facilities.get().lender
    Membership.objects.create(user=small_officer, organization=other, role=Membership.Role.OPERATOR)
    client.force_login(small_officer)
    small = measure(client, "/", 3, 1)
    print(f"  {'staff (small book)':<10} median {small['median']:.1f} ms, {small['queries']} queries")
    print(f"\nload after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}; {connection.vendor}")
    spread = results["staff"]["max"] - results["staff"]["min"]
    print(f"dashboards: staff_median_ms={results['staff']['median']:.1f} staff_p95_ms={results['staff']['p95']:.1f} "
          f"queries={results['staff']['queries']} client_median_ms={results['client']['median']:.1f} "
          f"client_p95_ms={results['client']['p95']:.1f} client_queries={results['client']['queries']} "
          f"staff_spread_ms={spread:.1f} small_book_queries={small['queries']} financings={args.financings} "
          f"open_tasks={args.open}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
