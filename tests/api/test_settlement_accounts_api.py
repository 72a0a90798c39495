"""API v1 settlement accounts: clients list, add and change theirs; operations verify (409 on a four-eyes refusal)."""

import pytest
from django.test import Client

from scf.parties.models import Membership, SettlementAccount, StaffGroup
from tests.factories import MembershipFactory, OrganizationFactory, SettlementAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/settlement-accounts/"
NEW = {"bank_name": "中国建设银行", "branch": "宁波北仑支行", "account_name": "宁波海达钢材有限公司",
       "account_number": "3305 0110 7401 0000 0288", "currency": "CNY"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rows():
    return list(SettlementAccount.objects.order_by("pk").values_list("pk", "status", "account_number",
                                                                     "verified_by"))


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


def test_a_client_adds_an_account_it_is_pending_and_listed_for_it(supplier, clerk):
    client = client_for(clerk)

    created = client.post(URL, {**NEW, "organization": supplier.pk}, content_type="application/json")

    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["account_number"], body["is_default"], body["entered_by"]) == (
        "pending", "33050110740100000288", True, "clerk")
    listed = client.get(URL).json()
    assert [a["id"] for a in listed] == [body["id"]]


def test_bad_input_answers_400_with_the_field_and_changes_nothing(supplier, clerk):
    client = client_for(clerk)
    before = _rows()

    answer = client.post(URL, {**NEW, "organization": supplier.pk, "account_number": "12-34"},
                         content_type="application/json")

    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    assert "8 to 34 characters" in error["fields"]["account_number"][0]
    assert _rows() == before


def test_an_account_for_an_organization_the_user_does_not_manage_is_refused(supplier, clerk):
    other = OrganizationFactory(with_account=False)
    before = _rows()

    answer = client_for(clerk).post(URL, {**NEW, "organization": other.pk}, content_type="application/json")

    assert answer.status_code == 400
    assert "organization" in answer.json()["error"]["fields"]
    assert _rows() == before


def test_another_tenants_account_answers_404(clerk):
    other = SettlementAccountFactory()
    client = client_for(clerk)

    assert client.get(f"{URL}{other.pk}/").status_code == 404
    assert client.patch(f"{URL}{other.pk}/", {"branch": "x"}, content_type="application/json").status_code == 404
    assert SettlementAccount.objects.get(pk=other.pk).branch == ""


def test_operations_verify_and_the_enterer_is_refused_with_409_and_a_stable_code(supplier, clerk, ops, staff_user):
    account_id = client_for(clerk).post(URL, {**NEW, "organization": supplier.pk},
                                        content_type="application/json").json()["id"]
    # An operations user who enters the lender's own account cannot verify it.
    lender = ops.memberships.get().organization
    own = client_for(ops).post(URL, {**NEW, "organization": lender.pk}, content_type="application/json").json()
    before = _rows()

    refused = client_for(ops).post(f"{URL}{own['id']}/verify/", {}, content_type="application/json")

    assert refused.status_code == 409, refused.content
    assert refused.json()["error"]["code"] == "settlement_account_four_eyes"
    assert "You entered or last changed this account" in refused.json()["error"]["message"]
    assert _rows() == before

    verified = client_for(ops).post(f"{URL}{account_id}/verify/", {"note": "letter"},
                                    content_type="application/json")
    assert verified.status_code == 200, verified.content
    assert (verified.json()["status"], verified.json()["verified_by"]) == ("verified", "ops")


def test_the_client_cannot_verify_its_own_account(supplier, clerk):
    account = SettlementAccountFactory(organization=supplier, status="pending")

    answer = client_for(clerk).post(f"{URL}{account.pk}/verify/", {}, content_type="application/json")

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "not_permitted"
    assert SettlementAccount.objects.get(pk=account.pk).status == "pending"


def test_a_change_to_the_number_sends_a_verified_account_back_for_verification(supplier, clerk):
    account = SettlementAccountFactory(organization=supplier)

    answer = client_for(clerk).patch(f"{URL}{account.pk}/", {"account_number": "6222 0000 5555 6666"},
                                     content_type="application/json")

    assert answer.status_code == 200, answer.content
    assert (answer.json()["status"], answer.json()["account_number"]) == ("pending", "6222000055556666")
    account.refresh_from_db()
    assert account.branch == "" and account.bank_name == "Test Bank Shanghai Branch"  # the others kept


def test_rejecting_needs_a_reason(supplier, clerk, ops):
    account = SettlementAccountFactory(organization=supplier, status="pending")
    client = client_for(ops)

    missing = client.post(f"{URL}{account.pk}/reject/", {"note": ""}, content_type="application/json")
    assert missing.status_code == 400
    assert "note" in missing.json()["error"]["fields"]
    assert SettlementAccount.objects.get(pk=account.pk).status == "pending"

    rejected = client.post(f"{URL}{account.pk}/reject/", {"note": "Name mismatch"}, content_type="application/json")
    assert (rejected.status_code, rejected.json()["status"], rejected.json()["review_note"]) == (
        200, "rejected", "Name mismatch")


def test_a_second_review_answers_409(supplier, ops):
    account = SettlementAccountFactory(organization=supplier)

    answer = client_for(ops).post(f"{URL}{account.pk}/verify/", {}, content_type="application/json")

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "illegal_transition"
