"""A payee account switched to another holder: flagged, shown against what it was, verified only knowingly, with a code."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from scf.parties import accounts
from scf.parties.models import Membership, SettlementAccount, StaffGroup
from scf.parties.second_factor import SecondFactorRequired, WrongSecondFactor
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.second_factor import enrolled_device

pytestmark = pytest.mark.django_db

ICBC = {"bank_name": "中国工商银行", "branch": "苏州工业园区支行", "account_name": "苏州精密零件有限公司",
        "account_number": "1102 0206 0900 0123 456", "currency": "CNY"}


@pytest.fixture
def supplier():
    return OrganizationFactory(legal_name="苏州精密零件有限公司", legal_name_en="Suzhou Precision Parts Co., Ltd.",
                               with_account=False)


@pytest.fixture
def clerk(supplier):
    user = UserFactory(username="clerk")
    MembershipFactory(user=user, organization=supplier, role=Membership.Role.OPERATOR)
    return user


@pytest.fixture
def hijacked(supplier, clerk, staff_user):
    """A verified account of the supplier, then changed to a private person's account."""
    account = accounts.settlement_account_create(organization=supplier, acting_user=clerk, **ICBC)
    accounts.settlement_account_verify(account=account, acting_user=staff_user(StaffGroup.OPERATIONS, "ops0"))
    return accounts.settlement_account_update(account=account, acting_user=clerk, account_name="张三",
                                              account_number="6222 0000 1111 2222")


@pytest.mark.parametrize(("holder", "mismatch"), [
    ("苏州精密零件有限公司", False), ("Suzhou Precision Parts Co., Ltd.", False),
    ("苏州精密零件有限公司 结算专户", False), ("张三", True), ("苏州精密有限公司", True),
])
def test_a_holder_not_named_as_the_organization_is_a_mismatch(supplier, clerk, holder, mismatch):
    account = accounts.settlement_account_create(organization=supplier, acting_user=clerk,
                                                 **{**ICBC, "account_name": holder})
    assert accounts.holder_mismatch(account) is mismatch


def test_a_changed_account_keeps_what_it_was_when_verified(hijacked):
    assert hijacked.status == SettlementAccount.Status.PENDING
    assert hijacked.previous_details["account_name"] == "苏州精密零件有限公司"
    assert hijacked.previous_details["account_number"] == "1102020609000123456"


def test_another_holder_is_verified_only_once_the_reviewer_says_it_was_checked(hijacked, staff_user):
    ops = staff_user(StaffGroup.OPERATIONS, "ops")
    with pytest.raises(ValidationError) as refused:
        accounts.settlement_account_verify(account=hijacked, acting_user=ops)
    assert "“张三” is not 苏州精密零件有限公司" in refused.value.message_dict["holder_checked"][0]
    assert SettlementAccount.objects.get(pk=hijacked.pk).status == "pending"
    accounts.settlement_account_verify(account=hijacked, acting_user=ops, holder_checked=True)
    assert SettlementAccount.objects.get(pk=hijacked.pk).status == "verified"


def test_a_verifier_with_an_authenticator_app_enters_a_fresh_code(supplier, clerk, staff_user):
    account = accounts.settlement_account_create(organization=supplier, acting_user=clerk, **ICBC)
    ops = staff_user(StaffGroup.OPERATIONS, "ops")
    enrolled_device(ops)
    with pytest.raises(SecondFactorRequired):
        accounts.settlement_account_verify(account=account, acting_user=ops)
    with pytest.raises(WrongSecondFactor):
        accounts.settlement_account_verify(account=account, acting_user=ops, otp_code="000000")
    assert SettlementAccount.objects.get(pk=account.pk).status == "pending"


def test_the_queue_shows_the_flag_and_what_changed(hijacked, staff_user):
    ops = staff_user(StaffGroup.OPERATIONS, "ops")
    client = Client()
    client.force_login(ops)
    page = client.get("/settlement-accounts/").content.decode()
    row = page.split('data-account="6222000011112222"')[1].split("</form>")[0]
    assert "Holder is not the organization" in row
    assert "<s>苏州精密零件有限公司</s> → <b>张三</b>" in row
    assert 'name="holder_checked"' in row
    # Verifying without ticking the box changes nothing and says why.
    response = client.post(f"/settlement-accounts/{hijacked.pk}/verify/", follow=True)
    assert "is not 苏州精密零件有限公司" in response.content.decode()
    assert SettlementAccount.objects.get(pk=hijacked.pk).status == "pending"
