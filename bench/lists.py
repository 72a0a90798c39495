"""Benchmark: the financings list searched and filtered at 100,000 financings, and its 50,000-row exports.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_lists .venv/bin/python bench/lists.py
    options: [--financings 100000] [--export-rows 50000] [--reps 20] [--warmup 3] [--no-export]
    (SQLite file var/bench-lists.sqlite3 without DATABASE_URL)

Works in a dedicated database, dropped and created again each run. The book is written directly
(COPY on PostgreSQL through benchkit.write): one lender and its credit officer, 200 suppliers with
a factoring line each, 20 debtors, N financings each with one invoice (its receivable and the
link between them), states and amounts drawn from a fixed seed. A second lender's 1,000
financings share the debtors, so the tenancy rule has work to do.

Each list page is fetched through Django's test Client (force_login) `--reps` times after a
warm-up; the time is the request's wall time in this process (view, queries, template), i.e.
server time without the network; "sql" is the median time of those requests spent in their
queries (all of them: session, menus and the list's own). The export runs once per format over a filter that selects
`--export-rows` financings; the streamed body is consumed chunk by chunk as a server would send
it (the XLSX is built in a temporary file first, then sent from it), and checked (rows counted;
the XLSX opened with openpyxl). Memory is how much the process's peak resident size (VmHWM)
grew during the export: an export holding its rows in memory would grow it by the size of the
rows; a streaming one leaves it flat. The last line is machine-readable:

    lists: financings=N page_median_ms=N page_worst_p95_ms=N ... csv_s=N csv_peak_growth_mb=N xlsx_s=N ...
"""

from __future__ import annotations

import argparse
import datetime
import gc
import io
import os
import random
import resource
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

from benchkit import announce_and_migrate, fresh_database, percentile, write

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scf.settings.test")

SEED = 20261207
TARGET_MS = 150
STATES = (("disbursed", 0.55), ("overdue", 0.1), ("settled", 0.2), ("under_review", 0.1), ("cancelled", 0.05))


def prepare_database() -> str:
    return fresh_database("bench-lists.sqlite3")


def seed(count: int, foreign: int, today: datetime.date):
    from django.contrib.auth.models import Group
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone
    from stdnum.cn import uscc

    from scf.facilities.models import CreditFacility, Product
    from scf.money import round_money
    from scf.parties.groups import StaffGroup
    from scf.parties.models import Membership, Organization, User
    from workflows.factoring.models import FactoringFinancing, Receivable

    rng = random.Random(SEED)
    now = timezone.now()
    serial = iter(range(700000001, 800000000))

    def code() -> str:
        base = f"91310000{next(serial):09d}"
        return base + uscc.calc_check_digit(base)

    day = datetime.timedelta
    cut, acc = [], 0.0
    for name, share in STATES:
        acc += share
        cut.append((acc, name))
    with transaction.atomic():
        lender = Organization.objects.create(legal_name="列表基准银行", legal_name_en="Lists Bench Bank", uscc=code(),
                                             is_lender=True)
        other = Organization.objects.create(legal_name="列表基准他行", legal_name_en="Lists Other Bank", uscc=code(),
                                            is_lender=True)
        debtors = Organization.objects.bulk_create([
            Organization(legal_name=f"列表基准核心企业{i:02d}", legal_name_en=f"Lists Bench Core {i:02d}", uscc=code(),
                         is_core=True, is_supplier=False) for i in range(20)])
        suppliers = Organization.objects.bulk_create([
            Organization(legal_name=f"列表基准供应商{i:03d}有限公司", legal_name_en=f"Lists Bench Supplier {i:03d}",
                         uscc=code(), is_supplier=True) for i in range(201)])
        officer = User.objects.create_user("bench_lists_officer", password="bench-Pass-2026")
        officer.groups.add(Group.objects.get(name=StaffGroup.CREDIT_OFFICER))
        Membership.objects.create(user=officer, organization=lender, role=Membership.Role.OPERATOR)
        facilities = CreditFacility.objects.bulk_create([
            CreditFacility(reference=f"CF-LIST-{i:03d}", lender=lender if i < 200 else other, obligor=s,
                           product=Product.FACTORING, limit_amount=Decimal("9000000000.00"),
                           valid_from=today - day(days=400), valid_to=today + day(days=400),
                           state=CreditFacility.State.ACTIVE) for i, s in enumerate(suppliers)])
        financings, receivables, links = [], [], []
        through = FactoringFinancing.receivables.through
        for n in range(1, count + foreign + 1):
            ours = n <= count
            i = rng.randrange(200) if ours else 200
            debtor = debtors[rng.randrange(len(debtors))]
            r = rng.random()
            state = next((name for bound, name in cut if r < bound), "disbursed")
            confirmed = Decimal(rng.randint(50_000, 5_000_000))
            advance = round_money(confirmed * Decimal("0.8"))
            due = today + day(days=rng.randint(-60, 180))
            value_date = due - day(days=90)
            interest = round_money(advance * Decimal("0.065") * 90 / 360)
            fee = round_money(confirmed * Decimal("0.005"))
            created = now - day(minutes=count + foreign - n)
            financings.append(FactoringFinancing(
                id=n, reference=f"FF-2026-{n:06d}", facility=facilities[i], supplier=suppliers[i], debtor=debtor,
                lender=lender if ours else other, currency="CNY", confirmed_amount=confirmed,
                advance_rate=Decimal("0.8"), annual_rate=Decimal("0.065"), fee_rate=Decimal("0.005"),
                day_count="ACT/360", interest_mode="advance", value_date=value_date, due_date=due,
                advance_amount=advance, tenor_days=90, interest_amount=interest, fee_amount=fee,
                net_disbursement=advance - interest - fee, all_in_rate=Decimal("0.090000"), with_recourse=True,
                reverse=False, state=state, prepared_by=officer, disbursed_on=value_date,
                advance_outstanding=advance if state in ("disbursed", "overdue") else Decimal("0.00"),
                reminded_days=[], created_at=created))
            invoice = f"INV{n:08d}"
            receivables.append(Receivable(
                id=n, supplier=suppliers[i], debtor=debtor, invoice_number=invoice, invoice_key=invoice,
                issue_date=value_date - day(days=30), due_date=due, currency="CNY", face_amount=confirmed,
                confirmed_amount=confirmed, state="financed", created_by=officer, created_at=created))
            links.append(through(id=n, factoringfinancing_id=n, receivable_id=n))
        write(FactoringFinancing, financings)
        write(Receivable, receivables)
        write(through, links)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [FactoringFinancing, Receivable, through]):
                cursor.execute(sql)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return officer, suppliers, debtors


