"""Signing in with a second factor: enrolment by QR code, password then code, recovery codes, the throttle."""

import datetime
import io
import re
from base64 import b32decode

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from scf.api.services import api_token_create
from scf.audit.models import AuditRecord
from scf.parties.models import Membership, RecoveryCode, StaffGroup, User
from scf.parties.second_factor import (
    SecondFactorRequired,
    WrongSecondFactor,
    _hash,
    policy_requires,
    recovery_codes_issue,
    second_factor_recheck,
    sign_in_requires,
)
from tests.factories import FacilityFactory, LenderFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.second_factor import code_at, enrolled_device

pytestmark = pytest.mark.django_db
PASSWORD = "pw-Secret-123"


@pytest.fixture(autouse=True)
def second_factor_on(settings):
    settings.SECOND_FACTOR_REQUIRED = True


@pytest.fixture
def lender():
    return LenderFactory()


@pytest.fixture
def staff(lender):
    user = UserFactory(username="ops-2fa")
    user.groups.add(Group.objects.get(name=StaffGroup.OPERATIONS))
    MembershipFactory(user=user, organization=lender, role=Membership.Role.OPERATOR)
    return user


def _password(client, username="ops-2fa", password=PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


def _device_secret_hex(page: str) -> str:
    text = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    return b32decode(text + "=" * (-len(text) % 8)).hex()


def test_first_sign_in_enrols_with_a_qr_code_and_shows_recovery_codes_once(staff):
    client = Client()
    assert _password(client)["Location"] == "/"
    # The password alone opens nothing: every page leads to the second factor, which sends to enrolment.
    dashboard = client.get("/")
    assert dashboard.status_code == 302 and dashboard["Location"].startswith("/accounts/second-factor/")
    assert client.get("/api/v1/releases/").status_code == 403
    enrol = client.get("/accounts/second-factor/", follow=True)
    page = enrol.content.decode()
    assert enrol.redirect_chain[-1][0].startswith("/accounts/second-factor/enrol/")
    assert "<svg" in page and not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script
    device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed is False and _device_secret_hex(page) == device.key  # the text is the QR's secret

    wrong = client.post("/accounts/second-factor/enrol/", {"code": "000000" if code_at(device) != "000000" else "111111"})
    assert wrong.status_code == 400 and TOTPDevice.objects.get(pk=device.pk).confirmed is False
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    done = client.post("/accounts/second-factor/enrol/", {"code": code_at(device), "next": "/"})
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    device.refresh_from_db()
    assert device.confirmed is True
    # Stored as SHA-256 only, never as the text shown.
    stored = set(RecoveryCode.objects.filter(user=staff).values_list("code_hash", flat=True))
    assert stored == {_hash(c.replace("-", "")) for c in codes}
    assert not RecoveryCode.objects.filter(code_hash__in=codes).exists()
    assert client.get("/").status_code == 200
    # Enrolment is over: the page cannot replace the app, nor show the codes again.
    assert client.get("/accounts/second-factor/enrol/").status_code == 302


def test_sign_in_is_the_password_then_a_code_from_the_app(staff):
    device = enrolled_device(staff)
    client = Client()
    _password(client)
    assert client.get("/facilities/")["Location"] == "/accounts/second-factor/?next=%2Ffacilities%2F"
    answer = client.post("/accounts/second-factor/", {"code": code_at(device), "next": "/facilities/"})
    assert answer["Location"] == "/facilities/"
    assert client.get("/facilities/").status_code == 200
    # The same code does not sign in twice (another session replaying it).
    other = Client()
    _password(other)
    replay = other.post("/accounts/second-factor/", {"code": code_at(device)})
    assert replay.status_code == 400 and other.get("/")["Location"].startswith("/accounts/second-factor/")


def test_a_recovery_code_signs_in_once(staff):
    enrolled_device(staff)
    code = recovery_codes_issue(user=staff)[3]
    client = Client()
    _password(client)
    assert client.post("/accounts/second-factor/", {"code": code.upper()})["Location"] == "/"
    assert client.get("/").status_code == 200
    assert RecoveryCode.objects.filter(user=staff, used_at__isnull=False).count() == 1
    again = Client()
    _password(again)
    assert again.post("/accounts/second-factor/", {"code": code}).status_code == 400
    assert again.get("/")["Location"].startswith("/accounts/second-factor/")


def test_wrong_codes_are_throttled_with_the_password_by_axes(staff, settings):
    settings.AXES_FAILURE_LIMIT = 3
    device = enrolled_device(staff)
    client = Client()
    _password(client)
    wrong = "000000" if code_at(device) != "000000" else "111111"
    assert client.post("/accounts/second-factor/", {"code": wrong}).status_code == 400
    # A new password sign-in does not wipe the failed codes: the username's failures add up.
    _password(client)
    assert client.post("/accounts/second-factor/", {"code": wrong}).status_code == 400
    locked = client.post("/accounts/second-factor/", {"code": wrong})
    assert locked.status_code == 429
    assert AccessAttempt.objects.get(username="ops-2fa").failures_since_start == 3
    # Locked out: signed out, and the right password then the right code do not get in.
    assert client.get("/")["Location"].startswith("/accounts/login/")
    assert _password(client).status_code == 429
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_the_app_backs_off_after_a_wrong_code(staff, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 25, 10, 0, tzinfo=datetime.UTC), tick=False)
    device = enrolled_device(staff)
    client = Client()
    _password(client)
    client.post("/accounts/second-factor/", {"code": "000000" if code_at(device) != "000000" else "111111"})
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # Right code within the back-off second: refused; a second later: accepted.
    assert client.post("/accounts/second-factor/", {"code": code_at(device)}).status_code == 400
    time_machine.shift(datetime.timedelta(seconds=3))
    assert client.post("/accounts/second-factor/", {"code": code_at(device)}).status_code == 302


