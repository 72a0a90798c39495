"""Chromium through Playwright against pytest-django's live server, with screenshots saved per step.

Debian's Chromium is used because Playwright cannot download its own browser here. Sync
Playwright keeps an event loop running in the test thread, where Django's async-unsafe check
then refuses database calls; the variable that turns the check off is set only while these
tests' browser is up.
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from scf.money import BusinessDayConvention, adjust

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync"]
PASSWORD = "Browser-walk-2026"
# The login and second-factor pages' words in each language (the browser asks for that language too).
LOGIN_WORDS = {
    "en": {"locale": "en-US", "Username": "Username", "Password": "Password", "Log in": "Log in",
           "Enter your code": "Enter your code", "Code from your authenticator app": "Code from your authenticator app",
           "Verify": "Verify", "Log out": "Log out", "Language": "Language"},
    "zh-hans": {"locale": "zh-CN", "Username": "用户名", "Password": "密码", "Log in": "登录",
                "Enter your code": "输入验证码", "Code from your authenticator app": "身份验证器验证码",
                "Verify": "核验", "Log out": "退出登录", "Language": "语言"},
}


def screenshot_dir() -> Path:
    return Path(os.environ.get("SCREENSHOT_DIR") or Path(settings.BASE_DIR) / "var" / "screenshots" / "factoring-walk")


@pytest.fixture(autouse=True)
def _chromium_and_playwright():
    """Skip before seeding anything when the browser cannot run (SCF_NO_SKIP=1 makes that a failure)."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("browser tests need the playwright package (requirements-dev.txt)")


@pytest.fixture
def demo(transactional_db, settings):
    """Seed the demo (lender, staff, clients, facilities, the two demo cases) into the flushed test database.

    Staff sign in with a second factor, as in production; codes are taken as computed (no clock-drift
    learning), so that the walk knows which codes the server still accepts.
    """
    from scf.parties.demo import seed_demo
    from tests import snapshot

    settings.SECOND_FACTOR_REQUIRED = True
    settings.OTP_TOTP_SYNC = False
    # Seeded once per worker and day, then put back as it was (tests/snapshot.py): the demo's dates are the day's,
    # and its rows' times must not be later than the walk's clock (a walk with its clock set to 10:00 after one
    # seeded at 23:00 would find the demo's prices newer than those it enters), so such a walk seeds afresh.
    now = timezone.now()
    seeded = _SEEDED.get("at")
    if seeded is not None and timezone.localdate(seeded) == timezone.localdate(now) and seeded <= now:
        snapshot.restore(_SEEDED["rows"])
    else:
        seed_demo(password=PASSWORD)
        _SEEDED.update(at=now, rows=snapshot.take())
    return PASSWORD


#: The demo as this worker last seeded it: {"at": when, "rows": tests.snapshot.Snapshot}.
_SEEDED: dict = {}


