"""Security headers: the Content Security Policy on every page, templates it can hold to, and
the production settings' HTTPS hardening with `check --deploy` clean.

The browser side (no page raises a violation; an injected inline script is refused) is
tests/browser/test_csp_walk.py.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "scf.settings.production",
    "SECRET_KEY": "k" * 20 + "Zq8#x2!pL0vR5tY7uI9oP3aS6dF1gH4j",
    "ALLOWED_HOSTS": "scf.example.com",
}
# Templates that only WeasyPrint reads (PDFs made on the server): they keep their <style>.
PDF_TEMPLATES = ROOT / "templates" / "documents"


def _policy(response) -> dict[str, list[str]]:
    """Parse the Content-Security-Policy header into {directive: [sources]}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


SITE_POLICY = {
    "default-src": ["'self'"], "script-src": ["'self'"], "style-src": ["'self'"], "img-src": ["'self'"],
    "font-src": ["'self'"], "connect-src": ["'self'"], "object-src": ["'none'"], "base-uri": ["'none'"],
    "form-action": ["'self'"], "frame-ancestors": ["'none'"],
}


@pytest.fixture
def staff_client(risk_manager):
    client = Client()
    client.force_login(risk_manager)
    return client


@pytest.fixture
def corporate_client(corporate):
    _organization, user = corporate("csp-supplier", is_supplier=True)
    client = Client()
    client.force_login(user)
    return client


def test_public_staff_and_client_pages_carry_the_site_policy(db, staff_client, corporate_client):
    pages = {
        Client(): ["/accounts/login/", "/verify/", "/accounts/password_reset/"],
        staff_client: ["/", "/organizations/", "/facilities/", "/kyc/review/", "/inbox/", "/documents/", "/tokens/"],
        corporate_client: ["/", "/factoring/", "/factoring/receivables/", "/factoring/request/", "/documents/"],
    }
    for client, paths in pages.items():
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            assert _policy(response) == SITE_POLICY, path


def test_the_policy_allows_no_inline_script_anywhere(db, staff_client):
    for path in ("/", "/api/docs/", "/api/docs/?script=", "/api/v1/me/"):
        for accept in ("text/html", "application/json"):
            header = staff_client.get(path, HTTP_ACCEPT=accept)["Content-Security-Policy"]
            assert "'unsafe-inline'" not in _directive(header, "script-src"), path
            assert "'unsafe-eval'" not in header and "'unsafe-hashes'" not in header, path


def _directive(header: str, name: str) -> list[str]:
    for part in header.split(";"):
        directive, *sources = part.split()
        if directive == name:
            return sources
    raise AssertionError(f"{name} missing from {header}")


def test_the_swagger_ui_adds_data_images_only(db, staff_client):
    page = staff_client.get("/api/docs/")
    assert _policy(page) == {**SITE_POLICY, "img-src": ["'self'", "data:"]}
    html = page.content.decode()
    # Its start-up script is a same-origin file, not inline; its base styles a static stylesheet.
    assert '<script src="/api/docs/?script="></script>' in html
    assert "<style" not in html and not re.search(r"<script>", html)
    script = staff_client.get("/api/docs/?script=")
    assert script["Content-Type"] == "application/javascript"
    assert b"SwaggerUIBundle(" in script.content


def test_drf_html_pages_allow_inline_styles_but_json_answers_keep_the_site_policy(db, staff_client):
    html = staff_client.get("/api/v1/me/", HTTP_ACCEPT="text/html")
    assert html["Content-Type"].startswith("text/html")
    assert _policy(html) == {**SITE_POLICY, "style-src": ["'self'", "'unsafe-inline'"]}
    data = staff_client.get("/api/v1/me/", HTTP_ACCEPT="application/json")
    assert data.json()["username"] == "risk"
    assert _policy(data) == SITE_POLICY


# --- Templates: nothing the policy would refuse --------------------------------------------

TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9-]*)\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.S)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)