def test_client_signatories_need_it_only_by_their_lenders_policy(lender):
    client_org = OrganizationFactory()
    anchor = OrganizationFactory(is_supplier=False, is_core=True)
    FacilityFactory(lender=lender, obligor=client_org, anchor=anchor)
    anchor_signatory = UserFactory(username="anchor-sign-2fa")
    MembershipFactory(user=anchor_signatory, organization=anchor, role=Membership.Role.SIGNATORY)
    elsewhere = UserFactory(username="elsewhere-sign-2fa")  # a signatory of a client of another lender
    MembershipFactory(user=elsewhere, organization=OrganizationFactory(), role=Membership.Role.SIGNATORY)
    signatory = UserFactory(username="sign-2fa")
    MembershipFactory(user=signatory, organization=client_org, role=Membership.Role.SIGNATORY)
    operator = UserFactory(username="oper-2fa")
    MembershipFactory(user=operator, organization=client_org, role=Membership.Role.OPERATOR)
    assert not policy_requires(signatory) and not sign_in_requires(signatory)
    client = Client()
    _password(client, "sign-2fa")
    assert client.get("/").status_code == 200

    lender.signatories_use_second_factor = True
    lender.save(update_fields=["signatories_use_second_factor"])
    assert policy_requires(signatory) and policy_requires(anchor_signatory)
    assert not policy_requires(operator) and not policy_requires(elsewhere)
    client = Client()
    _password(client, "sign-2fa")
    assert client.get("/")["Location"].startswith("/accounts/second-factor/")
    client = Client()
    _password(client, "oper-2fa")
    assert client.get("/").status_code == 200


def test_api_tokens_stay_machine_access(staff):
    enrolled_device(staff)
    _, raw = api_token_create(user=staff, name="treasury")
    answer = Client().get("/api/v1/releases/", HTTP_AUTHORIZATION=f"Token {raw}")
    assert answer.status_code == 200


def test_a_recheck_code_serves_one_request_only(staff):
    device = enrolled_device(staff)
    code = code_at(device)
    second_factor_recheck(user=staff, code=code)
    second_factor_recheck(user=staff, code=code)  # several documents signed in one click: one code
    with pytest.raises(WrongSecondFactor):
        second_factor_recheck(user=User.objects.get(pk=staff.pk), code=code)  # the next request
    with pytest.raises(SecondFactorRequired):
        second_factor_recheck(user=staff, code="")
    second_factor_recheck(user=UserFactory(username="no-app"), code="")  # no app, not asked


def test_failures_are_cleared_by_a_complete_sign_in_only(staff):
    client_user = UserFactory(username="client-no-2fa")
    for username in ("client-no-2fa", "ops-2fa"):
        _password(Client(), username, "wrong-password")
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"client-no-2fa", "ops-2fa"}
    _password(Client(), client_user.username)  # the password is the whole sign-in: cleared
    assert not AccessAttempt.objects.filter(username="client-no-2fa").exists()
    device = enrolled_device(staff)
    client = Client()
    _password(client)  # half a sign-in: still counted
    assert AccessAttempt.objects.get(username="ops-2fa").failures_since_start == 1
    client.post("/accounts/second-factor/", {"code": code_at(device)})
    assert not AccessAttempt.objects.filter(username="ops-2fa").exists()


def test_a_lost_phone_is_reset_and_the_next_sign_in_enrols_again(staff):
    enrolled_device(staff)
    recovery_codes_issue(user=staff)
    out = io.StringIO()
    call_command("second_factor_reset", "ops-2fa", stdout=out)
    assert "removed 1 authenticator app(s) and 10 recovery code(s)" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=staff).exists() and not RecoveryCode.objects.filter(user=staff).exists()
    assert AuditRecord.objects.filter(action="parties.second_factor.reset").count() == 1
    client = Client()
    _password(client)
    assert client.get("/accounts/second-factor/")["Location"].startswith("/accounts/second-factor/enrol/")
    with pytest.raises(CommandError):
        call_command("second_factor_reset", "nobody")
