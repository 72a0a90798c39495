"""Benchmark: bulk upload of 10,000 invoices with duplicate checks, on the configured database.

    .venv/bin/python bench/bulk_upload.py [--rows 10000] [--runs 3]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf .venv/bin/python bench/bulk_upload.py

Works in a throw-away test database (SQLite file by default, PostgreSQL with DATABASE_URL). Each run
uploads a fresh CSV of N rows for a new supplier against 20 core enterprises, through
workflows.factoring.imports.receivables_import (parse, validate every row, check duplicates in the
file and in the database, bulk insert in one transaction). One extra run re-uploads the same file
and must refuse every row as a duplicate. The last line is machine-readable:

    bulk_upload: db=sqlite rows=10000 median_ms=N min_ms=N max_ms=N

Target: under 10 s for 10,000 invoices on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scf.settings.test")


def build_csv(debtor_codes: list[str], rows: int, run: int) -> bytes:
    lines = ["debtor_uscc,invoice_number,issue_date,due_date,face_amount,currency"]
    for i in range(rows):
        lines.append(f"{debtor_codes[i % len(debtor_codes)]},R{run}-INV-{i:06d},2026-11-01,2027-02-28,"
                     f"{1000 + i}.{i % 100:02d},CNY")
    return ("\n".join(lines) + "\n").encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    if connection.vendor == "sqlite":
        # A file, not memory: the figure should include real writes.
        connection.settings_dict.setdefault("TEST", {})["NAME"] = str(ROOT / "var" / "bench-bulk.sqlite3")
        (ROOT / "var").mkdir(exist_ok=True)
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from scf.parties.models import Membership
        from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
        from workflows.factoring.imports import receivables_import
        from workflows.factoring.models import Receivable

        debtors = [OrganizationFactory(is_supplier=False, is_core=True) for _ in range(20)]
        codes = [d.uscc for d in debtors]
        timings = []
        last = None
        for run in range(args.runs):
            supplier = OrganizationFactory()
            user = UserFactory(username=f"bench-{run}")
            MembershipFactory(user=user, organization=supplier, role=Membership.Role.OPERATOR)
            data = build_csv(codes, args.rows, run)
            started = time.perf_counter()
            report = receivables_import(supplier=supplier, data=data, acting_user=user)
            elapsed = (time.perf_counter() - started) * 1000
            assert report.saved and report.created == args.rows, (report.created, report.errors[:3])
            timings.append(elapsed)
            print(f"run {run + 1}: {args.rows} rows imported in {elapsed:.0f} ms")
            last = (supplier, user, data)
        supplier, user, data = last
        started = time.perf_counter()
        report = receivables_import(supplier=supplier, data=data, acting_user=user)
        elapsed = (time.perf_counter() - started) * 1000
        assert not report.saved and report.rows_with_errors == args.rows
        print(f"re-upload of the same file: {report.rows_with_errors} duplicates refused in {elapsed:.0f} ms")
        assert Receivable.objects.count() == args.rows * args.runs
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
    print(f"bulk_upload: db={connection.vendor} rows={args.rows} median_ms={statistics.median(timings):.0f} "
          f"min_ms={min(timings):.0f} max_ms={max(timings):.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
