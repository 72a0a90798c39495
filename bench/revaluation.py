"""Benchmark: re-valuing 100,000 active pledge agreements after one price approval, server time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scfbench_reval .venv/bin/python bench/revaluation.py
    .venv/bin/python bench/revaluation.py --agreements 2000 --small 200     # SQLite file var/bench-reval.sqlite3
    options: [--reps 10] [--reseed] [--explain] [--agreements 100000] [--small 10000]

Works in a dedicated database (created and migrated when missing; the seeded data is reused by later
runs, --reseed drops and seeds it again). The book is written directly (COPY on PostgreSQL, bulk_create
on SQLite), not through the intake's steps: the main lender has `--agreements` active agreements, a
second lender `--small`, each agreement holding copper cathode (one or two warehouse receipts) and, one
in two, aluminium too; principals are spread so that the LTVs run from 0.225 to 0.6375 (under the
liquidation line after the 20 % fall). Both commodities
have thirty days of approved prices.

Each repetition is what the desk does: a price file with one new copper price (alternately 20 % down
and back up, so that thousands of agreements change zone each time) is approved by a second person
through `price_batch_decide`, which re-values every agreement holding copper in the same transaction
(`revaluation.revalue_agreements`). The time is the whole approval, committed. Queries are counted in a
separate approval with CaptureQueriesContext, for each lender. After the runs, a sample of agreements
is checked against `valuation.agreement_valuation`. The last line is machine-readable:

    revaluation: agreements=100000 median_ms=N p95_ms=N cpu_median_ms=N queries=N calls_opened=N queries_at_10000=N

The same runs open and close margin calls (workflows/pledge/margin_calls.py) in the same transaction:
each 20 % fall opens a call for every agreement entering the call or liquidation zone (and records the
warning notices), each rise back recomputes the open calls and cures them. Their notices are rendered
by workers after commit, so here the tasks are only counted, not run. Printed per lender:

    margin calls: agreements=100000 opened_a_fall=N fall_median_ms=N rise_median_ms=N notice_tasks=N

Target on PostgreSQL: under 5 s, with the same number of queries at 10,000 and 100,000 agreements.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

from benchkit import calibrate, code_state, percentile, write

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scf.settings.test")

TARGET_MS = 5000
SEED = 20261206
PASSWORD = "bench-Pass-2026"
BASE_PRICE = Decimal("68000.00")
LOW_PRICE = Decimal("54400.00")  # 20 % down


# --- the database --------------------------------------------------------------------------------


def prepare_database(reseed: bool) -> str:
    """Point DATABASE_URL at the bench database, creating (or re-creating) it; return a description."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        path = ROOT / "var" / "bench-reval.sqlite3"
        path.parent.mkdir(exist_ok=True)
        if reseed and path.exists():
            path.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        return str(path)
    import environ
    import psycopg

    config = environ.Env.db_url_config(url)
    if "postgres" not in config["ENGINE"]:
        raise SystemExit(f"DATABASE_URL must be PostgreSQL or unset (SQLite), not {config['ENGINE']}")
    name = config["NAME"]
    admin = psycopg.connect(host=config.get("HOST") or None, port=config.get("PORT") or None,
                            user=config.get("USER") or None, password=config.get("PASSWORD") or None,
                            dbname="postgres", autocommit=True)
    with admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reseed:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql {name}"


def reset_sequences(*models) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


# --- seeding -------------------------------------------------------------------------------------


def seeded() -> bool:
    from workflows.pledge.models import PledgeAgreement

    return PledgeAgreement.objects.filter(reference__startswith="PLA-BENCH-").exists()


