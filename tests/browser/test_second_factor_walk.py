"""Staff sign in with a second factor, in English and in Chinese.

On first sign-in a member of staff without an authenticator app is shown a QR code (an SVG drawn by
the server) and the same secret as text; the walk types that text into its "app" (the TOTP of
RFC 6238, computed here), confirms with a first code, and is shown ten recovery codes once. Signing in
again is the password, then a code from the app; a recovery code works once in its place.
"""

from __future__ import annotations

import re
from base64 import b32decode

import pytest
from django_otp.oath import TOTP

from scf.parties.models import RecoveryCode, User
from tests.second_factor import fresh_code

from .test_factoring_walk import _expect

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = {
    "en": {"log_in": "Log in", "enrol": "Set up your authenticator app", "code": "Code from your authenticator app",
           "confirm": "Confirm", "codes": "Your recovery codes", "continue": "I have kept them, continue",
           "enter": "Enter your code", "verify": "Verify", "log_out": "Log out", "username": "Username",
           "password": "Password", "nav": "Main"},
    "zh-hans": {"log_in": "登录", "enrol": "设置身份验证器应用", "code": "身份验证器验证码", "confirm": "确认",
                "codes": "您的恢复码", "continue": "我已保存，继续", "enter": "输入验证码", "verify": "核验",
                "log_out": "退出登录", "username": "用户名", "password": "密码", "nav": "主导航"},
}


def _context(browser, live_server):
    from django.conf import settings

    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 900},
                                  timezone_id=settings.TIME_ZONE, base_url=live_server.url)
    context.set_default_timeout(15_000)
    return context


def _password(page, language: str, username: str, password: str) -> None:
    """Sign in with the password, in `language`: the login page's and the person's preferred one."""
    t = TEXT[language]
    User.objects.filter(username=username).update(preferred_language=language)
    page.goto("/accounts/login/")
    if language != "en":
        page.locator("select[name=language]").select_option(language)
        _expect()(page.locator("html")).to_have_attribute("lang", language)
    page.get_by_label(t["username"]).fill(username)
    page.get_by_label(t["password"]).fill(password)
    page.get_by_role("button", name=t["log_in"]).click()


def _app_code(secret_text: str) -> str:
    """What an authenticator app given this key would show now."""
    text = secret_text.replace(" ", "")
    totp = TOTP(b32decode(text + "=" * (-len(text) % 8)))
    return f"{totp.token():06d}"


@pytest.mark.parametrize(("language", "username"), [("en", "risk"), ("zh-hans", "committee")])
def test_first_sign_in_enrols_with_a_qr_code_then_signs_in_with_a_code(language, username, browser, live_server,
                                                                       demo, shoot):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    expect, t = _expect(), TEXT[language]
    context = _context(browser, live_server)
    try:
        page = context.new_page()
        _password(page, language, username, demo)

        # First sign-in: the QR code and the same secret as text, nothing else of the portal yet.
        expect(page.get_by_role("heading", level=1)).to_have_text(t["enrol"])
        expect(page).to_have_url(re.compile(r"/accounts/second-factor/enrol/"))
        qr = page.locator("figure.qr svg")
        expect(qr).to_be_visible()
        assert qr.bounding_box()["width"] >= 150  # big enough to scan
        secret = page.get_by_test_id("totp-secret").inner_text()
        assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})+", secret)
        expect(page.get_by_role("navigation", name=t["nav"]).get_by_role("link")).to_have_count(0)
        shoot(page, f"enrol-{language}")

        page.get_by_label(t["code"]).fill(_app_code(secret))
        page.get_by_role("button", name=t["confirm"]).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(t["codes"])
        codes = page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
        assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
        shoot(page, f"recovery-codes-{language}")
        page.get_by_role("link", name=t["continue"]).click()
        expect(page.get_by_role("button", name=t["log_out"])).to_be_visible()
        assert TOTPDevice.objects.get(user__username=username).confirmed
        assert RecoveryCode.objects.filter(user__username=username).count() == 10

        # Signing in again: the password, then a code from the app.
        page.get_by_role("button", name=t["log_out"]).click()
        _password(page, language, username, demo)
        expect(page.get_by_role("heading", level=1)).to_have_text(t["enter"])
        shoot(page, f"code-asked-{language}")
        page.get_by_label(t["code"]).fill(fresh_code(TOTPDevice.objects.get(user__username=username)))
        page.get_by_role("button", name=t["verify"]).click()
        expect(page.get_by_role("button", name=t["log_out"])).to_be_visible()
        expect(page.get_by_role("navigation", name=t["nav"]).get_by_role("link").first).to_be_visible()
        shoot(page, f"signed-in-{language}")

        # A recovery code stands in for the app, once.
        page.get_by_role("button", name=t["log_out"]).click()
        _password(page, language, username, demo)
        page.get_by_label(t["code"]).fill(codes[0])
        page.get_by_role("button", name=t["verify"]).click()
        expect(page.get_by_role("button", name=t["log_out"])).to_be_visible()
        assert RecoveryCode.objects.filter(user__username=username, used_at__isnull=False).count() == 1
    finally:
        context.close()
