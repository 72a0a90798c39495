"""Regenerating recovery codes: a signed-in user with an app, after a current code from it; shown once."""

import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import translation

from scf.audit.models import AuditRecord
from scf.parties.models import Membership, RecoveryCode, StaffGroup
from scf.parties.second_factor import (
    SecondFactorRequired,
    WrongSecondFactor,
    recovery_codes_issue,
    recovery_codes_regenerate,
    second_factor_verify,
)
from tests.factories import LenderFactory, MembershipFactory, UserFactory
from tests.second_factor import code_at, enrolled_device, force_login_verified, fresh_code

pytestmark = pytest.mark.django_db
URL = "/accounts/second-factor/recovery-codes/"
CODE = re.compile(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>")


@pytest.fixture(autouse=True)
def _language_reset():
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def second_factor_on(settings):
    settings.SECOND_FACTOR_REQUIRED = True


@pytest.fixture
def staff():
    user = UserFactory(username="ops-2fa")
    user.groups.add(Group.objects.get(name=StaffGroup.OPERATIONS))
    MembershipFactory(user=user, organization=LenderFactory(), role=Membership.Role.OPERATOR)
    return user


def _wrong(device) -> str:
    return next(c for c in ("000000", "111111", "222222") if c not in {code_at(device, s) for s in (-1, 0, 1)})


def test_new_codes_after_a_current_app_code_replace_the_old_ones(staff):
    device = enrolled_device(staff)
    old = recovery_codes_issue(user=staff)
    client = Client()
    force_login_verified(client, staff, device)
    page = client.get(URL)
    assert page.status_code == 200
    assert "You have 10 unused recovery codes." in page.content.decode()
    assert URL in client.get("/").content.decode()  # the header links to the page

    answer = client.post(URL, {"code": fresh_code(device)})

    assert answer.status_code == 200
    new = CODE.findall(answer.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert "the old ones, which no longer work" in answer.content.decode()
    assert RecoveryCode.objects.filter(user=staff).count() == 10
    # The old codes stop working, the new ones work (once each).
    assert second_factor_verify(user=staff, code=old[0]) is None
    assert second_factor_verify(user=staff, code=new[0]) == device
    assert AuditRecord.objects.filter(action="parties.second_factor.recovery_codes_regenerate", actor=staff).count() == 1
    # Shown once: the page shows how many are left, never the codes.
    again = client.get(URL).content.decode()
    assert not CODE.findall(again) and "You have 9 unused recovery codes." in again


def test_a_wrong_code_changes_nothing(staff):
    device = enrolled_device(staff)
    old = recovery_codes_issue(user=staff)
    hashes = set(RecoveryCode.objects.values_list("code_hash", flat=True))
    client = Client()
    force_login_verified(client, staff, device)

    answer = client.post(URL, {"code": _wrong(device)})

    assert answer.status_code == 400
    assert "not correct" in answer.content.decode() and not CODE.findall(answer.content.decode())
    assert set(RecoveryCode.objects.values_list("code_hash", flat=True)) == hashes
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # django-otp's back-off counts it
    # A recovery code is no key to new recovery codes.
    assert client.post(URL, {"code": old[0]}).status_code == 400
    assert set(RecoveryCode.objects.values_list("code_hash", flat=True)) == hashes


def test_the_service_refuses_without_an_app_or_with_a_recovery_code(staff):
    with pytest.raises(SecondFactorRequired):
        recovery_codes_regenerate(user=staff, code="123456")
    device = enrolled_device(staff)
    old = recovery_codes_issue(user=staff)
    with pytest.raises(WrongSecondFactor):
        recovery_codes_regenerate(user=staff, code=old[0])
    assert len(recovery_codes_regenerate(user=staff, code=code_at(device))) == 10


def test_a_session_signed_in_with_the_password_alone_is_sent_to_the_second_factor(staff):
    device = enrolled_device(staff)
    client = Client()
    client.force_login(staff)
    answer = client.get(URL)
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/second-factor/?next=")
    posted = client.post(URL, {"code": code_at(device)})
    assert posted.status_code == 302
    assert not RecoveryCode.objects.filter(user=staff).exists()


def test_a_user_without_an_app_is_sent_to_enrol(staff):
    client = Client()
    client.force_login(staff)
    assert client.get(URL)["Location"].startswith(reverse("second-factor-enrol"))


def test_the_page_in_chinese(staff):
    device = enrolled_device(staff)
    recovery_codes_issue(user=staff)
    client = Client(headers={"Accept-Language": "zh-hans"})
    force_login_verified(client, staff, device)
    page = client.get(URL).content.decode()
    assert "生成新的恢复码" in page and "您还有 10 个未使用的恢复码。" in page
    done = client.post(URL, {"code": fresh_code(device)}).content.decode()
    assert "旧恢复码随即失效" in done and len(CODE.findall(done)) == 10
