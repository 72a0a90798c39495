"""Benchmark: pages under concurrent use through gunicorn (2 workers) on PostgreSQL, with a real Celery worker.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/scfbench_web BENCH_BROKER_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python bench/web.py [--open 50000] [--closed 500000] [--requests 30] [--sign 40] [--port 8711]

Drops and creates the database named by DATABASE_URL, migrates it and seeds, by bench/inbox.py's COPY
seeder, a credit officer with `--open` open and `--closed` closed tasks; then, through the services,
`--sign` factoring financings of another lender waiting for their supplier's signature (PDFs rendered
by bench/lifecycle.py's stand-ins, so that seeding takes seconds; the signature still checks the stored
file's hash). Then it starts gunicorn with 2 sync workers (`scf.settings.production`, DEBUG off,
passwords hashed with Django's PBKDF2 as in production) and one documents worker on the Redis broker
BENCH_BROKER_URL (emptied first; results in the next database number), and measures over loopback:

- the officer's inbox (`/inbox/`, 50,000 open tasks) and a case page (`/factoring/<pk>/`, as the
  supplier) at 1, 4 and 16 concurrent clients, each client sending `--requests` requests one after
  another (a bounded load: no client waits on another's answer; the first request of each client is
  a warm-up and not counted);
- the signing click (POST of the password on the supplier's signing task, which signs the agreement
  and the notice and completes the step; the worker seals later), one case each click, by one client
  (`--sign-clients` for more: with 2 sync workers, concurrent clicks queue behind each other's password
  checks).

Sessions are made by the bench (Django's test client logs the user in and hands over the cookie), and
the second factor of staff sign-in is switched off (SECOND_FACTOR_REQUIRED=false): sign-in is not
measured; the pages are. Every answer must be 200 (302 for the signing click) or it counts as an error.
Goals (issue 15): inbox and case page p95 under 250 ms at 4 clients with no errors; the signing click
p95 under 500 ms. Each series prints median, p95 and spread (min–max); the last line is machine-readable:

    web: db=postgresql open=N closed=N inbox_c4_median_ms=N inbox_c4_p95_ms=N ... sign_p95_ms=N errors=N load=N
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from pathlib import Path

from benchkit import calibrate, code_state, percentile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = ROOT / ".venv" / "bin"
PASSWORD = "pw-Secret-123"  # tests.factories.UserFactory's
INBOX_GOAL_MS, SIGN_GOAL_MS = 250, 500


# --- the data --------------------------------------------------------------------------------------

class SigningWorld:
    """A second lender, a supplier and its debtor, and financings waiting for the supplier's signature."""

    def __init__(self) -> None:
        from django.contrib.auth.models import Group
        from django.utils import timezone

        from scf.facilities.models import Product
        from scf.parties.models import Membership, StaffGroup
        from tests.factories import FacilityFactory, LenderFactory, MembershipFactory, OrganizationFactory, UserFactory

        today = timezone.localdate()
        self.lender = LenderFactory(legal_name="网页基准银行", legal_name_en="Web Bench Bank",
                                    bank_name="Web Bench Bank Shanghai", bank_account_name="Web Bench Bank collection",
                                    bank_account_number="31007654321")
        self.supplier = OrganizationFactory(legal_name="上海网页基准供应商有限公司", legal_name_en="Web Bench Supplier",
                                            bank_name="ICBC", bank_account_name="Web Bench Supplier",
                                            bank_account_number="1002")
        self.debtor = OrganizationFactory(legal_name="网页基准核心企业", legal_name_en="Web Bench Core",
                                          is_supplier=False, is_core=True)
        FacilityFactory(lender=self.lender, obligor=self.supplier, anchor=self.debtor, product=Product.FACTORING,
                        limit_amount=Decimal("100000000000.00"), valid_from=today - datetime.timedelta(days=30),
                        valid_to=today + datetime.timedelta(days=700), max_tenor_days=180)

        def member(organization, username, *roles, group=None):
            user = UserFactory(username=username)
            for role in roles:
                MembershipFactory(user=user, organization=organization, role=role)
            if group:
                user.groups.add(Group.objects.get(name=group))
            return user

        self.supplier_user = member(self.supplier, "web_supplier", Membership.Role.OPERATOR, Membership.Role.SIGNATORY)
        self.debtor_user = member(self.debtor, "web_core", Membership.Role.OPERATOR, Membership.Role.SIGNATORY)
        self.officer = member(self.lender, "web_officer", Membership.Role.OPERATOR, group=StaffGroup.CREDIT_OFFICER)

    def financing_to_sign(self, number: int):
        """Request, confirm and approve one financing; return it with its contracts issued."""
        from django.utils import timezone

        from workflows.factoring import services

        today = timezone.localdate()
        receivable = services.receivable_create(
            supplier=self.supplier, debtor=self.debtor, invoice_number=f"WEB-{number:06d}",
            issue_date=today - datetime.timedelta(days=10), due_date=today + datetime.timedelta(days=90),
            face_amount=Decimal("1000000.00"), acting_user=self.supplier_user)
        financing = services.financing_request_create(supplier=self.supplier, receivables=[receivable],
                                                      value_date=today, acting_user=self.supplier_user)
        services.receivable_confirm(receivable=receivable, amount=receivable.face_amount, note="",
                                    acting_user=self.debtor_user)
        services.financing_review_decide(financing=financing, approver=self.officer, decision="approve")
        return financing


