"""The Content Security Policy in the browser.

Staff, a platform superuser (the Django admin) and a client walk every page their links reach (one page per address shape, /1/ and /2/
being one shape), the public pages and the Swagger UI, with two witnesses of a violation: the
document's `securitypolicyviolation` events (a listener added before any page script) and
Chromium's console messages naming the Content Security Policy. No page may show one.

Then the policy is shown to bite: a real page is fetched from the server with its own header
and an inline script, an inline handler and a style attribute are written into its HTML on the
way to the browser, as a stored cross-site script would be. None of them runs, and each is
reported; the same tampered page without the header does run the script, so the test would
notice an injection that was not blocked.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urldefrag, urlsplit

import pytest

from scf.facilities.models import CreditFacility, Product
from scf.parties.models import User

from .conftest import PASSWORD
from .test_factoring_walk import NAMES, _expect

pytestmark = pytest.mark.django_db(transaction=True)

LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.scfCspViolation([event.violatedDirective, event.blockedURI || "inline", event.sourceFile,
                          event.lineNumber, document.location.pathname].join(" "));
});
"""
# Links that fetch files rather than pages, or leave the session: not walked.
NOT_PAGES = re.compile(r"(\.pdf|\.png|/pdf/|/kyc/documents/|/inbox/attachments/|/logout|/i18n/|/api/schema)")
# Django admin pages that add nothing the change and list pages do not show.
ADMIN_REPEATS = re.compile(r"^/admin/.*/(history|delete)/$|^/admin/r/|^/admin/logout/")
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
INJECTED = (
    '<script>window.injectedScript = "ran";</script>'
    '<img id="injected-img" src="/static/img/favicon.svg" width="16" height="16" alt=""'
    ' onload="window.injectedHandler = \'ran\'">'
    '<p id="injected-style" style="color: rgb(255, 0, 0)">injected</p>'
)


class Violations:
    """CSP violations seen on a browser context, by either witness, and the context's requests still open."""

    def __init__(self):
        self.events: list[str] = []
        self.console: list[str] = []
        self.open_requests: set = set()

    def watch(self, context) -> None:
        context.expose_function("scfCspViolation", self._event)
        context.add_init_script(LISTENER)
        context.on("console", self._console)
        context.on("request", self._opened)
        context.on("requestfinished", self._closed)
        context.on("requestfailed", self._closed)

    def settle(self, page) -> None:
        """Return once the page has loaded, none of its requests is open, and the tasks queued until then have
        run (a violation is reported by a queued event): what waiting for network idle proves, without idling
        half a second on every page."""
        page.wait_for_load_state("load")
        deadline = time.monotonic() + 15
        while True:
            page.evaluate("() => new Promise(resolve => setTimeout(resolve, 0))")
            if not self.open_requests:
                page.evaluate("() => 0")  # one more round trip: the reports the page sent meanwhile are handled
                return
            assert time.monotonic() < deadline, f"requests still open: {[r.url for r in self.open_requests]}"
            page.wait_for_timeout(20)

    def _opened(self, request) -> None:
        self.open_requests.add(request)

    def _closed(self, request) -> None:
        self.open_requests.discard(request)

    def _event(self, description: str) -> None:
        self.events.append(description)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(f"{message.type}: {message.text} ({message.location.get('url')})")

    def all(self) -> list[str]:
        return self.events + self.console

    def clear(self) -> None:
        self.events.clear()
        self.console.clear()


def _shape(path: str) -> str:
    """Pages of one kind share a template; the inbox's tasks do not (each step has its own)."""
    return path if path.startswith("/inbox/") else re.sub(r"\d+", "N", path)


def _walk(page, violations: Violations, starts: list[str], limit: int, within: str = "/") -> list[str]:
    """Visit every same-origin page under `within` reachable from `starts`, one per address shape;
    return their paths."""
    origin = urlsplit(page.url).netloc
    queue, shapes, visited = list(starts), set(), []
    while queue and len(visited) < limit:
        url = queue.pop(0)
        path = urlsplit(url).path
        if not path.startswith(within) or _shape(path) in shapes or NOT_PAGES.search(path) \
                or ADMIN_REPEATS.search(path):
            continue
        shapes.add(_shape(path))
        probe = page.request.get(url, max_redirects=0, headers={"Accept": BROWSER_ACCEPT})
        if probe.status != 200 or not probe.headers.get("content-type", "").startswith("text/html"):
            continue
        page.goto(url)
        violations.settle(page)
        visited.append(path)
        assert not violations.all(), f"CSP violations on {path}: {violations.all()}"
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            href = urldefrag(href).url
            if urlsplit(href).netloc == origin and urlsplit(href).scheme in ("http", "https"):
                queue.append(href)
    return visited


def _watched_login(login, violations: Violations, username: str):
    page = login(username)
    violations.watch(page.context)
    page.reload()
    return page


