"""Settlement accounts: entered by the client, verified by another person of the lender's operations."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from scf.audit.models import AuditRecord
from scf.core.exceptions import ActionNotPermitted, IllegalTransition
from scf.parties import accounts
from scf.parties.exceptions import NoSettlementAccount, SettlementAccountFourEyes
from scf.parties.models import Membership, SettlementAccount, StaffGroup
from scf.parties.validators import validate_account_number
from tests.factories import MembershipFactory, OrganizationFactory, SettlementAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

ICBC = {"bank_name": "中国工商银行", "branch": "苏州工业园区支行", "account_name": "苏州精密零件有限公司",
        "account_number": "1102 0206 0900 0123 456", "currency": "CNY"}


@pytest.fixture
def supplier():
    return OrganizationFactory(legal_name="苏州精密零件有限公司", with_account=False)


@pytest.fixture
def clerk(supplier):
    user = UserFactory(username="clerk")
    MembershipFactory(user=user, organization=supplier, role=Membership.Role.OPERATOR)
    return user


@pytest.fixture
def ops(staff_user):
    return staff_user(StaffGroup.OPERATIONS, "ops")


def _rows():
    return list(SettlementAccount.objects.order_by("pk").values_list(
        "pk", "status", "account_number", "is_default", "entered_by", "verified_by"))


def _entered(supplier, clerk, **overrides):
    return accounts.settlement_account_create(organization=supplier, acting_user=clerk, **{**ICBC, **overrides})


def test_a_new_account_is_pending_with_its_number_compacted_and_receives_nothing(supplier, clerk):
    account = _entered(supplier, clerk)

    assert (account.status, account.account_number, account.is_default) == ("pending", "1102020609000123456", True)
    assert account.entered_by == clerk and account.verified_by is None
    assert accounts.settlement_account_for(supplier, "CNY") is None
    with pytest.raises(NoSettlementAccount) as refused:
        accounts.settlement_account_require(supplier, "CNY")
    assert (refused.value.code, refused.value.http_status) == ("no_settlement_account", 409)
    assert refused.value.message.startswith("苏州精密零件有限公司 has no verified settlement account in CNY")
    assert AuditRecord.objects.filter(action="parties.settlement_account.create").count() == 1


def test_operations_verify_it_and_money_may_then_be_paid_into_it(supplier, clerk, ops):
    account = _entered(supplier, clerk)

    accounts.settlement_account_verify(account=account, acting_user=ops, note="bank letter seen")

    account.refresh_from_db()
    assert (account.status, account.verified_by, account.review_note) == ("verified", ops, "bank letter seen")
    assert account.verified_at is not None
    assert accounts.settlement_account_for(supplier, "CNY") == account
    assert accounts.settlement_account_for(supplier, "USD") is None


def test_the_person_who_entered_the_account_cannot_verify_it_even_in_operations(supplier, ops):
    # An operations user who is also an operator of the lender enters the lender's own collection account.
    lender = ops.memberships.get().organization
    account = accounts.settlement_account_create(organization=lender, acting_user=ops, bank_name="Test Bank",
                                                 account_name="Collection", account_number="31001234567890")
    before = _rows()

    with pytest.raises(SettlementAccountFourEyes) as refused:
        accounts.settlement_account_verify(account=account, acting_user=ops)

    assert (refused.value.code, refused.value.http_status) == ("settlement_account_four_eyes", 409)
    assert "You entered or last changed this account" in refused.value.message
    assert _rows() == before


def test_the_lenders_own_collection_account_is_verified_by_its_administrator_not_operations(staff_user, ops):
    lender = ops.memberships.get().organization
    account = accounts.settlement_account_create(organization=lender, acting_user=ops, bank_name="Test Bank",
                                                 account_name=f"{lender.legal_name}保理回款专户",
                                                 account_number="31001234567890")
    second = staff_user(StaffGroup.OPERATIONS, "ops2")
    with pytest.raises(SettlementAccountFourEyes) as refused:
        accounts.settlement_account_verify(account=account, acting_user=second)
    assert "administrators" in refused.value.message
    assert SettlementAccount.objects.get(pk=account.pk).status == "pending"

    accounts.settlement_account_verify(account=account, acting_user=staff_user(StaffGroup.ADMIN, "lender-admin"))

    assert SettlementAccount.objects.get(pk=account.pk).status == "verified"


def test_a_member_of_the_client_cannot_verify_its_account_though_in_operations(supplier, clerk, ops):
    account = _entered(supplier, clerk)
    MembershipFactory(user=ops, organization=supplier, role=Membership.Role.SIGNATORY)
    before = _rows()

    with pytest.raises(SettlementAccountFourEyes) as refused:
        accounts.settlement_account_verify(account=account, acting_user=ops)

    assert "You are a member of 苏州精密零件有限公司" in refused.value.message
    assert _rows() == before


@pytest.mark.parametrize("group", [StaffGroup.CREDIT_OFFICER, StaffGroup.RISK_MANAGER, None])
def test_only_operations_verify_accounts(supplier, clerk, staff_user, group):
    account = _entered(supplier, clerk)
    someone = staff_user(group, "someone") if group else clerk
    before = _rows()

    with pytest.raises((ActionNotPermitted, SettlementAccountFourEyes)):
        accounts.settlement_account_verify(account=account, acting_user=someone)

    assert _rows() == before


def test_the_client_cannot_verify_its_own_account(supplier, clerk):
    account = _entered(supplier, clerk)
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, organization=supplier, role=Membership.Role.ADMIN)

    with pytest.raises(ActionNotPermitted):
        accounts.settlement_account_verify(account=account, acting_user=colleague)
    assert SettlementAccount.objects.get(pk=account.pk).status == "pending"


def test_changing_a_verified_account_makes_it_pending_again_and_records_who_changed_it(supplier, clerk, ops):
    account = _entered(supplier, clerk)
    accounts.settlement_account_verify(account=account, acting_user=ops)
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, organization=supplier, role=Membership.Role.ADMIN)

    accounts.settlement_account_update(account=account, acting_user=colleague, account_number="6222 0000 1111 2222")

    account.refresh_from_db()
    assert (account.status, account.account_number, account.entered_by, account.verified_by) == (
        "pending", "6222000011112222", colleague, None)
    assert accounts.settlement_account_for(supplier, "CNY") is None
    # The one who changed it cannot verify it; the original enterer is no longer excluded, ops may.
    accounts.settlement_account_verify(account=account, acting_user=ops)
    assert accounts.settlement_account_for(supplier, "CNY") == account


def test_only_the_default_flag_changed_keeps_the_account_verified(supplier, clerk, ops):
    first = _entered(supplier, clerk)
    second = _entered(supplier, clerk, account_number="6222 0000 3333 4444")
    for account in (first, second):
        accounts.settlement_account_verify(account=account, acting_user=ops)
    assert accounts.settlement_account_for(supplier, "CNY") == first

    accounts.settlement_account_update(account=second, acting_user=clerk, is_default=True)

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_default, second.is_default, second.status) == (False, True, "verified")
    assert accounts.settlement_account_for(supplier, "CNY") == second


def test_a_rejection_needs_a_reason_and_the_account_then_receives_nothing(supplier, clerk, ops):
    account = _entered(supplier, clerk)
    before = _rows()
    with pytest.raises(ValidationError):
        accounts.settlement_account_reject(account=account, acting_user=ops, note="  ")
    assert _rows() == before

    accounts.settlement_account_reject(account=account, acting_user=ops, note="Name differs from the licence")

    account.refresh_from_db()
    assert (account.status, account.review_note) == ("rejected", "Name differs from the licence")
    with pytest.raises(IllegalTransition):
        accounts.settlement_account_verify(account=account, acting_user=ops)
    # Corrected by the client, it is pending again.
    accounts.settlement_account_update(account=account, acting_user=clerk, account_name="苏州精密零件有限公司 ")
    assert SettlementAccount.objects.get(pk=account.pk).status == "rejected"  # nothing really changed
    accounts.settlement_account_update(account=account, acting_user=clerk, branch="苏州分行")
    assert SettlementAccount.objects.get(pk=account.pk).status == "pending"


@pytest.mark.parametrize(("number", "code"), [
    ("", "required"), ("1234 567", "account_number_length"), ("1102-0206-0900-012X-Ä", "account_number_characters"),
    ("1" * 35, "account_number_length"), ("ABCDEFGH12", "account_number_length"),
])
def test_a_bad_account_number_is_refused_with_a_clear_message_and_nothing_is_saved(supplier, clerk, number, code):
    with pytest.raises(ValidationError) as refused:
        _entered(supplier, clerk, account_number=number)

    assert "account_number" in refused.value.message_dict
    assert not SettlementAccount.objects.filter(organization=supplier).exists()
    with pytest.raises(ValidationError) as direct:
        validate_account_number(number)
    assert direct.value.code == code


def test_valid_numbers_include_long_chinese_ones_and_ibans():
    for number in ("6222 0212 3456 7890 123", "3240 0060 1018 0100 5566 7", "GB82 WEST 1234 5698 7654 32"):
        validate_account_number(number)


def test_the_same_number_twice_in_a_currency_is_refused(supplier, clerk):
    _entered(supplier, clerk)
    before = _rows()

    with pytest.raises(ValidationError) as refused:
        _entered(supplier, clerk, account_number="11020206-0900-0123-456")

    assert "This account is already registered." in refused.value.messages
    assert _rows() == before


def test_only_an_operator_of_the_organization_manages_its_accounts(supplier, ops):
    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, role=Membership.Role.OPERATOR)  # of another organization
    for user in (outsider, ops):
        with pytest.raises(ActionNotPermitted):
            accounts.settlement_account_create(organization=supplier, acting_user=user, **ICBC)
    assert not SettlementAccount.objects.filter(organization=supplier).exists()


def test_a_client_sees_its_own_accounts_never_a_counterpartys(supplier, clerk, ops):
    own = _entered(supplier, clerk)
    other = SettlementAccountFactory()

    assert list(accounts.settlement_account_list(user=clerk)) == [own]
    assert set(accounts.settlement_account_list(user=ops)) >= {own, other}


def test_the_refusals_are_translated(supplier, clerk):
    account = _entered(supplier, clerk)
    with translation.override("zh-hans"):
        with pytest.raises(NoSettlementAccount) as missing:
            accounts.settlement_account_require(supplier, "CNY")
        with pytest.raises(ActionNotPermitted) as not_ops:
            accounts.settlement_account_verify(account=account, acting_user=clerk)
    assert "no verified settlement account" not in missing.value.message
    assert "苏州精密零件有限公司" in missing.value.message and "%(" not in missing.value.message
    assert "Only the lender" not in not_ops.value.message
