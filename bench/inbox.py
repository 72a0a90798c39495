"""Benchmark: a credit officer's inbox page with 50,000 open and 500,000 closed tasks, server time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scfbench_inbox .venv/bin/python bench/inbox.py
    .venv/bin/python bench/inbox.py            # SQLite file var/bench-inbox.sqlite3
    options: [--reps 30] [--reseed] [--explain] [--open 50000] [--closed 500000] [--small-open 5000]

Works in a dedicated database (created and migrated when missing; the seeded data is reused by later
runs, --reseed drops and seeds it again). The tasks are written directly (COPY on PostgreSQL,
executemany on SQLite), not through the flow: viewflow_process + inbox_caseprocess rows (CaseProcess is
a multi-table child of viewflow's Process) and viewflow_task rows. The main lender's credit officer
has `--open` open FactoringFlow.review tasks (status NEW, permission inbox.decide_as_credit_officer on
the lender); a second lender's officer has `--small-open`, to show that the number of SQL queries a
page does not grow with the inbox. `--closed` DONE tasks of every node (earlier steps of the open cases
and whole finished cases) sit in the same table.

Each page is fetched through Django's test Client (force_login), `--reps` times after a warm-up; the
time is the server's (request in, response out, no network). Queries are counted in a separate
request with CaptureQueriesContext. --explain prints EXPLAIN ANALYZE of the task queries of every page
(it is printed anyway for a page over the target on PostgreSQL). The last line is machine-readable:

    inbox: db=postgresql open=50000 closed=500000 first_median_ms=N first_p95_ms=N next_median_ms=N ...

Target on PostgreSQL: every page under 150 ms server time, the same query count at 5,000 and 50,000.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import re
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, urlencode

from benchkit import calibrate, code_state, percentile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scf.settings.test")

TARGET_MS = 150
PASSWORD = "bench-Pass-2026"
MAIN_OFFICER, SMALL_OFFICER = "bench_officer", "bench_officer_small"
SEED = 20261125


# --- the database --------------------------------------------------------------------------------

def prepare_database(reseed: bool) -> str:
    """Point DATABASE_URL at the bench database, creating (or re-creating) it; return a description."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        path = ROOT / "var" / "bench-inbox.sqlite3"
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


# --- seeding -------------------------------------------------------------------------------------