def measure(client, url: str, reps: int, warmup: int) -> dict:
    from django.db import connection

    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    statements = []
    with connection.execute_wrapper(lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)):
        response = client.get(url)
    rows = response.content.decode().count('<tr><td><a href="/factoring/')
    timings, sql = [], []
    spent = [0.0]

    def timed(execute, *args):
        started = time.perf_counter()
        try:
            return execute(*args)
        finally:
            spent[0] += time.perf_counter() - started

    with connection.execute_wrapper(timed):
        for _ in range(reps):
            spent[0] = 0.0
            started = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            sql.append(spent[0] * 1000)
    return {"median": statistics.median(timings), "p95": percentile(timings, 0.95), "min": min(timings),
            "sql": statistics.median(sql), "queries": len(statements), "rows": rows}


def rss_mb(field: str = "VmRSS") -> float:
    """The process's resident size now (VmRSS) or at its peak so far (VmHWM), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def export(client, url: str, fmt: str) -> dict:
    """Time one export and the growth of the process's peak resident size while it ran (flat memory: ~0)."""
    from openpyxl import load_workbook

    gc.collect()
    # Reset the peak to the present size (Linux): seeding the book raised it far above what a server holds.
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    hwm_before, rss_before = rss_mb("VmHWM"), rss_mb()
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    size, rows, largest = 0, 0, 0
    body = io.BytesIO() if fmt == "xlsx" else None
    for chunk in response.streaming_content:  # as the server sends it, one chunk at a time
        size += len(chunk)
        largest = max(largest, len(chunk))
        if body is None:
            rows += chunk.count(b"\n")
        else:
            body.write(chunk)
    seconds = time.perf_counter() - started
    hwm_after = rss_mb("VmHWM")
    response.close()
    if body is None:
        rows -= 1  # the header
    else:
        body.seek(0)
        sheet = load_workbook(body, read_only=True).active
        rows = sum(1 for _row in sheet.iter_rows(values_only=True)) - 1
    return {"seconds": seconds, "peak_growth_mb": hwm_after - hwm_before, "rows": rows, "mb": size / 2**20,
            "rss_before": rss_before, "largest_chunk_kb": largest / 1024}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--financings", type=int, default=100_000)
    parser.add_argument("--foreign", type=int, default=1_000)
    parser.add_argument("--export-rows", type=int, default=50_000)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--no-export", action="store_true", help="measure the list pages only")
    args = parser.parse_args()
    where = prepare_database()
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from workflows.factoring.models import FactoringFinancing

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    announce_and_migrate(where)
    today = timezone.localdate()
    started = time.perf_counter()
    officer, suppliers, debtors = seed(args.financings, args.foreign, today)
    print(f"seeded {args.financings:,} financings (+{args.foreign:,} of another lender) with their invoices in "
          f"{time.perf_counter() - started:.1f} s")

    client = Client()
    client.force_login(officer)
    base = "/factoring/"
    supplier = suppliers[17]
    pages = [
        ("first", base),
        ("search_ref", base + "?" + urlencode({"q": "FF-2026-0421"})),
        ("search_invoice", base + "?" + urlencode({"q": "INV00073"})),
        ("search_party", base + "?" + urlencode({"q": "供应商017"})),
        ("search_code", base + "?" + urlencode({"q": supplier.uscc})),
        ("filter_state_due", base + "?" + urlencode({"state": "overdue", "date_from": str(today),
                                                     "date_to": str(today + datetime.timedelta(days=90))})),
        ("filter_amount_sort", base + "?" + urlencode({"amount_min": "1,000,000", "amount_max": "2000000",
                                                       "sort": "-amount"})),
        ("search_filter", base + "?" + urlencode({"q": "供应商01", "state": "disbursed", "amount_min": "500000",
                                                  "sort": "due"})),
        ("party_page_5", base + "?" + urlencode({"party": supplier.pk, "sort": "-due", "page": 5})),
        ("page_200", base + "?" + urlencode({"sort": "reference", "page": 200})),
    ]
    print(f"\nfinancings list, {args.reps} requests a page after {args.warmup} warm-ups (target {TARGET_MS} ms)")
    print(f"  {'page':<20} {'median':>8} {'p95':>8} {'min':>8} {'sql':>8} {'queries':>8} {'rows':>5}")
    results = {}
    for name, url in pages:
        result = measure(client, url, args.reps, args.warmup)
        results[name] = result
        flag = "  OVER TARGET" if result["p95"] > TARGET_MS else ""
        print(f"  {name:<20} {result['median']:>6.1f}ms {result['p95']:>6.1f}ms {result['min']:>6.1f}ms "
              f"{result['sql']:>6.1f}ms {result['queries']:>8} {result['rows']:>5}{flag}")

    # A filter selecting --export-rows of the lender's financings: those up to the N-th smallest amount.
    ours = FactoringFinancing.objects.filter(lender__legal_name="列表基准银行")
    cutoff = ours.order_by("confirmed_amount", "id").values_list("confirmed_amount", flat=True)[args.export_rows - 1]
    query = {"amount_max": str(cutoff), "sort": "amount"}
    selected = ours.filter(confirmed_amount__lte=cutoff).count()
    exports = {}
    print(f"\nexports of {selected:,} financings (filter {query or 'none'})")
    for fmt in () if args.no_export else ("csv", "xlsx"):
        result = export(client, base + "?" + urlencode({**query, "export": fmt}), fmt)
        exports[fmt] = result
        print(f"  {fmt:<5} {result['rows']:>7,} rows {result['mb']:>6.1f} MB in {result['seconds']:>5.1f} s "
              f"({result['rows'] / result['seconds']:,.0f} rows/s); largest chunk sent "
              f"{result['largest_chunk_kb']:.0f} KB; resident {result['rss_before']:.0f} MB before, peak grew "
              f"{result['peak_growth_mb']:.1f} MB")
        assert result["rows"] == selected, (fmt, result["rows"], selected)
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    searched = [results[name] for name in results if name != "first"]
    worst = max(searched, key=lambda r: r["p95"])
    print(f"\nload after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}; process peak resident {peak_rss:.0f} MB; "
          f"{connection.vendor}")
    none = {"rows": 0, "seconds": 0.0, "peak_growth_mb": 0.0}
    csv_result, xlsx_result = exports.get("csv", none), exports.get("xlsx", none)
    print(f"lists: financings={args.financings} page_median_ms={statistics.median(r['median'] for r in searched):.1f} "
          f"page_worst_p95_ms={worst['p95']:.1f} first_page_ms={results['first']['median']:.1f} "
          f"csv_rows={csv_result['rows']} csv_s={csv_result['seconds']:.1f} "
          f"csv_peak_growth_mb={csv_result['peak_growth_mb']:.1f} xlsx_rows={xlsx_result['rows']} "
          f"xlsx_s={xlsx_result['seconds']:.1f} xlsx_peak_growth_mb={xlsx_result['peak_growth_mb']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