def seed(args) -> None:
    from django.contrib.auth.models import Group
    from django.db import connection, transaction
    from django.utils import timezone
    from stdnum.cn import uscc

    from scf.facilities.models import CreditFacility, Product
    from scf.parties.models import Membership, Organization, StaffGroup, User
    from workflows.pledge.models import (
        CollateralIntake,
        Commodity,
        CommodityEligibility,
        CommodityPrice,
        PledgeAgreement,
        PledgedItem,
        WarehouseReceipt,
    )

    started = time.perf_counter()
    rng = random.Random(SEED)
    today = timezone.localdate()
    now = timezone.now()
    serial = iter(range(700000001, 800000000))

    def code() -> str:
        base = f"91310000{next(serial):09d}"
        return base + uscc.calc_check_digit(base)

    with transaction.atomic():
        names = (("基准质押银行", "Pledge Bench Bank"), ("基准小质押银行", "Small Pledge Bench Bank"))
        lenders = [Organization.objects.create(legal_name=name, legal_name_en=name_en, uscc=code(), is_lender=True)
                   for name, name_en in names]
        warehouse = Organization.objects.create(legal_name="基准监管仓储有限公司",
                                                legal_name_en="Bench Warehousing Co.", uscc=code(),
                                                is_warehouse=True, is_supplier=False)
        pledgors = Organization.objects.bulk_create([
            Organization(legal_name=f"基准出质人{i:03d}有限公司", legal_name_en=f"Bench Pledgor {i:03d} Co., Ltd.",
                         uscc=code(), is_distributor=True, is_supplier=False) for i in range(200)])
        copper = Commodity.objects.create(code="BCU", name_en="Copper cathode (bench)", name_zh="电解铜（基准）",
                                          unit="t", precision="0.001")
        aluminium = Commodity.objects.create(code="BAL", name_en="Aluminium ingot (bench)", name_zh="铝锭（基准）",
                                             unit="t", precision="0.001")
        people = {}
        for lender in lenders:
            for group, name in ((StaffGroup.OPERATIONS, "ops"), (StaffGroup.RISK_MANAGER, "risk")):
                user = User.objects.create_user(f"bench_reval_{name}_{lender.pk}", password=PASSWORD)
                user.groups.add(Group.objects.get(name=group))
                Membership.objects.create(user=user, organization=lender, role=Membership.Role.OPERATOR)
                people[(lender.pk, name)] = user
            for commodity in (copper, aluminium):
                CommodityEligibility.objects.create(lender=lender, commodity=commodity, pledge_rate=Decimal("0.60"),
                                                    created_by=people[(lender.pk, "risk")])
            prices = []
            for days in range(30, 0, -1):  # thirty days of approved prices, up to yesterday
                for commodity, base in ((copper, BASE_PRICE), (aluminium, Decimal("19000.00"))):
                    prices.append(CommodityPrice(
                        lender=lender, commodity=commodity, price=base + rng.randint(-500, 500), currency="CNY",
                        source=CommodityPrice.Source.EXCHANGE, effective_date=today - datetime.timedelta(days=days),
                        state=CommodityPrice.State.APPROVED, created_by=people[(lender.pk, "ops")],
                        decided_by=people[(lender.pk, "risk")], decided_at=now))
            CommodityPrice.objects.bulk_create(prices)
        facilities = {}
        for lender in lenders:
            facilities[lender.pk] = CreditFacility.objects.bulk_create([
                CreditFacility(reference=f"CF-BENCH-{lender.pk}-{i:03d}", lender=lender, obligor=pledgor,
                               product=Product.PLEDGE, limit_amount=Decimal("900000000.00"),
                               valid_from=today - datetime.timedelta(days=30),
                               valid_to=today + datetime.timedelta(days=335), state=CreditFacility.State.ACTIVE)
                for i, pledgor in enumerate(pledgors)])

        ids = {model: (model.objects.order_by("-id").values_list("id", flat=True).first() or 0)
               for model in (PledgeAgreement, CollateralIntake, WarehouseReceipt, PledgedItem)}
        agreements, intakes, receipts, items = [], [], [], []
        for lender, count in ((lenders[0], args.agreements), (lenders[1], args.small)):
            ops = people[(lender.pk, "ops")]
            for n in range(count):
                ids[PledgeAgreement] += 1
                agreement_id = ids[PledgeAgreement]
                p = rng.randrange(len(pledgors))
                pledgor, facility = pledgors[p], facilities[lender.pk][p]
                lines = [(copper, Decimal(rng.randint(20_000, 200_000)) / 1000)]
                if rng.random() < 0.5:
                    lines.append((copper, Decimal(rng.randint(5_000, 50_000)) / 1000))
                if rng.random() < 0.5:
                    lines.append((aluminium, Decimal(rng.randint(10_000, 300_000)) / 1000))
                value = sum(q * (BASE_PRICE if c is copper else Decimal("19000")) for c, q in lines)
                # LTV 0.225 to 0.6375: a 20 % fall of copper takes none to the liquidation line (0.80), whose
                # default is a separate work, one agreement at a time; it opens calls from 0.56 up.
                principal = (value * Decimal(rng.uniform(0.30, 0.85) * 0.75)).quantize(Decimal("0.01"))
                agreements.append(PledgeAgreement(
                    id=agreement_id, reference=f"PLA-BENCH-{agreement_id:07d}", lender=lender, pledgor=pledgor,
                    warehouse=warehouse, facility=facility, kind=PledgeAgreement.Kind.DYNAMIC,
                    maximum_amount=Decimal("50000000.00"), annual_rate=Decimal("0.055"),
                    start_date=today - datetime.timedelta(days=60), end_date=today + datetime.timedelta(days=300),
                    state=PledgeAgreement.State.ACTIVE, prepared_by=ops, principal_outstanding=principal,
                    activated_at=now, created_at=now))
                ids[CollateralIntake] += 1
                intake_id = ids[CollateralIntake]
                intakes.append(CollateralIntake(
                    id=intake_id, agreement_id=agreement_id, reference=f"CIN-BENCH-{intake_id:07d}",
                    state=CollateralIntake.State.EFFECTIVE, declared_by=ops, created_at=now, effective_at=now))
                for commodity, quantity in lines:
                    ids[WarehouseReceipt] += 1
                    ids[PledgedItem] += 1
                    receipts.append(WarehouseReceipt(
                        id=ids[WarehouseReceipt], warehouse=warehouse, number=f"WR-BENCH-{ids[WarehouseReceipt]:08d}",
                        owner=pledgor, commodity=commodity, quantity=quantity,
                        issued_on=today - datetime.timedelta(days=40), status=WarehouseReceipt.Status.VALID,
                        created_by=ops, created_at=now))
                    items.append(PledgedItem(
                        id=ids[PledgedItem], intake_id=ids[CollateralIntake], agreement_id=agreement_id,
                        receipt_id=ids[WarehouseReceipt], commodity=commodity, declared_quantity=quantity,
                        counted_quantity=quantity, quantity=quantity, status=PledgedItem.Status.PLEDGED,
                        created_at=now))
        for model, objects in ((PledgeAgreement, agreements), (CollateralIntake, intakes),
                               (WarehouseReceipt, receipts), (PledgedItem, items)):
            write(model, objects)
        reset_sequences(PledgeAgreement, CollateralIntake, WarehouseReceipt, PledgedItem)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"seeded {len(agreements):,} agreements, {len(items):,} pledged receipts in "
          f"{time.perf_counter() - started:.1f} s")

    # The first revaluation stores every agreement's valuation (the book as it stands before the runs).
    from workflows.pledge.revaluation import revalue_agreements

    for lender in lenders:
        revalue_agreements(lender=lender, on=today, acting_user=people[(lender.pk, "risk")])


