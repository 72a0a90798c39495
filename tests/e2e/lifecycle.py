"""One factoring case through the production topology: gunicorn, real Celery workers and beat, no eager mode.

    make e2e
    E2E_DATABASE_URL=postgres://postgres@127.0.0.1:5432/scf_e2e E2E_BROKER_URL=redis://127.0.0.1:6379/12 \\
        .venv/bin/python tests/e2e/lifecycle.py [--port 8790] [--timeout 600] [--keep] [--template DB]

What it does, failing with a clear message and the processes' logs on any error:

1. drops and creates the PostgreSQL database named by E2E_DATABASE_URL, migrates it, seeds the demo
   (`seed_demo`) and makes a seal certificate, with `scf.settings.production` (DEBUG off, JSON logs);
   empties the broker's Redis database (E2E_BROKER_URL; results in the next database number);
2. starts the Procfile with honcho — gunicorn, the documents, mail and nightly-batch workers, beat —
   and waits until /health/ reports the database, the broker and the three workers;
3. drives one factoring case over HTTP as its users do, each with their own session, CSRF token and,
   for the lender's staff, the second factor (enrolled on first sign-in from the key the page shows):
   supplier2 registers an invoice on core1 and requests financing, core1 confirms it, the credit
   approvers approve, supplier2, core1 and the lender's signatory sign, `ops` prepares the disbursement
   and `ops2` releases it. Every wait for the workers (contracts issued, documents sealed, the next task)
   polls with a deadline;
4. checks that every signed contract has its sealed PDF, downloads each as the supplier and validates
   the lender's seal, that the financing is disbursed, and that the log lines are JSON and carry the
   request ids sent — in the web process and, carried with the task, in the worker that sealed;
5. stops every process it started.

The run is bounded by --timeout (seconds, for the whole run). Exit status 0 when everything held.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import hmac
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PASSWORD = "demo-pass-2026"
WORKERS = ("documents@", "mail@", "batch@")


class Failure(Exception):
    """The run failed; the message says where."""


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()

    def check(self, doing: str) -> None:
        if self.left() <= 0:
            raise Failure(f"the run's time limit was reached while {doing}")


def step(message: str) -> None:
    print(f"[e2e {time.strftime('%H:%M:%S', time.gmtime())}] {message}", flush=True)


def poll(what: str, probe, deadline: Deadline, *, timeout: float, every: float = 0.5):
    """Call probe() until it returns something truthy; fail naming `what` after `timeout` seconds."""
    end = min(time.monotonic() + timeout, deadline.end)
    last_error = None
    while True:
        try:
            found = probe()
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            found, last_error = None, error
        if found:
            return found
        if time.monotonic() >= end:
            raise Failure(f"waited {timeout:.0f} s for {what}" + (f" (last error: {last_error})" if last_error else ""))
        time.sleep(every)


# --- the second factor (RFC 6238), as an authenticator app computes it -----------------------------------

def totp(secret: str, step_number: int) -> str:
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    digest = hmac.new(key, struct.pack(">Q", step_number), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


# --- a browser without JavaScript: cookies, CSRF, forms ------------------------------------------------

class FormParser(HTMLParser):
    """Collect every form of a page: its action and its fields' current values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""), "method": attrs.get("method", "get").lower(),
                               "fields": [], "options": {}})
            return
        if not self.forms:
            return
        form = self.forms[-1]
        if tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                form["options"].setdefault(attrs["name"], []).append(attrs.get("value", "on"))
                if "checked" in attrs:
                    form["fields"].append((attrs["name"], attrs.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                form["fields"].append((attrs["name"], attrs.get("value", "")))
        elif tag == "select" and attrs.get("name"):
            self._select = {"name": attrs["name"], "value": None, "first": None}
        elif tag == "option" and self._select is not None:
            value = attrs.get("value", "")
            form["options"].setdefault(self._select["name"], []).append(value)
            if self._select["first"] is None:
                self._select["first"] = value
            if "selected" in attrs:
                self._select["value"] = value
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = {"name": attrs["name"], "text": ""}

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None and self.forms:
            value = self._select["value"] if self._select["value"] is not None else self._select["first"]
            self.forms[-1]["fields"].append((self._select["name"], value or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self.forms:
            self.forms[-1]["fields"].append((self._textarea["name"], self._textarea["text"]))
            self._textarea = None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Response:
    def __init__(self, status: int, headers, body: bytes, url: str) -> None:
        self.status, self.headers, self.body, self.url = status, headers, body, url

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")


class Browser:
    """One user's session: cookies kept, redirects followed for GET, each request with its own X-Request-ID."""

    ids = itertools.count(1)

    def __init__(self, base: str, username: str, run_id: str) -> None:
        self.base, self.username, self.run_id = base, username, run_id
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())
        self.sent_ids: list[str] = []
        self.secret: str | None = None
        self.last_step = 0

    def request(self, method: str, path: str, data: list[tuple[str, str]] | None = None) -> Response:
        url = urllib.parse.urljoin(self.base, path)
        request_id = f"{self.run_id}-{next(self.ids)}"
        self.sent_ids.append(request_id)
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, method=method,
                                         headers={"X-Request-ID": request_id, "Referer": url,
                                                  "Accept-Language": "en"})
        try:
            with self.opener.open(request, timeout=60) as answer:
                return Response(answer.status, answer.headers, answer.read(), url)
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read(), url)

    def get(self, path: str, *, expect: int | None = 200) -> Response:
        for _ in range(6):
            response = self.request("GET", path)
            if response.status in (301, 302, 303):
                path = response.location
                continue
            break
        if expect is not None and response.status != expect:
            raise Failure(f"{self.username}: GET {path} answered {response.status}, not {expect}\n"
                          f"{response.text[:1500]}")
        return response

    def submit(self, path: str, values: dict[str, str | list[str]] | None = None, *,
               action: str | None = None, expect: tuple[int, ...] = (302,), page: Response | None = None) -> Response:
        """Load the page (unless given), fill its form as a person would (the defaults kept), post it."""
        page = page or self.get(path)
        parser = FormParser()
        parser.feed(page.text)
        forms = [f for f in parser.forms if f["method"] == "post"]
        if action is not None:
            forms = [f for f in forms if f["action"] == action]
        if not forms:
            raise Failure(f"{self.username}: no form to post on {path}" + (f" for {action}" if action else ""))
        # The page's own form, not the header's (the language menu posts too): the one with the most fields asked.
        wanted = set(values or {})
        form = max(enumerate(forms), key=lambda pair: (
            len(wanted & ({k for k, _ in pair[1]["fields"]} | set(pair[1]["options"]))),
            not pair[1]["action"].startswith("/i18n/"), -pair[0]))[1]
        fields = [(k, v) for k, v in form["fields"] if k not in (values or {})]
        for name, value in (values or {}).items():
            for one in value if isinstance(value, list) else [value]:
                fields.append((name, one))
        target = form["action"] or urllib.parse.urlparse(page.url).path + (
            "?" + urllib.parse.urlparse(page.url).query if urllib.parse.urlparse(page.url).query else "")
        response = self.request("POST", target, fields)
        if response.status not in expect:
            errors = re.findall(r'<ul class="errorlist[^"]*">(.*?)</ul>', response.text, re.S)
            raise Failure(f"{self.username}: POST {target} answered {response.status}, not {expect}; "
                          f"form errors: {[re.sub('<[^>]+>', ' ', e).strip() for e in errors] or 'none shown'}\n"
                          f"{response.text[:1500] if not errors else ''}")
        return response

    # signing in --------------------------------------------------------------------------------------

    def code(self) -> str:
        """A fresh code: never one of a time step already used (the server refuses a replay)."""
        now = int(time.time()) // 30
        wanted = max(now, self.last_step + 1)
        while wanted > int(time.time()) // 30 + 1:  # beyond the server's tolerance of one step: wait
            time.sleep(1)
        self.last_step = wanted
        return totp(self.secret, wanted)

    def sign_in(self) -> None:
        page = self.get(self.submit("/accounts/login/", {"username": self.username, "password": PASSWORD}).location)
        if "/accounts/second-factor/enrol/" in page.url:
            found = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page.text)
            if not found:
                raise Failure(f"{self.username}: the enrolment page shows no key")
            self.secret = found.group(1)
            self.submit(page.url, {"code": self.code()}, page=page, expect=(200, 302))
        elif "/accounts/second-factor/" in page.url:
            raise Failure(f"{self.username}: asked for a second factor that was never enrolled in this run")
        if 'class="who"' not in self.get("/").text:
            raise Failure(f"{self.username}: not signed in after the login form")

    def task_for(self, reference: str, deadline: Deadline, *, timeout: float, field: str = "", ready=None) -> str:
        """The URL of this user's open task on the case whose form has `field`, polled until it appears.

        Polled because workers may still be busy (contracts rendered, documents sealed), and until `ready(page)`
        holds when given; found by the form's field rather than by its title, which is in the user's language.
        """
        pattern = re.compile(r'<a href="(/inbox/\d+/)">[^<]*</a></td>\s*<td>' + re.escape(reference) + "</td>")

        def probe():
            for url in pattern.findall(self.get("/inbox/?party=").text):
                page = self.get(url).text
                if (not field or f'name="{field}"' in page) and (ready is None or ready(page)):
                    return url
            return None

        return poll(f"{self.username}'s task on {reference}" + (f" (a form with {field})" if field else ""), probe,
                    deadline, timeout=timeout)