def _refused(text: str, *, styles: bool) -> list[str]:
    """Return what the site policy would refuse in a template's text (its Django comments aside)."""
    text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", "", text, flags=re.S)
    found = []
    for match in TAG.finditer(text):
        name, attributes = match.group(1).lower(), match.group(2)
        if name == "script" and not re.search(r"\ssrc\s*=", attributes):
            found.append(f"inline <script>: {match.group(0)[:80]}")
        if HANDLER.search(attributes):
            found.append(f"inline handler: {match.group(0)[:80]}")
        if re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", attributes, re.I):
            found.append(f"javascript: URL: {match.group(0)[:80]}")
        if styles and name == "style":
            found.append(f"<style> element: {match.group(0)[:80]}")
        if styles and STYLE_ATTRIBUTE.search(attributes):
            found.append(f"style attribute: {match.group(0)[:80]}")
    return found


def _project_templates() -> list[Path]:
    folders = [Path(d) for engine in settings.TEMPLATES for d in engine["DIRS"]]
    for package in ("scf", "workflows", "documents"):
        folders += [p for p in (ROOT / package).rglob("templates") if p.is_dir()]
    return sorted({path for folder in folders for path in folder.rglob("*.html")})


def test_the_checker_finds_what_the_policy_refuses():
    old_language_menu = ('<select name="language" aria-label="{% translate \'Language\' %}"'
                         ' onchange="this.form.submit()">')
    assert _refused(old_language_menu, styles=True) == [f"inline handler: {old_language_menu[:80]}"]
    assert len(_refused("<script>alert(1)</script><script type='module'>x()</script>", styles=False)) == 2
    assert _refused('<a href="javascript:go()">', styles=False)
    assert _refused('<td style="white-space: nowrap">', styles=True)
    assert _refused("<style>p { color: red }</style>", styles=True)
    assert _refused('<button ONCLICK = "x()">', styles=False)
    fine = ('<script src="{% static \'js/portal.js\' %}" defer></script><select data-submit-on-change>'
            '<p class="once">{{ note }} on=weekdays</p>')
    assert _refused(fine, styles=True) == []
    assert _refused("{# <script>x()</script> #}{% comment %}<p style='x'>{% endcomment %}", styles=True) == []


def test_no_template_holds_an_inline_script_handler_or_style():
    templates = _project_templates()
    assert len(templates) > 40 and ROOT / "templates" / "base.html" in templates
    refused = {}
    for path in templates:
        pdf_only = PDF_TEMPLATES in path.parents
        found = _refused(path.read_text(encoding="utf-8"), styles=not pdf_only)
        if found:
            refused[str(path.relative_to(ROOT))] = found
    assert refused == {}


def test_the_portal_loads_its_script_from_static_files(db, staff_client):
    html = staff_client.get("/").content.decode()
    assert re.search(r'<script src="/static/js/portal\.js" defer></script>', html)
    assert 'data-submit-on-change' in html and "onchange" not in html


# --- Production settings ------------------------------------------------------------------

def _run_production(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}}
    env.update(PRODUCTION_ENV)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)


def test_check_deploy_is_clean_with_the_production_settings():
    result = _run_production("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


PRODUCTION_PROBE = """
import json
import django
from django.conf import settings
from django.test import Client

django.setup()
client = Client()
page = client.get("/accounts/login/", secure=True, HTTP_HOST="scf.example.com")
plain = client.get("/accounts/login/", HTTP_HOST="scf.example.com")
print(json.dumps({
    "settings": {name: getattr(settings, name) for name in (
        "DEBUG", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_REFERRER_POLICY", "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS")},
    "status": page.status_code,
    "headers": dict(page.headers),
    "csrf_cookie_secure": bool(page.cookies["csrftoken"]["secure"]),
    "plain": [plain.status_code, plain.headers.get("Location")],
}))
"""


def test_production_settings_send_https_hardening_and_the_policy():
    result = _run_production("-c", PRODUCTION_PROBE)
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["settings"] == {
        "DEBUG": False, "SECURE_SSL_REDIRECT": True, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CONTENT_TYPE_NOSNIFF": True, "X_FRAME_OPTIONS": "DENY",
    }
    headers = probe["headers"]
    assert probe["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert probe["csrf_cookie_secure"] is True
    # Plain HTTP is sent to HTTPS.
    assert probe["plain"] == [301, "https://scf.example.com/accounts/login/"]
