"""Factoring pays no one whose KYC is not verified: no request, no approval, no disbursement."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from scf.audit.models import AuditRecord
from scf.facilities.models import CreditFacility, Product
from scf.ledger.models import JournalEntry
from scf.parties.exceptions import KycNotVerified
from tests.factories import FacilityFactory
from tests.kyc import LAPSES, lapse, refusal
from workflows.approval.models import ApprovalDecision
from workflows.factoring import services, settlement
from workflows.factoring.models import FactoringFinancing, Receivable

from .test_financing_lifecycle import DUE, _receivable
from .test_task_pages import _only_task

D = Decimal
TODAY = datetime.date(2026, 11, 25)


def _snapshot(world):
    facility = CreditFacility.objects.get(pk=world.facility.pk)
    return {
        "financings": list(FactoringFinancing.objects.order_by("pk").values_list("pk", "state")),
        "receivables": list(Receivable.objects.order_by("pk").values_list("pk", "state")),
        "facility": (facility.state, facility.reserved_amount, facility.outstanding_amount),
        "decisions": ApprovalDecision.objects.count(),
        "entries": JournalEntry.objects.count(),
        "audit": AuditRecord.objects.count(),
    }


def _under_review(world, face="1000000.00"):
    receivable = _receivable(world, face=face)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                  value_date=TODAY, acting_user=world.supplier_user)
    services.receivable_confirm(receivable=receivable, amount=D(face), note="", acting_user=world.debtor_user)
    financing.refresh_from_db()
    assert financing.state == "under_review"
    return financing


@pytest.mark.parametrize(("state", "expires_in", "ending"), LAPSES)
def test_a_supplier_without_a_verified_kyc_cannot_request_financing(world, state, expires_in, ending):
    receivable = _receivable(world)
    date = lapse(world.supplier, state, expires_in)
    before = _snapshot(world)

    with pytest.raises(KycNotVerified) as refused:
        services.financing_request_create(supplier=world.supplier, receivables=[receivable], value_date=TODAY,
                                          acting_user=world.supplier_user)

    assert refused.value.message == refusal(world.supplier, ending, date)
    assert _snapshot(world) == before


@pytest.mark.parametrize(("state", "expires_in", "ending"), LAPSES)
def test_in_reverse_factoring_the_core_enterprise_whose_line_is_drawn_must_be_verified(world, state, expires_in,
                                                                                      ending):
    FacilityFactory(lender=world.lender, obligor=world.debtor, product=Product.REVERSE_FACTORING,
                    valid_from=datetime.date(2026, 1, 1), valid_to=datetime.date(2027, 12, 31))
    payable = services.payable_create(debtor=world.debtor, supplier=world.supplier, invoice_number="AP-1",
                                      issue_date=datetime.date(2026, 11, 1), due_date=DUE,
                                      face_amount=D("300000.00"), acting_user=world.debtor_user)
    date = lapse(world.debtor, state, expires_in)
    before = _snapshot(world)

    with pytest.raises(KycNotVerified) as refused:
        services.financing_request_create(supplier=world.supplier, receivables=[payable], value_date=TODAY,
                                          acting_user=world.supplier_user)

    assert refused.value.message == refusal(world.debtor, ending, date)
    assert _snapshot(world) == before


@pytest.mark.parametrize(("state", "expires_in", "ending"), LAPSES)
def test_no_approval_while_the_suppliers_kyc_is_not_verified_at_any_round(world, state, expires_in, ending):
    # 2,000,000 confirmed: an advance of 1,600,000 needs a credit officer, then a risk manager.
    financing = _under_review(world, face="2000000.00")
    services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    date = lapse(world.supplier, state, expires_in)
    before = _snapshot(world)

    with pytest.raises(KycNotVerified) as refused:
        services.financing_review_decide(financing=financing, approver=world.risk, decision="approve")

    assert refused.value.message == refusal(world.supplier, ending, date)
    assert _snapshot(world) == before


@pytest.mark.parametrize(("state", "expires_in", "ending"), LAPSES[:1])
def test_the_first_approval_is_refused_too_but_a_rejection_is_recorded(world, state, expires_in, ending):
    financing = _under_review(world)
    lapse(world.supplier, state, expires_in)
    before = _snapshot(world)

    with pytest.raises(KycNotVerified):
        services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    assert _snapshot(world) == before

    services.financing_review_decide(financing=financing, approver=world.officer, decision="reject",
                                     comment="KYC lapsed")
    financing.refresh_from_db()
    assert financing.state == "rejected"


@pytest.mark.parametrize(("state", "expires_in", "ending"), LAPSES)
def test_no_disbursement_while_the_suppliers_kyc_is_not_verified(world, state, expires_in, ending):
    financing = _under_review(world)
    services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    FactoringFinancing.objects.filter(pk=financing.pk).update(state="signed")  # signing is tested elsewhere
    financing.refresh_from_db()
    date = lapse(world.supplier, state, expires_in)
    before = _snapshot(world)

    with pytest.raises(KycNotVerified) as refused:
        settlement.financing_disburse(financing=financing, acting_user=world.ops, on=TODAY)

    assert refused.value.message == refusal(world.supplier, ending, date)
    assert _snapshot(world) == before


def test_the_api_answers_409_with_the_code(world):
    receivable = _receivable(world)
    lapse(world.supplier, "rejected", None)
    client = APIClient()
    client.force_authenticate(world.supplier_user)

    answer = client.post("/api/v1/factoring/financings/", {"receivables": [receivable.pk], "value_date": "2026-11-25"},
                         format="json")

    assert answer.status_code == 409, answer.content
    assert answer.json()["error"] == {
        "code": "kyc_not_verified",
        "message": "上海供应商有限公司 cannot be financed: its KYC is rejected, not verified."}
    assert not FactoringFinancing.objects.exists()


def test_the_review_page_shows_each_partys_kyc_to_the_lender_and_refuses_with_the_reason(world):
    financing = _under_review(world)
    lapse(world.debtor, "verified", 400)
    officer = Client()
    officer.force_login(world.officer)
    url = _only_task(officer)

    page = officer.get(url).content.decode()
    assert 'id="kyc"' in page
    assert "expires on 2027-12-30" in page  # the debtor's
    assert page.count("Verified") >= 2

    date = lapse(world.supplier, "expired", -30)
    page = officer.get(url).content.decode()
    assert "Expired" in page and f"its KYC expired on {date}." in page
    answer = officer.post(url, {"decision": "approve", "comment": ""})
    assert answer.status_code == 400
    assert f"上海供应商有限公司 cannot be financed: its KYC expired on {date}." in answer.content.decode()
    financing.refresh_from_db()
    assert financing.state == "under_review"

    # The supplier's own view of the case shows no one's KYC.
    supplier = Client()
    supplier.force_login(world.supplier_user)
    assert 'id="kyc"' not in supplier.get(reverse("factoring:financing-detail", args=[financing.pk])).content.decode()