# --- the runs ------------------------------------------------------------------------------------


class Desk:
    """One lender's desk: a maker who enters the price file, a checker who approves it."""

    def __init__(self, lender_name: str) -> None:
        from scf.parties.models import Organization, User
        from workflows.pledge.models import Commodity, PledgeAgreement

        self.lender = Organization.objects.get(legal_name_en=lender_name)
        self.ops = User.objects.get(username=f"bench_reval_ops_{self.lender.pk}")
        self.risk = User.objects.get(username=f"bench_reval_risk_{self.lender.pk}")
        self.copper = Commodity.objects.get(code="BCU")
        self.agreements = PledgeAgreement.objects.filter(lender=self.lender, state="active").count()
        self.run = 0

    def price_file(self):
        """A proposed file with one copper price for today, alternately 20 % down and back up."""
        from django.utils import timezone

        from workflows.pledge.models import CommodityPrice, PriceBatch

        self.run += 1
        price = LOW_PRICE if self.run % 2 else BASE_PRICE
        batch = PriceBatch.objects.create(lender=self.lender, name=f"bench {self.run}", created_by=self.ops)
        CommodityPrice.objects.create(lender=self.lender, commodity=self.copper, price=price, currency="CNY",
                                      source=CommodityPrice.Source.EXCHANGE, effective_date=timezone.localdate(),
                                      created_by=self.ops, batch=batch, reference=f"bench run {self.run}")
        return batch

    def approve(self, batch):
        from workflows.pledge.models import PledgeRevaluation
        from workflows.pledge.price_import import price_batch_decide

        price_batch_decide(batch=batch, acting_user=self.risk, verb="approve")
        return PledgeRevaluation.objects.filter(price_batch=batch).get()


