"""No money to a supplier without a verified settlement account: the request, the disbursement and the rebate.

Worked numbers as tests/factoring/test_settlement.py: C = 950,000.00, A = 760,000.00, fee 4,750.00,
interest in advance 12,350.00: net disbursed 742,900.00; rebate C − A = 190,000.00.
"""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from scf.audit.models import AuditRecord
from scf.facilities.models import CreditFacility
from scf.ledger.models import JournalEntry
from scf.parties import accounts
from scf.parties.exceptions import NoSettlementAccount
from scf.parties.models import SettlementAccount
from tests.factories import SettlementAccountFactory
from workflows.factoring import services, settlement
from workflows.factoring.models import FactoringFinancing, Receivable

from .test_financing_lifecycle import DUE, _receivable, _sign_all
from .test_settlement import _disbursed, _pay
from .test_task_pages import _only_task

D = Decimal
TODAY = datetime.date(2026, 11, 25)


def _snapshot(world):
    facility = CreditFacility.objects.get(pk=world.facility.pk)
    return {
        "financings": list(FactoringFinancing.objects.order_by("pk").values_list(
            "pk", "state", "settlement_account", "disbursed_on", "rebate_paid")),
        "receivables": list(Receivable.objects.order_by("pk").values_list("pk", "state")),
        "facility": (facility.state, facility.reserved_amount, facility.outstanding_amount),
        "entries": JournalEntry.objects.count(),
        "audit": AuditRecord.objects.count(),
        "accounts": list(SettlementAccount.objects.order_by("pk").values_list("pk", "status")),
    }


def _unverify(world):
    """The supplier changed its account: pending until verified again."""
    SettlementAccount.objects.filter(organization=world.supplier).update(status="pending")


def _signed(world):
    receivable = _receivable(world)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                  value_date=TODAY, acting_user=world.supplier_user)
    services.receivable_confirm(receivable=receivable, amount=D("950000.00"), note="quality claim",
                                acting_user=world.debtor_user)
    financing.refresh_from_db()
    services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    FactoringFinancing.objects.filter(pk=financing.pk).update(state="signed")  # signing is tested elsewhere
    financing.refresh_from_db()
    return financing


def test_the_request_records_the_suppliers_verified_account(world):
    account = accounts.settlement_account_for(world.supplier, "CNY")
    receivable = _receivable(world)

    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                  value_date=TODAY, acting_user=world.supplier_user)

    assert account is not None and account.account_number == "1001"
    assert financing.settlement_account == account


def test_a_request_without_a_verified_settlement_account_is_refused_and_changes_nothing(world):
    receivable = _receivable(world)
    _unverify(world)
    before = _snapshot(world)

    with pytest.raises(NoSettlementAccount) as refused:
        services.financing_request_create(supplier=world.supplier, receivables=[receivable], value_date=TODAY,
                                          acting_user=world.supplier_user)

    assert (refused.value.code, refused.value.http_status) == ("no_settlement_account", 409)
    assert refused.value.message == (
        "上海供应商有限公司 has no verified settlement account in CNY: add one in the portal (Settlement accounts) "
        "and have it verified by the lender's operations.")
    assert _snapshot(world) == before


def test_the_api_answers_409_no_settlement_account_in_the_users_language(world):
    receivable = _receivable(world)
    SettlementAccount.objects.filter(organization=world.supplier).delete()
    client = APIClient()
    client.force_authenticate(world.supplier_user)

    answer = client.post("/api/v1/factoring/financings/", {"receivables": [receivable.pk], "value_date": "2026-11-25"},
                         format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert answer.status_code == 409, answer.content
    error = answer.json()["error"]
    assert error["code"] == "no_settlement_account"
    assert error["message"].startswith("上海供应商有限公司 没有已核验的 CNY 结算账户")
    assert not FactoringFinancing.objects.exists()


def test_the_portal_apply_page_refuses_with_the_message_in_words(world):
    receivable = _receivable(world)
    _unverify(world)
    client = Client()
    client.force_login(world.supplier_user)

    answer = client.post(reverse("factoring:financing-request"),
                         {"receivables": [receivable.pk], "value_date": "2026-11-25", "action": "apply"})

    page = answer.content.decode()
    assert "has no verified settlement account in CNY" in page
    assert "%(" not in page and "{{" not in page
    assert not FactoringFinancing.objects.exists()


def test_the_disbursement_is_refused_when_the_account_is_no_longer_verified_and_nothing_is_posted(world):
    financing = _signed(world)
    _unverify(world)
    before = _snapshot(world)

    with pytest.raises(NoSettlementAccount) as refused:
        settlement.financing_disburse(financing=financing, acting_user=world.ops, on=TODAY)

    assert refused.value.message == (f"{financing.reference} cannot be paid: 上海供应商有限公司 has no verified "
                                     "settlement account in CNY.")
    assert _snapshot(world) == before


def test_the_disbursement_goes_to_the_suppliers_current_verified_account_after_a_change(world):
    financing = _signed(world)
    _unverify(world)
    replacement = SettlementAccountFactory(organization=world.supplier, is_default=False,
                                           account_number="6222000011112222")

    financing = settlement.financing_disburse(financing=financing, acting_user=world.ops, on=TODAY)

    assert financing.state == "disbursed" and financing.net_disbursement == D("742900.00")
    assert FactoringFinancing.objects.get(pk=financing.pk).settlement_account == replacement


def test_the_rebate_is_refused_without_a_verified_account_and_nothing_is_posted(world, time_machine):
    financing = _disbursed(world)
    time_machine.move_to(datetime.datetime(2027, 2, 23, 10, tzinfo=datetime.UTC), tick=False)
    receipt = _pay(world, financing, "950000.00", DUE, "B-FULL")
    assert receipt.rebate == D("190000.00")
    financing.refresh_from_db()
    _unverify(world)
    before = _snapshot(world)

    with pytest.raises(NoSettlementAccount):
        settlement.financing_settle(financing=financing, acting_user=world.ops)

    assert _snapshot(world) == before
    SettlementAccount.objects.filter(organization=world.supplier).update(status="verified")
    financing = settlement.financing_settle(financing=financing, acting_user=world.ops)
    assert (financing.state, financing.rebate_paid) == ("closed", D("190000.00"))


def test_the_disburse_page_shows_the_verified_account_or_says_it_is_missing_without_a_button(
        world, django_capture_on_commit_callbacks):
    from scf.parties.models import Membership
    from tests.factories import MembershipFactory

    if not Membership.objects.filter(user=world.ops, role="signatory").exists():
        MembershipFactory(user=world.ops, organization=world.lender, role=Membership.Role.SIGNATORY)
    receivable = _receivable(world)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                  value_date=TODAY, acting_user=world.supplier_user)
    services.receivable_confirm(receivable=receivable, amount=D("950000.00"), note="quality claim",
                                acting_user=world.debtor_user)
    financing.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    with django_capture_on_commit_callbacks(execute=True):
        _sign_all(world, financing)
    financing.refresh_from_db()
    assert financing.state == "signed"
    ops = Client()
    ops.force_login(world.ops)
    url = _only_task(ops)

    page = ops.get(url).content.decode()
    assert "Shanghai Supplier" in page and "ICBC" in page and "1001" in page
    assert '<button type="submit">Disburse</button>' in page

    _unverify(world)
    page = ops.get(url).content.decode()
    assert "上海供应商有限公司 has no verified settlement account." in page
    assert '<button type="submit">Disburse</button>' not in page
    assert "%(" not in page