def seed(args) -> dict:
    """Seed the inbox and the signing cases; return what the clients need (sessions, URLs)."""
    import inbox
    from django.test import Client
    from viewflow.workflow.models import Task

    from scf.parties.models import User

    started = time.perf_counter()
    inbox.seed(argparse.Namespace(open=args.open, small_open=0, closed=args.closed, applicants=300))
    print(f"inbox seeded in {time.perf_counter() - started:.1f} s")

    import lifecycle

    lifecycle.install_stand_ins()
    started = time.perf_counter()
    world = SigningWorld()
    financings = [world.financing_to_sign(number) for number in range(args.sign + 1)]
    print(f"{len(financings)} financings waiting for the supplier's signature seeded in "
          f"{time.perf_counter() - started:.1f} s")
    sign_tasks = []
    for financing in financings:
        task = next(t for t in Task.objects.filter(process__caseprocess__reference=financing.reference, status="NEW")
                    if t.flow_task.name == "sign_supplier")
        sign_tasks.append(f"/inbox/{task.pk}/")

    def session(username: str) -> str:
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client.cookies["sessionid"].value

    return {"officer": [session(inbox.MAIN_OFFICER) for _ in range(16)],
            "supplier": [session("web_supplier") for _ in range(16)],
            "case": f"/factoring/{financings[0].pk}/", "sign": sign_tasks[1:]}


# --- the processes ---------------------------------------------------------------------------------

def start(env: dict, log: Path, *command: str) -> subprocess.Popen:
    return subprocess.Popen(list(command), cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def wait_up(base: str, processes: list[subprocess.Popen], seconds: float = 120) -> None:
    import json

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if any(p.poll() is not None for p in processes):
            raise SystemExit("a server process stopped while starting: see its log")
        try:
            with urllib.request.urlopen(base + "/health/", timeout=10) as answer:
                report = json.loads(answer.read())
            if report["status"] == "ok" and report["workers"].get("count", 0) >= 1:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
            pass
        time.sleep(1)
    raise SystemExit(f"gunicorn and the worker did not report healthy within {seconds:.0f} s")


# --- the clients -----------------------------------------------------------------------------------

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect())