NOTICE_TASKS: list[int] = []


def count_notice_tasks() -> None:
    """The notices are the workers' job after commit: the bench counts the chunked tasks instead of running them."""
    from workflows.pledge import tasks

    tasks.issue_margin_call_notices.delay = lambda call_ids: NOTICE_TASKS.append(len(call_ids))
    tasks.issue_warning_notices.delay = lambda notice_ids: None


def backend_cpu():
    """A function answering the CPU milliseconds the database server process of this connection has used so far.

    On a shared machine the wall time of an approval mostly measures the other work; the CPU time it costs the
    database (and this process) is what it would take on a quiet machine. Read from /proc when PostgreSQL runs
    on this machine; otherwise None.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    path, tick = Path(f"/proc/{pid}/stat"), os.sysconf("SC_CLK_TCK")
    if not path.exists():
        return None

    def read() -> float:
        fields = path.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / tick  # utime + stime

    return read


def measure(desk: Desk, reps: int, warmup: int) -> dict:
    from workflows.pledge.models import PledgeMarginCall

    timings, changes, falls, rises, opened = [], [], [], [], []
    cpu, db_cpu = [], []
    server = backend_cpu()
    for rep in range(warmup + reps):
        batch = desk.price_file()
        server_before = server() if server else 0.0
        started, own = time.perf_counter(), time.process_time()
        run = desk.approve(batch)
        elapsed = (time.perf_counter() - started) * 1000
        if rep >= warmup:
            cpu.append((time.process_time() - own) * 1000)
            if server:
                db_cpu.append(server() - server_before)
            timings.append(elapsed)
            changes.append(run.zone_changes)
            if desk.run % 2:  # the 20 % fall
                falls.append(elapsed)
                opened.append(PledgeMarginCall.objects.filter(opened_by=run).count())
            else:
                rises.append(elapsed)
        assert run.agreements == desk.agreements, (run.agreements, desk.agreements)
    return {"median": statistics.median(timings), "p95": percentile(timings, 0.95), "min": min(timings),
            "max": max(timings), "changes": changes, "falls": falls, "rises": rises, "opened": opened,
            "cpu": cpu, "db_cpu": db_cpu}


def count_queries(desk: Desk) -> tuple[int, list[dict]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    batch = desk.price_file()
    with CaptureQueriesContext(connection) as queries:
        desk.approve(batch)
    return len(queries.captured_queries) - 1, queries.captured_queries  # less the bench's own read of the run


def check_sample(desk: Desk, size: int = 50) -> int:
    """Compare a sample of stored valuations with the valuation the pages compute; return how many were checked."""
    from django.utils import timezone

    from workflows.pledge.models import PledgeAgreement, PledgeValuation
    from workflows.pledge.valuation import agreement_valuation

    rng = random.Random(SEED + desk.run)
    ids = list(PledgeAgreement.objects.filter(lender=desk.lender, state="active").values_list("id", flat=True))
    for agreement in PledgeAgreement.objects.filter(pk__in=rng.sample(ids, min(size, len(ids)))).select_related(
            "facility"):
        live = agreement_valuation(agreement, on=timezone.localdate())
        stored = PledgeValuation.objects.get(agreement=agreement)
        assert (stored.value, stored.exposure, stored.ltv, stored.zone, stored.stale) == (
            live.value, live.exposure, live.ltv_display, live.zone, live.stale), agreement.reference
    return min(size, len(ids))


def explain(desk: Desk) -> None:
    from django.db import connection
    from django.utils import timezone

    from workflows.pledge import revaluation
    from workflows.pledge.models import PledgeRevaluation

    run = PledgeRevaluation.objects.filter(lender=desk.lender).order_by("-pk").first()
    sql, params = revaluation._upsert_statement(lender_id=desk.lender.pk, on=timezone.localdate(),
                                                commodity_ids=[desk.copper.pk], run_id=run.pk, at=timezone.now())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("BEGIN")
            cursor.execute("SET LOCAL work_mem = '64MB'")  # as revalue_agreements sets it
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print("\n".join("    " + row[0] for row in cursor.fetchall()))
            cursor.execute("ROLLBACK")
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            print("\n".join("    " + " | ".join(str(c) for c in row) for row in cursor.fetchall()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10, help="timed approvals (default 10)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--agreements", type=int, default=100_000, help="active agreements of the main lender")
    parser.add_argument("--small", type=int, default=10_000, help="active agreements of the second lender")
    parser.add_argument("--reseed", action="store_true", help="drop the bench database and seed it again")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the revaluation statement")
    args = parser.parse_args()

    print(f"machine: a 3,000,000-step Python loop takes {calibrate():.0f} ms (min of 5); load average "
          f"{os.getloadavg()[0]:.2f}; compare runs with these; code {code_state()}")
    where = prepare_database(args.reseed)
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"database: {where} (migrated in {time.perf_counter() - started:.1f} s)")
    count_notice_tasks()
    if not seeded():
        seed(args)
    else:
        print("reusing the seeded data (--reseed to seed again)")

    big, small = Desk("Pledge Bench Bank"), Desk("Small Pledge Bench Bank")
    results = {}
    for desk in (big, small):
        result = measure(desk, args.reps, args.warmup)
        result["queries"], result["sql"] = count_queries(desk)
        results[desk.agreements] = result
        flag = "  OVER TARGET" if result["median"] > TARGET_MS or result["p95"] > TARGET_MS else ""
        print(f"{desk.agreements:>7,} agreements: approval with revaluation median {result['median']:.0f} ms, "
              f"p95 {result['p95']:.0f} ms, min {result['min']:.0f} ms, max {result['max']:.0f} ms "
              f"({args.reps} runs); {result['queries']} queries; zone changes a run "
              f"{min(result['changes']):,}–{max(result['changes']):,}{flag}")
        if result["db_cpu"]:
            total = [a + b for a, b in zip(result["cpu"], result["db_cpu"])]
            print(f"  CPU an approval (what a quiet machine would take): database median "
                  f"{statistics.median(result['db_cpu']):.0f} ms (min {min(result['db_cpu']):.0f}, max "
                  f"{max(result['db_cpu']):.0f}), this process {statistics.median(result['cpu']):.0f} ms, together "
                  f"median {statistics.median(total):.0f} ms (min {min(total):.0f}, max {max(total):.0f})")
        print(f"  checked {check_sample(desk)} stored valuations against the page's valuation: equal")
        if result["falls"] and result["rises"]:
            falls, rises = result["falls"], result["rises"]
            print(f"margin calls: agreements={desk.agreements} opened_a_fall={min(result['opened'])}-"
                  f"{max(result['opened'])} fall_median_ms={statistics.median(falls):.0f} "
                  f"(min {min(falls):.0f}, max {max(falls):.0f}) rise_median_ms={statistics.median(rises):.0f} "
                  f"(min {min(rises):.0f}, max {max(rises):.0f}) notice_tasks={len(NOTICE_TASKS)}")
    main_result, small_result = results[big.agreements], results[small.agreements]
    if args.explain or main_result["median"] > TARGET_MS:
        explain(big)
    same = main_result["queries"] == small_result["queries"]
    print(f"queries an approval: {main_result['queries']} at {big.agreements:,}, {small_result['queries']} at "
          f"{small.agreements:,} — {'the same' if same else 'DIFFERENT'}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}; db={connection.vendor}")
    print(f"target {TARGET_MS} ms (median and p95): "
          + ("met" if main_result["median"] <= TARGET_MS and main_result["p95"] <= TARGET_MS else "NOT MET"))
    cpu_ms = (f"cpu_median_ms={statistics.median([a + b for a, b in zip(main_result['cpu'], main_result['db_cpu'])]):.0f} "
              if main_result["db_cpu"] else "")
    print(f"revaluation: agreements={big.agreements} median_ms={main_result['median']:.0f} "
          f"p95_ms={main_result['p95']:.0f} {cpu_ms}queries={main_result['queries']} "
          f"calls_opened={max(main_result['opened'], default=0)} "
          f"queries_at_{small.agreements}={small_result['queries']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
