"""Benchmark: factoring's nightly batch over 100,000 financings, then the same day again.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_nightly .venv/bin/python bench/nightly.py
    options: [--financings 100000] [--keep] (SQLite file var/bench-nightly.sqlite3 without DATABASE_URL)

Works in a dedicated database, dropped and created again each run (the batch changes the book it
measures). The book is written directly (COPY on PostgreSQL, bulk_create on SQLite), not through
the intake's steps: one lender, 200 suppliers each with its factoring line, one debtor, and the
stress mix of the day: 2 % due for a reminder (7 or 1 days before maturity), 5 % newly overdue
(due 4 days ago, grace 3), 28 % overdue and accruing penalty (accrued to yesterday), 3 % overdue
past the 30 recourse days, the rest disbursed and due later. The batch is
`workflows.factoring.jobs.factoring_daily` for today; mails are left to the workers (the tasks
are counted, not run). Statements are counted with a connection wrapper; peak memory is the
process's peak resident size (it includes Django itself). The last line is machine-readable:

    nightly: financings=N seconds=N rerun_seconds=N statements=N peak_mb=N
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

from benchkit import calibrate, code_state, fresh_database, write

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scf.settings.test")

SEED = 20261206
MIX = (("reminder", 0.02), ("newly_overdue", 0.05), ("accruing", 0.28), ("recourse", 0.03))


def prepare_database() -> str:
    return fresh_database("bench-nightly.sqlite3")


def seed(count: int, today: datetime.date) -> dict[str, int]:
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone
    from stdnum.cn import uscc

    from scf.facilities.models import CreditFacility, Product
    from scf.money import round_money
    from scf.parties.models import Organization, User
    from workflows.factoring.models import FactoringFinancing
    from workflows.factoring.settlement import penalty_accrual

    rng = random.Random(SEED)
    now = timezone.now()
    serial = iter(range(600000001, 700000000))

    def code() -> str:
        base = f"91310000{next(serial):09d}"
        return base + uscc.calc_check_digit(base)

    day = datetime.timedelta
    with transaction.atomic():
        lender = Organization.objects.create(legal_name="夜间基准银行", legal_name_en="Nightly Bench Bank", uscc=code(),
                                             is_lender=True)
        debtor = Organization.objects.create(legal_name="夜间基准核心企业", legal_name_en="Nightly Bench Core",
                                             uscc=code(), is_core=True, is_supplier=False)
        suppliers = Organization.objects.bulk_create([
            Organization(legal_name=f"夜间基准供应商{i:03d}", legal_name_en=f"Nightly Bench Supplier {i:03d}",
                         uscc=code(), is_supplier=True) for i in range(200)])
        user = User.objects.create_user("bench_nightly_ops", password="bench-Pass-2026")
        facilities = CreditFacility.objects.bulk_create([
            CreditFacility(reference=f"CF-NIGHT-{i:03d}", lender=lender, obligor=s, anchor=debtor,
                           product=Product.FACTORING, limit_amount=Decimal("9000000000.00"),
                           valid_from=today - day(days=400), valid_to=today + day(days=400),
                           state=CreditFacility.State.ACTIVE) for i, s in enumerate(suppliers)])
        rows, mix = [], {name: 0 for name, _share in MIX}
        cut = []
        acc = 0.0
        for name, share in MIX:
            acc += share
            cut.append((acc, name))
        for n in range(1, count + 1):
            r = rng.random()
            kind = next((name for bound, name in cut if r < bound), "current")
            mix[kind] = mix.get(kind, 0) + 1
            i = rng.randrange(len(suppliers))
            confirmed = Decimal(rng.randint(50_000, 5_000_000))
            advance = round_money(confirmed * Decimal("0.8"))
            state, accrued, accrued_to = FactoringFinancing.State.DISBURSED, Decimal("0.00"), None
            if kind == "reminder":
                due = today + day(days=rng.choice((7, 1)))
            elif kind == "newly_overdue":
                due = today - day(days=4)
            elif kind == "accruing":
                due, state = today - day(days=rng.randint(5, 29)), FactoringFinancing.State.OVERDUE
            elif kind == "recourse":
                due, state = today - day(days=rng.randint(31, 60)), FactoringFinancing.State.OVERDUE
            else:
                due = today + day(days=rng.choice([d for d in range(2, 120) if d != 7]))
            if state == FactoringFinancing.State.OVERDUE and kind == "accruing":
                accrued_to = today - day(days=1)
                accrued = round_money(penalty_accrual(
                    advance=advance, annual_rate=Decimal("0.065"), multiplier=Decimal("1.5"), day_count="ACT/360",
                    start=due + day(days=4), to_date=accrued_to, repayments=[]))
                if not accrued:
                    accrued_to = None
            value_date = due - day(days=90)
            interest = round_money(advance * Decimal("0.065") * 90 / 360)
            fee = round_money(confirmed * Decimal("0.005"))
            rows.append(FactoringFinancing(
                id=n, reference=f"FF-NIGHT-{n:07d}", facility=facilities[i], supplier=suppliers[i], debtor=debtor,
                lender=lender, currency="CNY", confirmed_amount=confirmed, advance_rate=Decimal("0.8"),
                annual_rate=Decimal("0.065"), fee_rate=Decimal("0.005"), day_count="ACT/360",
                interest_mode="advance", value_date=value_date, due_date=due, advance_amount=advance,
                tenor_days=90, interest_amount=interest, fee_amount=fee, net_disbursement=advance - interest - fee,
                all_in_rate=Decimal("0.090000"), with_recourse=True, reverse=False, state=state, prepared_by=user,
                disbursed_on=value_date, advance_outstanding=advance, penalty_accrued=accrued,
                penalty_outstanding=accrued, penalty_accrued_to=accrued_to, reminded_days=[], created_at=now))
        write(FactoringFinancing, rows)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [FactoringFinancing]):
                cursor.execute(sql)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return mix


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--financings", type=int, default=100_000)
    args = parser.parse_args()
    where = prepare_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from scf.core.jobs import progress_to
    from workflows.factoring import jobs, tasks

    print(f"database: {where}; code {code_state()}; calibration {calibrate():.0f} ms; load {os.getloadavg()[0]:.1f}")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - started:.1f} s")
    today = timezone.localdate()
    started = time.perf_counter()
    mix = seed(args.financings, today)
    print(f"seeded {args.financings:,} financings in {time.perf_counter() - started:.1f} s: {mix}")

    mails = {"reminders": 0, "demands": 0}
    tasks.send_maturity_reminders_chunk.delay_on_commit = (
        lambda financing_ids, days: mails.__setitem__("reminders", mails["reminders"] + len(financing_ids)))
    tasks.send_recourse_demands_chunk.delay_on_commit = (
        lambda financing_ids: mails.__setitem__("demands", mails["demands"] + len(financing_ids)))

    statements = [0]

    def count(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    def timed(label):
        statements[0] = 0
        began = time.perf_counter()
        with connection.execute_wrapper(count), progress_to(lambda line: print("  " + line)):
            result = jobs.factoring_daily(today)
        seconds = time.perf_counter() - began
        print(f"{label}: {result} in {seconds:.1f} s, {statements[0]} statements")
        return seconds, statements[0]

    seconds, first_statements = timed("nightly")
    rerun_seconds, rerun_statements = timed("same-day re-run")
    print(f"mail tasks enqueued (one per financing, by one task per chunk): {mails}; re-run statements "
          f"{rerun_statements}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"nightly: financings={args.financings} seconds={seconds:.1f} rerun_seconds={rerun_seconds:.1f} "
          f"statements={first_statements} peak_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