def fetch(base: str, path: str, session: str, data: bytes | None = None, csrf: str = "") -> tuple[int, bytes]:
    headers = {"Cookie": f"sessionid={session}" + (f"; csrftoken={csrf}" if csrf else ""), "Accept-Language": "en"}
    if data is not None:
        headers.update({"X-CSRFToken": csrf, "Referer": base + path, "Origin": base})
    request = urllib.request.Request(base + path, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with OPENER.open(request, timeout=30) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def load(base: str, clients: int, requests: int, path: str, sessions: list[str]) -> tuple[list[float], int]:
    """`clients` threads, each sending `requests` + 1 GETs one after another (the first not counted)."""
    timings: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client(session: str) -> None:
        fetch(base, path, session)
        for _ in range(requests):
            started = time.perf_counter()
            status, _body = fetch(base, path, session)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                timings.append(elapsed)
                errors[0] += status != 200
    threads = [threading.Thread(target=client, args=(sessions[i % len(sessions)],)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, errors[0]


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def sign_load(base: str, clients: int, tasks: list[str], sessions: list[str]) -> tuple[list[float], int]:
    """`clients` threads sharing the signing tasks: each opens a task page (not timed) and posts its password."""
    timings: list[float] = []
    errors = [0]
    lock = threading.Lock()
    queue = list(tasks)
    body = urllib.parse.urlencode({"password": PASSWORD})

    def client(session: str) -> None:
        while True:
            with lock:
                if not queue:
                    return
                path = queue.pop(0)
            csrf = secrets.token_hex(16)  # Django accepts a 32-character token of our own, as cookie and field
            status, page = fetch(base, path, session, csrf=csrf)
            started = time.perf_counter()
            status, _answer = fetch(base, path, session, data=f"{body}&csrfmiddlewaretoken={csrf}".encode(),
                                    csrf=csrf)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                timings.append(elapsed)
                errors[0] += status != 302
                if status != 302 and errors[0] == 1:
                    print(f"  first signing error: {path} answered {status}: {_answer[:300]!r}")
    threads = [threading.Thread(target=client, args=(sessions[i],)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, errors[0]


def summary(name: str, timings: list[float], errors: int) -> dict:
    result = {"median": statistics.median(timings), "p95": percentile(timings, 0.95), "min": min(timings),
              "max": max(timings), "n": len(timings), "errors": errors}
    print(f"  {name:<18} n={result['n']:<4} median {result['median']:7.1f} ms   p95 {result['p95']:7.1f} ms   "
          f"spread {result['min']:.1f}–{result['max']:.1f} ms   errors {errors}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=50_000, help="open tasks in the officer's inbox")
    parser.add_argument("--closed", type=int, default=500_000, help="closed tasks in the table")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per client and page")
    parser.add_argument("--sign", type=int, default=40, help="signing clicks (one financing each)")
    parser.add_argument("--sign-clients", type=int, default=1,
                        help="concurrent signers (default 1: a click's own time; more queue on the 2 workers)")
    parser.add_argument("--port", type=int, default=8711)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if "postgres" not in url:
        raise SystemExit("DATABASE_URL must name a PostgreSQL database (it is dropped and created)")
    broker = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/3")
    number = int(urllib.parse.urlparse(broker).path.strip("/") or 0)
    results_url = broker.rsplit("/", 1)[0] + f"/{number + 1}"
    work = Path(tempfile.mkdtemp(prefix="scf-bench-web-"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "scf.settings.production", "SECRET_KEY": secrets.token_hex(32),
           "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver", "SECURE_SSL_REDIRECT": "false",
           "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false", "SECOND_FACTOR_REQUIRED": "false",
           "CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": results_url, "CELERY_TASK_ALWAYS_EAGER": "false",
           "MEDIA_ROOT": str(work / "media"), "SEAL_PKCS12_FILE": str(work / "seal.p12"), "LOG_LEVEL": "WARNING",
           "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend", "PYTHONUNBUFFERED": "1",
           "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}"}
    print(f"machine: a 3,000,000-step Python loop takes {calibrate():.0f} ms (min of 5); load average "
          f"{os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; code {code_state()}")

    import inbox

    where = inbox.prepare_database(reseed=True)
    os.environ.update({k: v for k, v in env.items() if k != "PATH"}, CELERY_TASK_ALWAYS_EAGER="true")
    import django

    django.setup()
    import redis
    from django.core.management import call_command

    redis.Redis.from_url(broker).flushdb()
    redis.Redis.from_url(results_url).flushdb()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"database: {where} (migrated in {time.perf_counter() - started:.1f} s)")
    data = seed(args)
    from django.db import connections

    connections.close_all()

    base = f"http://127.0.0.1:{args.port}"
    web = start(env, work / "web.log", str(VENV_BIN / "gunicorn"), "scf.wsgi", "--bind", f"127.0.0.1:{args.port}",
                "--workers", "2")
    worker = start(env, work / "worker.log", str(VENV_BIN / "celery"), "-A", "scf", "worker", "--queues",
                   "documents,celery", "--concurrency", "1", "--hostname", "bench-documents@%h", "--loglevel",
                   "WARNING")
    results: dict[str, dict] = {}
    try:
        wait_up(base, [web, worker])
        print(f"gunicorn (2 workers) and a documents worker up; load average {os.getloadavg()[0]:.2f}")
        for clients in (1, 4, 16):  # 1: a request's own time; 4 and 16: with waiting for the 2 workers
            print(f"\n{clients} clients, {args.requests} timed requests each:")
            results[f"inbox_c{clients}"] = summary(
                f"inbox ({args.open:,} open)",
                *load(base, clients, args.requests, "/inbox/", data["officer"]))
            results[f"case_c{clients}"] = summary("case page", *load(base, clients, args.requests, data["case"],
                                                                       data["supplier"]))
        print(f"\nsigning click, {args.sign_clients} client(s), {len(data['sign'])} cases:")
        results["sign"] = summary("sign (password)", *sign_load(base, args.sign_clients, data["sign"],
                                                                data["supplier"]))
    finally:
        stop(web)
        stop(worker)
        shutil.rmtree(work, ignore_errors=True)  # the seeded PDFs and the seal
    load_after = os.getloadavg()[0]
    errors = sum(r["errors"] for r in results.values())
    met = (results["inbox_c4"]["p95"] < INBOX_GOAL_MS and results["case_c4"]["p95"] < INBOX_GOAL_MS
           and results["sign"]["p95"] < SIGN_GOAL_MS and errors == 0)
    print(f"\nload average at the end {load_after:.2f}; goals (p95 under {INBOX_GOAL_MS} ms at 4 clients, signing "
          f"under {SIGN_GOAL_MS} ms, no errors): {'met' if met else 'NOT met'}")
    fields = " ".join(f"{name}_{key}_ms={result[key]:.1f}" for name, result in results.items()
                      for key in ("median", "p95"))
    print(f"web: db=postgresql open={args.open} closed={args.closed} {fields} errors={errors} load={load_after:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