class Seeder:
    """Write organizations, users, processes and tasks straight into the tables."""

    def __init__(self, args) -> None:
        from django.contrib.contenttypes.models import ContentType
        from viewflow.workflow.fields import get_flow_ref, get_task_ref
        from viewflow.workflow.models import Process, Task

        from scf.parties.models import Organization
        from workflows.factoring.flows import FactoringFlow
        from workflows.inbox.models import CaseProcess

        self.args = args
        self.rng = random.Random(SEED)
        self.now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        self.today = datetime.date.today()
        self.flow_ref = get_flow_ref(FactoringFlow)
        self.nodes = {node.name: (get_task_ref(node), node.task_type) for node in FactoringFlow.instance.nodes()}
        self.org_ct = ContentType.objects.get_for_model(Organization).pk
        self.process_columns = [f.column for f in Process._meta.concrete_fields]
        self.case_columns = [f.column for f in CaseProcess._meta.local_concrete_fields]
        self.task_columns = [f.column for f in Task._meta.concrete_fields]
        self.processes: list[tuple] = []
        self.cases: list[tuple] = []
        self.tasks: list[tuple] = []
        self.process_id = (Process.objects.order_by("-id").values_list("id", flat=True).first() or 0)
        self.task_id = (Task.objects.order_by("-id").values_list("id", flat=True).first() or 0)
        self.closed = 0
        self.case_number = 0

    # people --------------------------------------------------------------------------------------

    def parties(self) -> None:
        from django.contrib.auth.models import Group
        from stdnum.cn import uscc

        from scf.parties.models import Membership, Organization, SettlementAccount, StaffGroup, User

        serial = iter(range(800000001, 900000000))

        def code() -> str:
            base = f"91310000{next(serial):09d}"
            return base + uscc.calc_check_digit(base)

        self.lender = Organization.objects.create(
            legal_name="基准测试银行", legal_name_en="Bench Bank", uscc=code(), is_lender=True)
        SettlementAccount.objects.create(organization=self.lender, bank_name="Bench Bank Shanghai",
                                         account_name="Bench Bank factoring collection",
                                         account_number="31009990001", is_default=True,
                                         status=SettlementAccount.Status.VERIFIED)
        self.small_lender = Organization.objects.create(
            legal_name="基准小银行", legal_name_en="Small Bench Bank", uscc=code(), is_lender=True)
        self.applicants = Organization.objects.bulk_create([
            Organization(legal_name=f"苏州样本供应商{i:03d}有限公司", legal_name_en=f"Sample Supplier {i:03d} Co., Ltd.",
                         uscc=code(), is_supplier=True)
            for i in range(self.args.applicants)])
        self.cores = Organization.objects.bulk_create([
            Organization(legal_name=f"核心企业集团{i:02d}", legal_name_en=f"Core Group {i:02d}", uscc=code(),
                         is_core=True)
            for i in range(20)])
        officer_group = Group.objects.get(name=StaffGroup.CREDIT_OFFICER)
        operations_group = Group.objects.get(name=StaffGroup.OPERATIONS)
        self.officer = User.objects.create_user(MAIN_OFFICER, password=PASSWORD, first_name="Bench",
                                                last_name="Officer")
        self.officer.groups.add(officer_group)
        Membership.objects.create(user=self.officer, organization=self.lender, role=Membership.Role.OPERATOR)
        self.small_officer = User.objects.create_user(SMALL_OFFICER, password=PASSWORD)
        self.small_officer.groups.add(officer_group)
        Membership.objects.create(user=self.small_officer, organization=self.small_lender,
                                  role=Membership.Role.OPERATOR)
        self.ops = User.objects.create_user("bench_ops", password=PASSWORD)
        self.ops.groups.add(operations_group)
        Membership.objects.create(user=self.ops, organization=self.lender, role=Membership.Role.OPERATOR)

    # rows ----------------------------------------------------------------------------------------

    def _process(self, *, created, finished, status, lender_pk) -> tuple[int, int, int | None]:
        self.process_id += 1
        self.case_number += 1
        applicant = self.rng.choice(self.applicants)
        counterparty = self.rng.choice(self.cores) if self.rng.random() < 0.9 else None
        values = {"id": self.process_id, "flow_class": self.flow_ref, "status": status, "created": created,
                  "finished": finished, "data": "{}", "parent_task_id": None, "seed_content_type_id": None,
                  "seed_object_id": None, "artifact_content_type_id": None, "artifact_object_id": None}
        self.processes.append(tuple(values[c] for c in self.process_columns))
        if status == "NEW":  # open: due in the coming months, a few without a due date yet
            due = (self.today + datetime.timedelta(days=self.rng.randint(1, 180))) if self.rng.random() < 0.95 else None
        else:  # finished cases fell due long ago
            due = created.date() + datetime.timedelta(days=self.rng.randint(30, 180))
        product = "factoring" if self.rng.random() < 0.8 else "reverse_factoring"
        case = {"process_ptr_id": self.process_id, "product": product,
                "reference": f"FF-{created.year}-{self.case_number:06d}", "applicant_id": applicant.pk,
                "counterparty_id": counterparty.pk if counterparty else None, "currency": "CNY",
                "amount": Decimal(self.rng.randint(5_000_000, 2_000_000_000)) / 100, "due_date": due,
                "is_open": status not in ("DONE", "CANCELED")}
        self.cases.append(tuple(case[c] for c in self.case_columns))
        return self.process_id, applicant.pk, counterparty.pk if counterparty else None

    def _task(self, process_id: int, node: str, *, status: str, created, finished=None, owner=None,
              permission=None, obj_pk=None) -> None:
        self.task_id += 1
        ref, task_type = self.nodes[node]
        values = {
            "id": self.task_id, "flow_task": ref, "flow_task_type": task_type, "status": status, "created": created,
            "assigned": finished if owner else None, "started": finished if owner else None, "finished": finished,
            "scheduled": None, "token": "start", "external_task_id": None, "owner_id": owner,
            "owner_permission": permission, "owner_permission_content_type_id": self.org_ct if permission else None,
            "owner_permission_obj_pk": str(obj_pk) if permission else None, "process_id": process_id, "data": "{}",
            "seed_content_type_id": None, "seed_object_id": None, "artifact_content_type_id": None,
            "artifact_object_id": None,
        }
        self.tasks.append(tuple(values[c] for c in self.task_columns))
        if status != "NEW":
            self.closed += 1

    def _permission(self, node: str, lender_pk: int, applicant: int, counterparty: int | None):
        """Return (owner_permission, object pk, owner) of a done human task of this node."""
        from workflows.inbox.assignment import OPERATE_FOR, SIGN_FOR

        return {
            "confirm": (OPERATE_FOR, counterparty or applicant, None),
            "review": ("inbox.decide_as_credit_officer", lender_pk, self.officer.pk),
            "revise": (OPERATE_FOR, applicant, None),
            "sign_supplier": (SIGN_FOR, applicant, None),
            "sign_debtor": (SIGN_FOR, counterparty or applicant, None),
            "sign_lender": (SIGN_FOR, lender_pk, None),
            "disburse": ("inbox.disburse", lender_pk, self.ops.pk),
            "collect": ("inbox.record_receipts", lender_pk, self.ops.pk),
            "settle": ("inbox.record_receipts", lender_pk, self.ops.pk),
        }.get(node, (None, None, None))

    def _done_chain(self, process_id, nodes, start, lender_pk, applicant, counterparty):
        moment = start
        for node in nodes:
            if self.closed >= self.args.closed:
                return moment
            finished = moment + datetime.timedelta(minutes=self.rng.randint(1, 2000))
            permission, obj_pk, owner = self._permission(node, lender_pk, applicant, counterparty)
            self._task(process_id, node, status="DONE", created=moment, finished=finished, owner=owner,
                       permission=permission, obj_pk=obj_pk)
            moment = finished
        return moment

    def open_cases(self, count: int, lender_pk: int) -> None:
        """`count` cases waiting for credit review at this lender, each with its earlier steps done."""
        for _ in range(count):
            review_at = self.now - datetime.timedelta(seconds=self.rng.randint(60, 90 * 86400))
            started = review_at - datetime.timedelta(days=self.rng.randint(1, 10))
            process_id, applicant, counterparty = self._process(created=started, finished=None, status="NEW",
                                                                lender_pk=lender_pk)
            self._done_chain(process_id, [n for n in ("start", "after_request", "confirm", "after_confirm")
                                          if n in self.nodes], started,
                             lender_pk, applicant, counterparty)
            self._task(process_id, "review", status="NEW", created=review_at,
                       permission="inbox.decide_as_credit_officer", obj_pk=lender_pk)

    def closed_cases(self) -> None:
        """Whole finished cases until the number of closed tasks is reached."""
        chain = ["start", "after_request", "confirm", "after_confirm", "review", "after_review", "contracts",
                 "signing", "sign_supplier", "sign_debtor", "sign_lender", "signed", "disburse", "collect",
                 "after_collect", "settle", "close", "end"]
        chain = [node for node in chain if node in self.nodes]  # the flow changes; keep the nodes it has
        while self.closed < self.args.closed:
            started = self.now - datetime.timedelta(seconds=self.rng.randint(91 * 86400, 3 * 365 * 86400))
            process_id, applicant, counterparty = self._process(created=started, finished=None, status="DONE",
                                                                lender_pk=self.lender.pk)
            end = self._done_chain(process_id, chain, started, self.lender.pk, applicant, counterparty)
            row = list(self.processes[-1])
            row[self.process_columns.index("finished")] = end
            self.processes[-1] = tuple(row)

    # writing -------------------------------------------------------------------------------------

    def write(self) -> None:
        from django.core.management.color import no_style
        from django.db import connection, transaction
        from viewflow.workflow.models import Process, Task

        tables = [("viewflow_process", self.process_columns, self.processes),
                  ("inbox_caseprocess", self.case_columns, self.cases),
                  ("viewflow_task", self.task_columns, self.tasks)]
        with transaction.atomic():
            with connection.cursor() as cursor:
                for table, columns, rows in tables:
                    if connection.vendor == "postgresql":
                        raw = cursor.cursor  # psycopg's own cursor, for COPY
                        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                            for row in rows:
                                copy.write_row(row)
                    else:
                        ops = connection.ops
                        adapted = [tuple(ops.adapt_datetimefield_value(v) if isinstance(v, datetime.datetime)
                                         else ops.adapt_datefield_value(v) if isinstance(v, datetime.date)
                                         else str(v) if isinstance(v, Decimal) else v for v in row)
                                   for row in rows]
                        marks = ", ".join(["%s"] * len(columns))
                        for start in range(0, len(adapted), 20_000):
                            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                                               adapted[start:start + 20_000])
                for statement in connection.ops.sequence_reset_sql(no_style(), [Process, Task]):
                    cursor.execute(statement)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for table, _columns, _rows in tables:
                    cursor.execute(f"VACUUM (ANALYZE) {table}")
                for table in ("parties_organization", "parties_membership", "parties_user"):
                    cursor.execute(f"ANALYZE {table}")
            else:
                cursor.execute("ANALYZE")