@pytest.fixture
def totp(demo):
    """Return a function giving a user's authenticator app (enrolled with a known secret if it has none yet)
    or, with `code=True`, a code from it that the server has not accepted yet."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from scf.parties.models import User
    from tests.second_factor import enrolled_device, fresh_code

    def device_or_code(username: str, *, code: bool = True):
        user = User.objects.get(username=username)
        # Three steps either side: a walk signs the same user in, signs and releases several times a minute,
        # and each code is accepted once.
        device = (TOTPDevice.objects.filter(user=user, confirmed=True).first()
                  or enrolled_device(user, tolerance=3))
        return fresh_code(device) if code else device

    return device_or_code


@pytest.fixture
def browser(demo):
    """Start Chromium once the data is in.

    The seed must run first: sealing calls asyncio.run() (pyHanko), which cannot run in a
    thread where Playwright's loop is running. For the same reason the browser is per test and
    closes before the database is flushed.
    """
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
            yield chromium
            chromium.close()


@pytest.fixture
def login(browser, live_server, demo, totp):
    """Return a function that logs a demo user in through the login form, in a fresh browser context.

    Staff (whom the second factor is for) then enter a code from their authenticator app, enrolled
    beforehand with a known secret; tests/browser/test_second_factor_walk.py walks the enrolment itself.
    """
    from scf.parties.models import User
    from scf.parties.second_factor import sign_in_requires

    contexts = []

    def log_in(username: str, language: str = "en", *, via: str = "profile"):
        """Sign `username` in; the portal then speaks `language`, chosen as a person does, `via`:

        "profile": made the user's preferred language beforehand; "login-page": picked in the language menu of
        the login page (shown in the other language) by a user who preferred the other one; "menu": picked in
        the header's menu after signing in in the other language.
        """
        from playwright.sync_api import expect

        other = next(code for code in LOGIN_WORDS if code != language)
        User.objects.filter(username=username).update(preferred_language=language if via == "profile" else other)
        needs_code = sign_in_requires(User.objects.get(username=username))
        if needs_code:
            totp(username, code=False)
        words = LOGIN_WORDS[language]
        signed_in = LOGIN_WORDS[other if via == "menu" else language]

        browser_words = LOGIN_WORDS[other if via == "login-page" else language]
        context = browser.new_context(locale=browser_words["locale"], viewport={"width": 1366, "height": 900},
                                      timezone_id=settings.TIME_ZONE, base_url=live_server.url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        if via == "login-page":
            expect(page.locator("html")).to_have_attribute("lang", other)
            page.get_by_label(browser_words["Language"]).select_option(language)  # the page reloads in it
            expect(page.locator("html")).to_have_attribute("lang", language)
        page.get_by_label(words["Username"]).fill(username)
        page.get_by_label(words["Password"]).fill(demo)
        page.get_by_role("button", name=words["Log in"]).click()
        if needs_code:
            expect(page.get_by_role("heading", name=signed_in["Enter your code"])).to_be_visible()
            page.get_by_label(signed_in["Code from your authenticator app"]).fill(totp(username))
            page.get_by_role("button", name=signed_in["Verify"]).click()
            # A refused code leaves the page here, with a Log out button but none of the portal's sections.
            expect(page).not_to_have_url(re.compile(r"/accounts/second-factor/"))
        expect(page.get_by_role("button", name=signed_in["Log out"])).to_be_visible()
        if via == "menu":
            page.get_by_label(signed_in["Language"]).select_option(language)
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(page.get_by_role("button", name=words["Log out"])).to_be_visible()
        return page

    yield log_in
    for context in contexts:
        context.close()


@pytest.fixture
def shoot(request, capsys):
    """Return a function that saves a full-page screenshot of a step and prints where it went.

    A walk parametrised over `language` saves each language's screenshots in a directory of their own.
    """
    directory = screenshot_dir()
    test_name = re.sub(r"^test_", "", request.node.name)
    language = getattr(request.node, "callspec", None) and request.node.callspec.params.get("language")
    if language:
        directory = directory / language
        test_name = re.sub(r"^test_", "", request.node.originalname)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob(f"{test_name}-[0-9][0-9]-*.png"):  # an earlier run's, perhaps with other steps
        stale.unlink()
    count = 0

    def save(page, step: str) -> Path:
        nonlocal count
        count += 1
        path = directory / f"{test_name}-{count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        with capsys.disabled():  # shown in CI's log even when the test passes and output is captured
            print(f"\nscreenshot: {path}", end="", flush=True)
        return path

    return save


@pytest.fixture
def today():
    """The day the walk runs on: a business day, since value dates roll to one (DESIGN §5).

    On a weekend or a holiday the clock of the server under test moves to the next business day,
    so that the value date of a new request is the day it is asked for and its money can go out.
    Ask for it before the demo is seeded, so that the demo's dates are the same day's.
    """
    day = timezone.localdate()
    business = adjust(day, BusinessDayConvention.FOLLOWING)
    if business == day:
        yield day
        return
    moment = datetime.datetime.combine(business, datetime.time(10, 0), tzinfo=ZoneInfo(settings.TIME_ZONE))
    with time_machine.travel(moment, tick=True):
        yield business