# --- the topology --------------------------------------------------------------------------------------

def database_recreate(url: str, template: str | None = None) -> None:
    import environ
    import psycopg

    config = environ.Env.db_url_config(url)
    if "postgres" not in config["ENGINE"]:
        raise Failure(f"E2E_DATABASE_URL must name a PostgreSQL database, not {config['ENGINE']}")
    with psycopg.connect(host=config.get("HOST") or None, port=config.get("PORT") or None,
                         user=config.get("USER") or None, password=config.get("PASSWORD") or None,
                         dbname="postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{config["NAME"]}"' + (f' TEMPLATE "{template}"' if template else ""))


def broker_empty(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def manage(env: dict, *args: str, timeout: float) -> None:
    started = time.monotonic()
    result = subprocess.run([str(VENV_BIN / "python"), "manage.py", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise Failure(f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n"
                      f"{result.stderr[-3000:]}")
    step(f"manage.py {args[0]} done in {time.monotonic() - started:.1f} s")


def health(base: str) -> dict | None:
    try:
        with urllib.request.urlopen(base + "/health/", timeout=10) as answer:
            return json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read() or b"{}")


def all_up(base: str) -> dict | None:
    report = health(base)
    if not report or report.get("status") != "ok" or report["broker"].get("status") != "ok":
        return None
    names = report["workers"].get("names", [])
    if not all(any(name.startswith(prefix) for name in names) for prefix in WORKERS):
        return None
    return report


def stop(process: subprocess.Popen) -> None:
    """Stop honcho and everything it started: SIGTERM to the group, SIGKILL after 20 s."""
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


# --- the case -----------------------------------------------------------------------------------------

DOCUMENT_STATES = re.compile(r'<li><a href="/documents/\d+/">[^<]*</a>[^<]*<span class="badge state-(\w+)"')


def documents_issued(page: str) -> bool:
    """The signing page lists its documents, every one issued (the flow waits for that in its rendering step)."""
    states = DOCUMENT_STATES.findall(page)
    return bool(states) and all(state == "issued" for state in states)


def drive(base: str, deadline: Deadline, run_id: str) -> tuple[str, list[Browser]]:
    """Run the case through the portal; return its reference and the sessions used."""
    users = {name: Browser(base, name, run_id) for name in ("supplier2", "core1", "officer", "risk", "committee",
                                                            "ops", "ops2")}
    supplier, core = users["supplier2"], users["core1"]
    today = datetime.date.today()
    invoice = f"E2E-{run_id}"
    face = "100000.00"

    step("supplier2 signs in and registers an invoice on core1")
    supplier.sign_in()
    page = supplier.get("/factoring/receivables/")
    core1 = re.search(r'<option value="(\d+)"[^>]*>[^<]*(?:华东重工|East China Heavy)', page.text)
    if not core1:
        raise Failure("supplier2's invoice form offers no core1 as debtor")
    supplier.submit("/factoring/receivables/", {
        "debtor": core1.group(1), "invoice_number": invoice, "issue_date": str(today - datetime.timedelta(days=5)),
        "due_date": str(today + datetime.timedelta(days=90)), "face_amount": face, "currency": "CNY"}, page=page)

    step("supplier2 asks for the quote, then applies")
    page = supplier.get("/factoring/request/")
    chosen = re.search(r'value="(\d+)"[^>]*>(?:(?!<input).){0,400}?' + re.escape(invoice), page.text, re.S)
    if not chosen:
        raise Failure(f"the request page does not offer invoice {invoice}")
    quoted = supplier.submit("/factoring/request/", {"receivables": chosen.group(1), "value_date": str(today),
                                                     "action": "quote"}, page=page, expect=(200,))
    applied = supplier.submit("/factoring/request/", {"receivables": chosen.group(1), "value_date": str(today),
                                                      "action": "apply"}, page=quoted)
    detail_url = applied.location
    reference = re.search(r"FF-\d{4}-\d{5}", supplier.get(detail_url).text)
    if not reference:
        raise Failure(f"the case page {detail_url} shows no reference")
    reference = reference.group(0)
    step(f"case {reference} requested ({detail_url})")

    step("core1 confirms the invoice in full")
    core.sign_in()
    url = core.task_for(reference, deadline, timeout=60)
    page = core.get(url)
    prefix = re.search(r'name="(r\d+)-decision"', page.text)
    if not prefix:
        raise Failure(f"core1's task {url} has no confirmation form")
    core.submit(url, {f"{prefix.group(1)}-decision": "confirm", f"{prefix.group(1)}-amount": face,
                      f"{prefix.group(1)}-note": ""}, page=page)

    step("the credit approvers approve, each when the case reaches them")
    approvers = [users[name] for name in ("officer", "risk", "committee")]
    decided: set[str] = set()
    while True:
        deadline.check(f"waiting for the approvals of {reference}")

        def next_approval():
            if supplier.get("/inbox/?party=").text.find(reference) >= 0:
                return "signing"
            for approver in approvers:
                if approver.username in decided:
                    continue
                if approver.secret is None:
                    approver.sign_in()
                found = re.search(r'<a href="(/inbox/\d+/)">[^<]*</a></td>\s*<td>' + re.escape(reference),
                                  approver.get("/inbox/?party=").text)
                if found:
                    return approver, found.group(1)
            return None

        found = poll(f"an approval task or supplier2's signing task on {reference}", next_approval, deadline,
                     timeout=90, every=1)
        if found == "signing":
            break
        approver, url = found
        approver.submit(url, {"decision": "approve", "comment": ""})
        decided.add(approver.username)
        step(f"{approver.username} approved")

    step("the three parties sign (tasks polled: contracts are rendered by a worker)")
    lender_signer = users["ops"]
    lender_signer.sign_in()
    for signer in (supplier, core, lender_signer):
        url = signer.task_for(reference, deadline, timeout=120, field="password", ready=documents_issued)
        values = {"password": PASSWORD}
        if signer.secret:
            values["otp_code"] = signer.code()
        signer.submit(url, values)
        step(f"{signer.username} signed")
    return reference, list(users.values())


def disburse(base: str, reference: str, users: dict[str, Browser], deadline: Deadline) -> None:
    ops, ops2 = users["ops"], users["ops2"]
    step("ops prepares the disbursement (the task appears once the sealed documents exist)")
    url = ops.task_for(reference, deadline, timeout=120, field="confirm")
    ops.submit(url, {"confirm": "on"})
    step("ops2 releases it")
    ops2.sign_in()
    row = re.compile(r'<tr id="release-(\d+)"><td>[^<]*</td><td>' + re.escape(reference) + "</td>")
    release = poll(f"the disbursement of {reference} on ops2's Releases page",
                   lambda: row.search(ops2.get("/releases/").text), deadline, timeout=30)
    action = f"/releases/{release.group(1)}/release/"
    ops2.submit("/releases/", {"otp_code": ops2.code()}, action=action)


def check_sealed(reference: str, supplier: Browser, deadline: Deadline) -> list[int]:
    """Every signed contract of the case has its sealed PDF; the supplier downloads each and the seal holds."""
    from documents.models import Document
    from documents.sealing import validate_seal
    from workflows.factoring.models import FactoringFinancing
    from workflows.factoring.services import SIGNED_KINDS

    financing = FactoringFinancing.objects.get(reference=reference)

    def sealed():
        documents = list(Document.objects.filter(object_id=financing.pk, kind__in=SIGNED_KINDS,
                                                 state=Document.State.SIGNED).exclude(final_pdf=""))
        return documents if len({d.kind for d in documents}) == len(SIGNED_KINDS) else None

    documents = poll(f"the sealed PDFs of {reference}'s {len(SIGNED_KINDS)} contracts", sealed, deadline,
                     timeout=120, every=1)
    for document in documents:
        response = supplier.get(f"/documents/{document.pk}/signed.pdf")
        if not response.body.startswith(b"%PDF-"):
            raise Failure(f"document {document.pk} ({document.kind}): the signed PDF is not a PDF")
        if hashlib.sha256(response.body).hexdigest() != document.final_sha256:
            raise Failure(f"document {document.pk} ({document.kind}): the PDF served differs from its recorded hash")
        status = validate_seal(response.body)
        if not (status.sealed and status.intact and status.trusted):
            raise Failure(f"document {document.pk} ({document.kind}): the seal does not hold: {status.summary}")
        step(f"{document.kind} {document.number}: sealed PDF of {len(response.body):,} bytes, seal valid "
             f"({status.signer})")
    return [d.pk for d in documents]


def check_logs(log_path: Path, sent_ids: set[str]) -> None:
    """The processes log JSON lines; the web's carry the ids sent, and a worker's carry one carried into a task."""
    web = worker = 0
    for line in log_path.read_text(errors="replace").splitlines():
        # honcho prefixes each line with the time and the process name: "12:00:00 web.1  | ..."
        head, _, payload = line.partition("| ")
        process = (head.split() or ["", ""])[-1]
        if process.startswith("web"):  # gunicorn's access lines end with request_id=...
            found = re.search(r"request_id=(\S+)", payload)
            web += bool(found and found.group(1) in sent_ids)
        if not payload.startswith("{"):
            continue
        try:
            record = json.loads(payload)
        except ValueError:
            continue
        if record.get("request_id") in sent_ids:
            web += process.startswith("web")
            worker += process.startswith("worker")
    if not web:
        raise Failure("no web log line carries a request id sent (gunicorn's access log or Django's JSON lines)")
    if not worker:
        raise Failure("no worker log line carries a request id sent to the web process "
                      "(the id is not carried into the tasks, or the worker does not log JSON)")
    step(f"structured logs: {web} web and {worker} worker JSON lines carry this run's request ids")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("E2E_PORT", "8790")))
    parser.add_argument("--timeout", type=float, default=600, help="seconds for the whole run")
    parser.add_argument("--keep", action="store_true", help="keep the working directory (logs, media)")
    parser.add_argument("--template", metavar="DATABASE",
                        help="copy this migrated and seeded database instead of migrating and seeding (development)")
    args = parser.parse_args()
    database_url = os.environ.get("E2E_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/scf_e2e")
    broker_url = os.environ.get("E2E_BROKER_URL", "redis://127.0.0.1:6379/13")
    number = int(urllib.parse.urlparse(broker_url).path.strip("/") or 0)
    result_url = os.environ.get("E2E_RESULT_URL", broker_url.rsplit("/", 1)[0] + f"/{number + 1}")
    deadline = Deadline(args.timeout)
    base = f"http://127.0.0.1:{args.port}"
    work = Path(tempfile.mkdtemp(prefix="scf-e2e-"))
    log_path = work / "processes.log"
    run_id = f"e2e{secrets.token_hex(4)}"
    env = {**os.environ,
           "DJANGO_SETTINGS_MODULE": "scf.settings.production", "SECRET_KEY": secrets.token_hex(32),
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "false", "SESSION_COOKIE_SECURE": "false",
           "CSRF_COOKIE_SECURE": "false", "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker_url,
           "CELERY_RESULT_BACKEND": result_url, "CELERY_TASK_ALWAYS_EAGER": "false", "LOG_FORMAT": "json",
           "MEDIA_ROOT": str(work / "media"), "SEAL_PKCS12_FILE": str(work / "seal" / "seal.p12"),
           "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(work / "mail"),
           "BEAT_SCHEDULE": str(work / "celerybeat-schedule"),
           "HOST": "127.0.0.1", "PORT": str(args.port), "WEB_CONCURRENCY": "2", "WORKER_CONCURRENCY": "1",
           "PYTHONUNBUFFERED": "1", "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}"}
    honcho = None
    failed = True
    # Stopped from outside (a CI timeout): still stop the processes started, in the `finally` below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    try:
        if not (ROOT / "staticfiles" / "staticfiles.json").exists():
            raise Failure("static files are not collected: run `make static` (make e2e does)")
        step(f"database {database_url.rsplit('/', 1)[-1]}, broker {broker_url}, port {args.port}, work dir {work}")
        database_recreate(database_url, args.template)
        broker_empty(broker_url)
        broker_empty(result_url)
        manage(env, "make_seal_certificate", timeout=60)  # before the demo, whose closed case is sealed
        if not args.template:
            manage(env, "migrate", "--noinput", timeout=max(30, deadline.left()))
            manage(env, "seed_demo", "--password", PASSWORD, timeout=max(30, deadline.left()))

        step("starting the Procfile with honcho: web, worker, mail, batch, beat")
        honcho = subprocess.Popen([str(VENV_BIN / "honcho"), "start", "--no-colour"], cwd=ROOT, env=env,
                                  stdout=log_path.open("w"), stderr=subprocess.STDOUT, start_new_session=True)

        def up():
            if honcho.poll() is not None:
                raise Failure(f"honcho stopped ({honcho.returncode}) before the service was up")
            return all_up(base)

        report = poll("/health/ to report the database, the broker and the documents, mail and batch workers",
                      up, deadline, timeout=120, every=1)
        step(f"health: database {report['database']['status']}, broker {report['broker']['status']}, "
             f"workers {', '.join(report['workers']['names'])}")

        os.environ.update({k: v for k, v in env.items() if k != "PATH"}, LOG_LEVEL="WARNING")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        reference, sessions = drive(base, deadline, run_id)
        users = {s.username: s for s in sessions}
        check_sealed(reference, users["supplier2"], deadline)
        disburse(base, reference, users, deadline)

        from workflows.factoring.models import FactoringFinancing

        poll(f"{reference} to be disbursed", lambda: FactoringFinancing.objects.filter(
            reference=reference, state="disbursed").exists(), deadline, timeout=30)
        step(f"{reference} disbursed")
        if honcho.poll() is not None:
            raise Failure(f"honcho stopped ({honcho.returncode}) during the run")
        stop(honcho)
        check_logs(log_path, {i for s in sessions for i in s.sent_ids})
        step(f"passed in {time.monotonic() - started:.0f} s")
        print(f"e2e: passed=1 reference={reference} seconds={time.monotonic() - started:.0f}")
        failed = False
        return 0
    except (Failure, subprocess.TimeoutExpired, AssertionError) as error:
        print(f"\nE2E FAILED: {error}\n", file=sys.stderr, flush=True)
        if honcho is not None:
            stop(honcho)
        if log_path.exists():
            lines = log_path.read_text(errors="replace").splitlines()
            print(f"--- the processes' log, last {min(len(lines), 200)} of {len(lines)} lines ({log_path}) ---",
                  file=sys.stderr)
            print("\n".join(lines[-200:]), file=sys.stderr)
        print(f"e2e: passed=0 seconds={time.monotonic() - started:.0f}")
        return 1
    finally:
        if honcho is not None:
            stop(honcho)
        if args.keep or failed:
            print(f"the run's files (logs, media, mails) are kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