def seeded(args) -> bool:
    from viewflow.workflow.models import Task

    from scf.parties.models import User

    if not User.objects.filter(username=MAIN_OFFICER).exists():
        return False
    open_count = Task.objects.filter(status="NEW").count()
    closed_count = Task.objects.exclude(status="NEW").count()
    wanted = (args.open + args.small_open, args.closed)
    if (open_count, closed_count) != wanted:
        print(f"the bench database holds {open_count} open and {closed_count} closed tasks, not {wanted}: "
              f"run again with --reseed")
        raise SystemExit(2)
    return True


def seed(args) -> None:
    started = time.perf_counter()
    seeder = Seeder(args)
    seeder.parties()
    seeder.open_cases(args.open, seeder.lender.pk)
    seeder.open_cases(args.small_open, seeder.small_lender.pk)
    seeder.closed_cases()
    generated = time.perf_counter()
    seeder.write()
    print(f"seeded {len(seeder.processes):,} processes and {len(seeder.tasks):,} tasks "
          f"({args.open + args.small_open:,} open, {seeder.closed:,} closed) in "
          f"{generated - started:.1f} s + {time.perf_counter() - generated:.1f} s writing")


# --- measuring -----------------------------------------------------------------------------------

NEXT_LINK = re.compile(r'href="\?([^"]*after=[^"&]+)"')
COUNT = re.compile(r'<span class="count">(\d+)\+?</span>')
ROWS = re.compile(r'<a href="/inbox/\d+/">')


