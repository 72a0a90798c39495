"""Portal pages of settlement accounts: clients add and change theirs, operations verify (four eyes)."""

import pytest
from django.test import Client
from django.urls import reverse

from scf.parties.models import Membership, SettlementAccount, StaffGroup
from tests.factories import MembershipFactory, OrganizationFactory, SettlementAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("portal:settlement-account-list")
NEW = reverse("portal:settlement-account-create")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def supplier():
    return OrganizationFactory(legal_name="宁波海达钢材有限公司", with_account=False)


@pytest.fixture
def clerk(supplier):
    user = UserFactory(username="clerk")
    MembershipFactory(user=user, organization=supplier, role=Membership.Role.OPERATOR)
    return user


@pytest.fixture
def ops(staff_user):
    return staff_user(StaffGroup.OPERATIONS, "ops")


def _form(supplier, **overrides):
    return {"organization": supplier.pk, "bank_name": "中国建设银行", "branch": "宁波北仑支行",
            "account_name": "宁波海达钢材有限公司", "account_number": "3305 0110 7401 0000 0288", "currency": "CNY",
            **overrides}


def test_the_menu_shows_the_page_to_clients_and_operations_not_to_credit_officers(clerk, ops, credit_officer):
    assert LIST in client_for(clerk).get(reverse("portal:dashboard")).content.decode()
    assert LIST in client_for(ops).get(reverse("portal:dashboard")).content.decode()
    assert LIST not in client_for(credit_officer).get(reverse("portal:dashboard")).content.decode()


def test_a_client_adds_an_account_and_sees_it_pending(supplier, clerk):
    client = client_for(clerk)
    assert "Add an account" in client.get(LIST).content.decode()

    answer = client.post(NEW, _form(supplier))

    assert answer.status_code == 302
    account = SettlementAccount.objects.get(organization=supplier)
    assert (account.status, account.account_number, account.entered_by) == ("pending", "33050110740100000288", clerk)
    page = client.get(LIST).content.decode()
    assert "3305 0110 7401 0000 0288" in page and "Pending verification" in page


def test_a_bad_number_shows_the_message_in_chinese_and_saves_nothing(supplier, clerk):
    client = client_for(clerk)
    client.post(reverse("set_language"), {"language": "zh-hans"})

    answer = client.post(NEW, _form(supplier, account_number="12 34"))

    assert answer.status_code == 400
    assert "账号为 8 至 34 位，其中至少 8 位数字；此账号为 4 位。" in answer.content.decode()
    assert not SettlementAccount.objects.filter(organization=supplier).exists()


def test_a_client_cannot_add_for_an_organization_it_does_not_manage(supplier, clerk):
    other = OrganizationFactory(with_account=False)

    answer = client_for(clerk).post(NEW, _form(other))

    assert answer.status_code == 400
    assert not SettlementAccount.objects.filter(organization=other).exists()


def test_another_tenants_account_is_404_on_every_page(clerk):
    other = SettlementAccountFactory(status="pending")
    client = client_for(clerk)
    for name in ("settlement-account-edit", "settlement-account-verify", "settlement-account-reject"):
        method = client.get if name.endswith("edit") else client.post
        assert method(reverse(f"portal:{name}", args=[other.pk])).status_code == 404
    assert other.grouped_number not in client.get(LIST).content.decode()


def test_changing_a_verified_account_sends_it_back_for_verification(supplier, clerk):
    account = SettlementAccountFactory(organization=supplier)
    client = client_for(clerk)
    url = reverse("portal:settlement-account-edit", args=[account.pk])
    assert "sends the account back for verification" in client.get(url).content.decode()

    answer = client.post(url, {"bank_name": account.bank_name, "branch": "新支行", "account_name": account.account_name,
                               "account_number": account.account_number, "currency": "CNY", "is_default": "on"},
                         follow=True)

    account.refresh_from_db()
    assert (account.status, account.branch) == ("pending", "新支行")
    assert "it receives no money until the lender&#x27;s operations verify it again" in answer.content.decode()


def test_operations_verify_a_pending_account_from_the_queue(supplier, clerk, ops):
    account = SettlementAccountFactory(organization=supplier, status="pending", entered_by=clerk)
    client = client_for(ops)
    page = client.get(LIST).content.decode()
    assert 'id="pending"' in page and account.grouped_number in page

    answer = client.post(reverse("portal:settlement-account-verify", args=[account.pk]), follow=True)

    account.refresh_from_db()
    assert (account.status, account.verified_by) == ("verified", ops)
    assert "verified: money may now be paid into it" in answer.content.decode()


def test_the_enterer_cannot_verify_and_is_told_why(ops):
    lender = ops.memberships.get().organization
    account = SettlementAccountFactory(organization=lender, status="pending", entered_by=ops, is_default=False)
    client = client_for(ops)
    assert "You entered or last changed this account" in client.get(LIST).content.decode()

    answer = client.post(reverse("portal:settlement-account-verify", args=[account.pk]), follow=True)

    assert "You entered or last changed this account" in answer.content.decode()
    assert SettlementAccount.objects.get(pk=account.pk).status == "pending"


def test_a_rejection_needs_a_reason_that_the_client_then_reads(supplier, clerk, ops):
    account = SettlementAccountFactory(organization=supplier, status="pending", entered_by=clerk)
    url = reverse("portal:settlement-account-reject", args=[account.pk])
    client = client_for(ops)

    client.post(url, {"note": ""})
    assert SettlementAccount.objects.get(pk=account.pk).status == "pending"
    client.post(url, {"note": "户名与营业执照不符"})

    assert SettlementAccount.objects.get(pk=account.pk).status == "rejected"
    assert "户名与营业执照不符" in client_for(clerk).get(LIST).content.decode()


def test_a_client_cannot_verify_its_own_account_from_the_page(supplier, clerk):
    account = SettlementAccountFactory(organization=supplier, status="pending")

    client_for(clerk).post(reverse("portal:settlement-account-verify", args=[account.pk]))

    assert SettlementAccount.objects.get(pk=account.pk).status == "pending"
