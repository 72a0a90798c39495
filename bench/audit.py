"""Benchmark: audited transactions a second on PostgreSQL, with 2 and 8 concurrent threads.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scfbench_audit .venv/bin/python bench/audit.py
    options: [--seconds 8] [--threads 2 8]

Works in the database DATABASE_URL names (created and migrated when missing). Each thread has its
own connection and business row; one audited transaction is what a service does: `@audited`, one
UPDATE of the thread's row, one audit record (one INSERT), commit. The chain is extended by one
separate thread every 0.2 s, as the Celery worker does in production (the on-commit trigger is
switched off here so that the chainer's time is not counted in the business transaction). After
each run the chain must be complete and verify; the time the chainer needed to catch up after the
last commit is printed. Time per transaction: from the start of the unit of work to its commit.
The last lines are machine-readable:

    audit: threads=8 tps=N median_ms=N p95_ms=N
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

from benchkit import calibrate, code_state, percentile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scf.settings.test")


def prepare_database() -> str:
    url = os.environ.get("DATABASE_URL", "")
    import environ
    import psycopg

    config = environ.Env.db_url_config(url) if url else {"ENGINE": ""}
    if "postgres" not in config["ENGINE"]:
        raise SystemExit("DATABASE_URL must name a PostgreSQL database: the point is real concurrency")
    admin = psycopg.connect(host=config.get("HOST") or None, port=config.get("PORT") or None,
                            user=config.get("USER") or None, password=config.get("PASSWORD") or None,
                            dbname="postgres", autocommit=True)
    with admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
            admin.execute(f'CREATE DATABASE "{config["NAME"]}"')
    return config["NAME"]


def run(threads: int, seconds: float) -> dict:
    from django.db import connection

    from scf.audit import services
    from scf.audit.models import AuditRecord

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_audit_row (id int PRIMARY KEY, n bigint NOT NULL)")
        cursor.execute("INSERT INTO bench_audit_row SELECT g, 0 FROM generate_series(1, %s) g "
                       "ON CONFLICT DO NOTHING", [threads])

    @services.audited
    def unit_of_work(row: int, i: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE bench_audit_row SET n = n + 1 WHERE id = %s", [row])
        services.audit_record(action="bench.audit.update", note=f"row {row} #{i}")

    before = AuditRecord.objects.count()
    stop, chainer_stop = threading.Event(), threading.Event()
    barrier = threading.Barrier(threads + 1)
    times: list[list[float]] = [[] for _ in range(threads)]

    def worker(index: int) -> None:
        try:
            barrier.wait()
            i = 0
            while not stop.is_set():
                started = time.perf_counter()
                unit_of_work(index + 1, i)
                times[index].append((time.perf_counter() - started) * 1000)
                i += 1
        finally:
            connection.close()

    def chainer() -> None:
        try:
            while not chainer_stop.is_set():
                services.audit_chain_extend()
                chainer_stop.wait(0.2)
        finally:
            connection.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    background = threading.Thread(target=chainer)
    for thread in pool:
        thread.start()
    background.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    ended = time.perf_counter()
    while AuditRecord.objects.filter(chain_seq__isnull=True).exists():
        time.sleep(0.05)
    catch_up = time.perf_counter() - ended
    chainer_stop.set()
    background.join()
    all_times = [t for per_thread in times for t in per_thread]
    written = AuditRecord.objects.count() - before
    checked, broken = services.audit_chain_verify()
    assert written == len(all_times), (written, len(all_times))
    assert broken is None, broken
    return {"threads": threads, "tps": len(all_times) / elapsed, "median": statistics.median(all_times),
            "p95": percentile(all_times, 0.95), "count": len(all_times), "catch_up": catch_up, "chain": checked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--threads", type=int, nargs="+", default=[2, 8])
    args = parser.parse_args()
    name = prepare_database()

    import django

    django.setup()
    from django.core.management import call_command

    from scf.audit import services

    call_command("migrate", verbosity=0)
    services._chain_after_commit = lambda: None  # the chainer thread below plays the worker
    print(f"database {name}; code {code_state()}; calibration {calibrate():.0f} ms; "
          f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    lines = []
    for threads in args.threads:
        result = run(threads, args.seconds)
        print(f"{threads} threads: {result['count']} audited transactions in {args.seconds:.0f} s; chain of "
              f"{result['chain']} records verified, caught up {result['catch_up'] * 1000:.0f} ms after the last commit")
        lines.append(f"audit: threads={threads} tps={result['tps']:.0f} median_ms={result['median']:.1f} "
                     f"p95_ms={result['p95']:.1f}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