def fetch(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def follow(client, url: str, times: int) -> str | None:
    """Return the URL reached by following the page's "Next page" link `times` times (None: too few pages)."""
    import html

    for _ in range(times):
        match = NEXT_LINK.search(fetch(client, url))
        if not match:
            return None
        url = "/inbox/?" + html.unescape(match.group(1))
    return url


def scenarios(client, officer, open_count: int) -> list[tuple[str, str]]:
    """Return (name, url) of every page measured for this officer."""
    from viewflow.workflow.fields import get_task_ref

    from workflows.factoring.flows import FactoringFlow
    from workflows.inbox.models import CaseProcess
    from workflows.inbox.selectors import _encode, open_tasks

    review = get_task_ref(FactoringFlow.review)
    # A party with open tasks in this inbox: the applicant of the oldest one.
    first = open_tasks(officer).order_by("created", "id").first()
    applicant = CaseProcess.objects.select_related("applicant").get(pk=first.process_id).applicant
    party = applicant.legal_name[4:13]  # e.g. 供应商123有限 — a substring, as a person would type it
    # A page deep in the list: the cursor of the task 90 % of the way through (keyset: no OFFSET cost).
    deep = open_tasks(officer).order_by("created", "id")[int(open_count * 0.9)]
    pages = [
        ("first", "/inbox/"),
        ("next", follow(client, "/inbox/", 4)),
        ("deep", "/inbox/?after=" + _encode(deep.created.isoformat(), deep.pk)),
        ("newest", "/inbox/?sort=newest"),
        ("task", "/inbox/?" + urlencode({"task": review})),
        ("product", "/inbox/?product=factoring"),
        ("party", "/inbox/?party=" + quote(party)),
        ("party_next", follow(client, "/inbox/?party=" + quote(party), 1)),
        ("due", "/inbox/?sort=due"),
        ("due_next", follow(client, "/inbox/?sort=due", 4)),
        ("amount", "/inbox/?sort=amount"),
        ("amount_next", follow(client, "/inbox/?sort=amount", 4)),
    ]
    return [(name, url) for name, url in pages if url is not None]


def measure(client, url: str, reps: int, warmup: int, profile: bool = False) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        fetch(client, url)
    with CaptureQueriesContext(connection) as captured:
        body = fetch(client, url)
    queries = list(captured.captured_queries)  # read now: the next request_started clears the log
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    timings = []
    for _ in range(reps):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    if profiler is not None:
        import pstats

        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
    count = COUNT.search(body)
    return {"median": statistics.median(timings), "p95": percentile(timings, 0.95), "min": min(timings),
            "queries": len(queries), "sql": queries,
            "count": int(count.group(1)) if count else 0, "rows": len(ROWS.findall(body)), "bytes": len(body)}


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join("    " + " | ".join(str(c) for c in row) for row in cursor.fetchall())


def print_plans(name: str, result: dict) -> None:
    task_queries = [q for q in result["sql"] if "viewflow_task" in q["sql"]]
    for query in task_queries:
        shown = re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", query["sql"], count=1)
        print(f"  -- {name}: {float(query['time']) * 1000:.1f} ms in the captured request\n    {shown}")
        print(explain(query["sql"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30, help="timed requests per page (default 30)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--open", type=int, default=50_000, help="open tasks in the main officer's inbox")
    parser.add_argument("--small-open", type=int, default=5_000, help="open tasks in the second officer's inbox")
    parser.add_argument("--closed", type=int, default=500_000, help="closed tasks in the table")
    parser.add_argument("--applicants", type=int, default=300)
    parser.add_argument("--reseed", action="store_true", help="drop the bench database and seed it again")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of every page's task queries")
    parser.add_argument("--profile", metavar="PAGE", help="print a cProfile of the requests of one page (e.g. first)")
    args = parser.parse_args()

    print(f"machine: a 3,000,000-step Python loop takes {calibrate():.0f} ms (min of 5); load average "
          f"{os.getloadavg()[0]:.2f}; compare runs with these; code {code_state()}")
    where = prepare_database(args.reseed)
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from scf.parties.models import User

    # Not setup_test_environment(): it instruments template rendering for tests, which is not server time.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"database: {where} (migrated in {time.perf_counter() - started:.1f} s)")
    if not seeded(args):
        seed(args)
    else:
        print("reusing the seeded data (--reseed to seed again)")

    results: dict[str, dict[str, dict]] = {}
    for label, username, open_count in (("50k", MAIN_OFFICER, args.open), ("5k", SMALL_OFFICER, args.small_open)):
        officer = User.objects.get(username=username)
        client = Client()
        client.force_login(officer)
        results[label] = {}
        print(f"\n{username}: {open_count:,} open tasks in the inbox; {args.reps} requests a page")
        print(f"  {'page':<12} {'median':>8} {'p95':>8} {'min':>8} {'queries':>8} {'count':>7} {'rows':>5} "
              f"{'KiB':>5}")
        for name, url in scenarios(client, officer, open_count):
            result = measure(client, url, args.reps, args.warmup, profile=args.profile == name and label == "50k")
            results[label][name] = result
            flag = "  OVER TARGET" if result["median"] > TARGET_MS or result["p95"] > TARGET_MS else ""
            print(f"  {name:<12} {result['median']:>6.1f}ms {result['p95']:>6.1f}ms {result['min']:>6.1f}ms "
                  f"{result['queries']:>8} {result['count']:>7} {result['rows']:>5} {result['bytes'] / 1024:>5.0f}"
                  f"{flag}")
            if args.explain or (flag and connection.vendor == "postgresql" and label == "50k"):
                print_plans(name, result)

    big, small = results["50k"], results["5k"]
    # The inbox counts up to COUNT_CAP and then shows "1000+".
    from workflows.inbox.selectors import COUNT_CAP

    assert big["first"]["count"] == min(args.open, COUNT_CAP), f"the inbox shows {big['first']['count']} tasks"
    assert small["first"]["count"] == min(args.small_open, COUNT_CAP)
    assert big["first"]["rows"] == 25 and big["next"]["rows"] == 25
    query_counts = sorted({r["queries"] for r in big.values()})
    small_counts = sorted({r["queries"] for r in small.values()})
    same = all(big[name]["queries"] == small[name]["queries"] for name in big if name in small)
    print(f"\nqueries a page: {query_counts} with {args.open:,} open, {small_counts} with {args.small_open:,} "
          f"open — {'the same for every page' if same else 'DIFFERENT'}")
    over = [f"{name} ({r['median']:.0f}/{r['p95']:.0f} ms)" for name, r in big.items()
            if r["median"] > TARGET_MS or r["p95"] > TARGET_MS]
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    print(f"target {TARGET_MS} ms (median and p95): " + ("met by every page" if not over else
                                                         "over on " + ", ".join(over)))

    def q(counts):
        return str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"

    worst = max(big.values(), key=lambda r: r["median"])
    worst_name = next(name for name, r in big.items() if r is worst)
    sorted_median = max(big[n]["median"] for n in ("due", "amount", "due_next", "amount_next"))
    print(f"inbox: db={connection.vendor} open={args.open} closed={args.closed} "
          f"first_median_ms={big['first']['median']:.1f} first_p95_ms={big['first']['p95']:.1f} "
          f"next_median_ms={big['next']['median']:.1f} deep_median_ms={big['deep']['median']:.1f} "
          f"filter_median_ms={max(big[n]['median'] for n in ('task', 'product')):.1f} "
          f"party_median_ms={big['party']['median']:.1f} sorted_median_ms={sorted_median:.1f} "
          f"worst={worst_name}:{worst['median']:.1f} queries={q(query_counts)} "
          f"queries_at_{args.small_open}={q(small_counts)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