def test_staff_and_client_pages_raise_no_csp_violation(today, login, live_server, browser, shoot):
    expect = _expect()

    # The public pages, before anyone signs in.
    anonymous = Violations()
    context = browser.new_context(locale="en-US", base_url=live_server.url)
    anonymous.watch(context)
    page = context.new_page()
    for path in ("/accounts/login/", "/verify/", "/accounts/password_reset/"):
        response = page.goto(path)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        anonymous.settle(page)
    shoot(page, "login")
    assert not anonymous.all(), anonymous.all()
    context.close()

    # Staff: the lender administrator, and whatever of the Django admin that role is let into.
    staff = Violations()
    admin = _watched_login(login, staff, "lender_admin")
    visited = _walk(admin, staff, ["/", "/admin/"], limit=90)
    assert "/organizations/" in visited and "/kyc/review/" in visited, visited

    # The whole Django admin, as a platform superuser: each model's list, add and change page.
    User.objects.create_superuser("csp-root", "csp-root@example.com", PASSWORD)
    root_violations = Violations()
    root = _watched_login(login, root_violations, "csp-root")
    visited = _walk(root, root_violations, ["/admin/"], limit=120, within="/admin/")
    assert "/admin/" in visited and sum(path.endswith("/change/") for path in visited) >= 5, visited

    # Operations: releases, suspense and the inbox of money work.
    ops_violations = Violations()
    ops = _watched_login(login, ops_violations, "ops")
    visited = _walk(ops, ops_violations, ["/"], limit=40)
    assert "/releases/" in visited and "/collections/suspense/" in visited, visited

    # The facility's limit bar is drawn from markup, not a style attribute: it keeps its width.
    facility = CreditFacility.objects.get(obligor__legal_name=NAMES["supplier1"], product=Product.FACTORING)
    risk = Violations()
    risk_page = _watched_login(login, risk, "risk")
    risk_page.goto(f"/facilities/{facility.pk}/")
    bar = risk_page.locator("svg.bar")
    used = int(bar.get_attribute("aria-label").rstrip("%"))
    assert 0 < used < 100  # the demo's supplier1 line has money out
    drawn = risk_page.locator("svg.bar rect").bounding_box()["width"] / bar.bounding_box()["width"]
    assert abs(drawn * 100 - used) < 1, (drawn, used)
    shoot(risk_page, "facility-bar")
    assert not risk.all(), risk.all()

    # A client, in Chinese: the language menu submits from the static script, not an onchange attribute.
    client = Violations()
    supplier = _watched_login(login, client, "supplier1")
    supplier.get_by_label("Language").select_option("zh-hans")
    expect(supplier.locator("html")).to_have_attribute("lang", "zh-hans")
    visited = _walk(supplier, client, ["/", "/api/v1/facilities/", "/api/v1/me/"], limit=40)
    assert "/factoring/" in visited and "/documents/" in visited, visited
    shoot(supplier, "client-walk")

    # The Swagger UI runs under its own policy: it draws the API, with nothing refused.
    supplier.goto("/api/docs/")
    expect(supplier.locator(".swagger-ui .info .title")).to_contain_text("Supply-chain finance API")
    # Try it out: the request goes out from the page (connect-src 'self') and answers 200.
    me = supplier.locator(".opblock").filter(has=supplier.locator('.opblock-summary-path[data-path="/api/v1/me/"]'))
    me.locator(".opblock-summary").click()
    me.get_by_role("button", name="Try it out").click()
    me.get_by_role("button", name="Execute").click()
    expect(me.locator(".live-responses-table tbody .response-col_status")).to_have_text("200")
    answer = me.locator(".live-responses-table tbody .response-col_description")
    expect(answer).to_contain_text('"username": "supplier1"')
    shoot(supplier, "swagger-ui")
    assert not client.all(), client.all()


def _serve_tampered(page, path: str, *, keep_policy: bool) -> None:
    """Serve `path` as the server answers it, with INJECTED written into its body (and, unless
    `keep_policy`, without the Content-Security-Policy header)."""

    def handle(route):
        response = route.fetch()
        headers = dict(response.headers)
        assert "script-src 'self'" in headers["content-security-policy"]
        if not keep_policy:
            del headers["content-security-policy"]
        body = response.text().replace('<main class="page">', '<main class="page">' + INJECTED, 1)
        assert INJECTED in body
        route.fulfill(response=response, headers=headers, body=body)

    page.route(re.compile(rf"^https?://[^/]+{re.escape(path)}$"), handle)


def test_an_inline_script_written_into_a_page_is_blocked(today, login, shoot):
    expect = _expect()
    violations = Violations()
    page = _watched_login(login, violations, "supplier1")
    assert not violations.all()

    _serve_tampered(page, "/facilities/", keep_policy=True)
    page.goto("/facilities/")
    expect(page.locator("#injected-style")).to_be_visible()  # the injected HTML is in the page
    violations.settle(page)
    assert page.evaluate("window.injectedScript") is None
    assert page.evaluate("window.injectedHandler") is None
    assert page.locator("#injected-style").evaluate("p => getComputedStyle(p).color") != "rgb(255, 0, 0)"
    directives = {event.split()[0] for event in violations.events}
    assert {"script-src-elem", "script-src-attr", "style-src-attr"} <= directives, violations.events
    # Chromium's own words in the console as well (its wording changes between versions).
    assert any("inline script" in line and "script-src" in line for line in violations.console), violations.console
    shoot(page, "injection-blocked")

    # The same tampering without the policy header runs: the checks above would see a script that ran.
    page.unroute_all()
    _serve_tampered(page, "/facilities/", keep_policy=False)
    violations.clear()
    page.goto("/facilities/")
    violations.settle(page)
    assert page.evaluate("window.injectedScript") == "ran"
    assert page.evaluate("window.injectedHandler") == "ran"
    expect(page.locator("#injected-style")).to_have_css("color", "rgb(255, 0, 0)")
    assert not violations.all()
