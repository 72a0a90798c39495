"""The facility's headroom is checked when the supplier applies, and at every approval stage.

The world's facility: limit 20,000,000.00, advance rate 0.80. An invoice of 1,000,000.00 on face
asks for an advance of 800,000.00. Reserving 19,500,000.00 for another case leaves a headroom of
500,000.00, which the advance exceeds.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from scf.facilities.exceptions import FacilityLimitExceeded
from scf.facilities.models import Product
from scf.facilities.services import facility_release, facility_reserve
from scf.parties.models import TradeRelationship
from tests.factories import FacilityFactory
from workflows.approval.models import ApprovalDecision
from workflows.factoring import services
from workflows.factoring.flows import FactoringFlow
from workflows.factoring.imports import receivables_import
from workflows.factoring.models import FactoringFinancing, Receivable

from .test_financing_lifecycle import DUE, _receivable, _task

D = Decimal
SHORT = "The advance of CNY 800,000.00 exceeds the headroom of CNY 500,000.00 on facility {ref}."


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _leave_headroom(world, headroom: str, reference: str = "OTHER-CASE"):
    facility_reserve(facility=world.facility, amount=world.facility.limit_amount - D(headroom), reference=reference,
                     acting_user=None)
    world.facility.refresh_from_db()
    assert world.facility.available_amount == D(headroom)


def _quote_data(receivable, action="quote"):
    return {"receivables": [str(receivable.pk)], "value_date": "2026-11-25", "action": action}


def test_the_quote_page_shows_the_headroom_and_refuses_an_advance_above_it(world):
    receivable = _receivable(world)
    client = _client(world.supplier_user)
    page = client.post(reverse("factoring:financing-request"), _quote_data(receivable)).content.decode()
    assert f"{world.facility.reference} · headroom CNY 20,000,000.00" in page
    _leave_headroom(world, "500000.00")
    for action in ("quote", "apply"):
        refused = client.post(reverse("factoring:financing-request"), _quote_data(receivable, action))
        assert refused.status_code == 400
        text = refused.content.decode()
        assert SHORT.format(ref=world.facility.reference) in text
        assert 'id="quote"' not in text and 'value="apply"' not in text
    assert not FactoringFinancing.objects.exists()
    receivable.refresh_from_db()
    assert receivable.state == Receivable.State.DRAFT


def test_applying_above_the_headroom_is_refused_on_the_invoices_and_changes_nothing(world):
    receivable = _receivable(world)
    _leave_headroom(world, "799999.99")
    with pytest.raises(ValidationError) as error:
        services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                          value_date=datetime.date(2026, 11, 25), acting_user=world.supplier_user)
    assert error.value.message_dict == {"receivables": [
        "The advance of CNY 800,000.00 exceeds the headroom of CNY 799,999.99 on facility "
        f"{world.facility.reference}."]}
    assert FactoringFinancing.objects.count() == 0
    assert Receivable.objects.get().state == Receivable.State.DRAFT
    # Exactly the headroom fits.
    facility_release(facility=world.facility, reference="OTHER-CASE", acting_user=None)
    _leave_headroom(world, "800000.00", reference="OTHER-CASE-2")
    services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                      value_date=datetime.date(2026, 11, 25), acting_user=world.supplier_user)
    assert FactoringFinancing.objects.count() == 1


def test_the_api_quote_shows_the_headroom_and_answers_400_above_it(world):
    receivable = _receivable(world)
    client = _client(world.supplier_user)
    url = "/api/v1/factoring/financings/quote/"
    payload = {"receivables": [receivable.pk], "value_date": "2026-11-25"}
    body = client.post(url, payload, content_type="application/json").json()
    # A = 800,000.00; I = 800,000 × 0.065 × 90/360 = 13,000.00; F = 5,000.00; net = 782,000.00.
    assert {k: body[k] for k in ("confirmed_amount", "advance", "interest", "fee", "net_disbursement", "tenor_days",
                                 "value_date", "value_date_note", "facility", "headroom", "fits_facility")} == {
        "confirmed_amount": "1000000.00", "advance": "800000.00", "interest": "13000.00", "fee": "5000.00",
        "net_disbursement": "782000.00", "tenor_days": 90, "value_date": "2026-11-25", "value_date_note": "",
        "facility": world.facility.reference, "headroom": "20000000.00", "fits_facility": True}
    _leave_headroom(world, "500000.00")
    for endpoint in (url, "/api/v1/factoring/financings/"):
        response = client.post(endpoint, payload, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["error"]["fields"] == {"receivables": [SHORT.format(ref=world.facility.reference)]}
    assert FactoringFinancing.objects.count() == 0


@pytest.fixture
def reverse_world(world):
    """core's own reverse-factoring facility with 1,000,000.00 limit, and an approved payable of 1,000,000.00."""
    facility = FacilityFactory(lender=world.lender, obligor=world.debtor, product=Product.REVERSE_FACTORING,
                               limit_amount=D("1000000.00"), valid_from=datetime.date(2026, 1, 1),
                               valid_to=datetime.date(2027, 12, 31))
    payable = services.payable_create(debtor=world.debtor, supplier=world.supplier, invoice_number="AP-1",
                                      issue_date=datetime.date(2026, 11, 1), due_date=DUE,
                                      face_amount=D("1000000.00"), acting_user=world.debtor_user)
    return facility, payable


def test_in_reverse_factoring_the_supplier_learns_only_whether_the_advance_fits(world, reverse_world):
    facility, payable = reverse_world
    client = _client(world.supplier_user)
    page = client.post(reverse("factoring:financing-request"), _quote_data(payable)).content.decode()
    assert "The advance fits in the core enterprise's facility." in page
    assert facility.reference not in page and "1,000,000.00 on facility" not in page
    body = client.post("/api/v1/factoring/financings/quote/", {"receivables": [payable.pk], "value_date": "2026-11-25"},
                       content_type="application/json").json()
    assert (body["fits_facility"], body["facility"], body["headroom"]) == (True, None, None)
    facility_reserve(facility=facility, amount=D("200000.01"), reference="OTHER", acting_user=None)
    refused = client.post(reverse("factoring:financing-request"), _quote_data(payable))
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "The advance of CNY 800,000.00 does not fit in the core enterprise&#x27;s facility." in text
    assert "799,999.99" not in text and facility.reference not in text
    assert FactoringFinancing.objects.count() == 0


def _requested(world, face="1000000.00"):
    receivable = _receivable(world, face=face)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                  value_date=datetime.date(2026, 11, 25),
                                                  acting_user=world.supplier_user)
    return financing, receivable


def test_the_debtors_confirmation_is_never_refused_and_the_review_page_warns(world):
    financing, receivable = _requested(world)
    _leave_headroom(world, "500000.00")
    services.receivable_confirm(receivable=receivable, amount=D("1000000.00"), note="", acting_user=world.debtor_user)
    financing.refresh_from_db()
    assert financing.state == FactoringFinancing.State.UNDER_REVIEW
    officer = _client(world.officer)
    task_url = _review_task_url(financing)
    page = officer.get(task_url).content.decode()
    assert 'id="limit-warning"' in page
    assert (SHORT.format(ref=world.facility.reference) + " It can be rejected or returned, not approved.") in page
    refused = officer.post(task_url, {"decision": "approve", "comment": "", "_viewflow_activation-started": "x"})
    assert refused.status_code == 400 and SHORT.format(ref=world.facility.reference) in refused.content.decode()
    assert ApprovalDecision.objects.count() == 0
    financing.refresh_from_db()
    assert financing.state == FactoringFinancing.State.UNDER_REVIEW


def _review_task_url(financing):
    return reverse("inbox:task", kwargs={"task_pk": _task(financing, FactoringFlow.review).pk})


def test_every_approval_stage_checks_the_headroom_and_reject_or_return_stay_possible(world):
    # face 1,500,000.00 → A = 1,200,000.00: a credit officer, then a risk manager.
    financing, receivable = _requested(world, face="1500000.00")
    services.receivable_confirm(receivable=receivable, amount=D("1500000.00"), note="", acting_user=world.debtor_user)
    services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    _leave_headroom(world, "1199999.99")
    with pytest.raises(FacilityLimitExceeded) as error:
        services.financing_review_decide(financing=financing, approver=world.risk, decision="approve")
    assert error.value.message == (f"The advance of CNY 1,200,000.00 exceeds the headroom of CNY 1,199,999.99 "
                                   f"on facility {world.facility.reference}.")
    assert list(ApprovalDecision.objects.values_list("decision", flat=True)) == ["approve"]
    services.financing_review_decide(financing=financing, approver=world.risk, decision="return",
                                     comment="The facility is used up; wait for repayments.")
    financing.refresh_from_db()
    assert financing.state == FactoringFinancing.State.RETURNED


def test_the_first_approval_is_refused_above_the_headroom_and_a_rejection_is_recorded(world):
    financing, receivable = _requested(world)
    services.receivable_confirm(receivable=receivable, amount=D("1000000.00"), note="", acting_user=world.debtor_user)
    _leave_headroom(world, "500000.00")
    with pytest.raises(FacilityLimitExceeded):
        services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    assert ApprovalDecision.objects.count() == 0
    services.financing_review_decide(financing=financing, approver=world.officer, decision="reject",
                                     comment="Over the limit.")
    financing.refresh_from_db()
    assert financing.state == FactoringFinancing.State.REJECTED


# --- sane upper bounds at registration ---------------------------------------------------------

def test_an_invoice_above_the_facility_limit_is_refused_at_registration(world):
    with pytest.raises(ValidationError) as error:
        _receivable(world, face="9999999999999.99")
    assert error.value.message_dict == {"face_amount": [
        "The face amount 9,999,999,999,999.99 is above the limit of CNY 20,000,000.00 of facility "
        f"{world.facility.reference}."]}
    assert Receivable.objects.count() == 0
    _receivable(world, face="20000000.00")  # the limit itself is accepted
    assert Receivable.objects.count() == 1


def test_without_a_facility_the_bound_is_the_largest_amount_in_words(world, corporate):
    supplier, user = corporate("no-facility")

    def register(number, face):
        return services.receivable_create(supplier=supplier, debtor=world.debtor, invoice_number=number,
                                          issue_date=datetime.date(2026, 11, 1), due_date=DUE, face_amount=D(face),
                                          acting_user=user)

    register("MAX", "9999999999999.99")
    with pytest.raises(ValidationError) as error:
        register("OVER", "10000000000000.00")
    assert error.value.message_dict == {"face_amount": [
        "The face amount 10,000,000,000,000.00 is above the largest amount accepted, 9,999,999,999,999.99."]}
    assert Receivable.objects.count() == 1


def test_the_api_and_the_portal_refuse_an_invoice_above_the_limit_with_a_field_error(world):
    client = _client(world.supplier_user)
    invoice = {"invoice_number": "BIG-1", "issue_date": "2026-11-01", "due_date": "2027-02-23",
               "face_amount": "20000000.01"}
    response = client.post("/api/v1/receivables/", {**invoice, "debtor": world.debtor.uscc},
                           content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["face_amount"]
    TradeRelationship.objects.create(seller=world.supplier, buyer=world.debtor)
    page = client.post(reverse("factoring:receivable-list"), {**invoice, "debtor": world.debtor.pk, "currency": "CNY"})
    assert page.status_code == 400 and "is above the limit of CNY 20,000,000.00" in page.content.decode()
    assert Receivable.objects.count() == 0


def test_an_approved_payable_above_the_cores_reverse_facility_limit_is_refused(world, reverse_world):
    facility, _payable = reverse_world
    with pytest.raises(ValidationError) as error:
        services.payable_create(debtor=world.debtor, supplier=world.supplier, invoice_number="AP-2",
                                issue_date=datetime.date(2026, 11, 1), due_date=DUE, face_amount=D("1000000.01"),
                                acting_user=world.debtor_user)
    assert error.value.message_dict == {"face_amount": [
        f"The face amount 1,000,000.01 is above the limit of CNY 1,000,000.00 of facility {facility.reference}."]}
    assert Receivable.objects.count() == 1


def test_an_uploaded_row_above_the_limit_is_reported_and_nothing_is_saved(world):
    data = ("debtor_uscc,invoice_number,issue_date,due_date,face_amount\n"
            f"{world.debtor.uscc},UP-1,2026-11-01,2027-02-23,100.00\n"
            f"{world.debtor.uscc},UP-2,2026-11-01,2027-02-23,20000000.01\n").encode()
    report = receivables_import(supplier=world.supplier, acting_user=world.supplier_user, data=data)
    assert [(e.row, e.field, e.problem) for e in report.errors] == [(3, "face_amount", (
        f"The face amount 20,000,000.01 is above the limit of CNY 20,000,000.00 of facility {world.facility.reference}."
    ))]
    assert not report.saved and Receivable.objects.count() == 0


def test_an_invoice_in_another_currency_is_not_bounded_by_the_facility_limit(world):
    # The CNY facility cannot finance a USD invoice: the bound is the amount in words only.
    services.receivable_create(supplier=world.supplier, debtor=world.debtor, invoice_number="USD-1",
                               issue_date=datetime.date(2026, 11, 1), due_date=DUE, face_amount=D("20000000.01"),
                               currency="USD", acting_user=world.supplier_user)
    assert Receivable.objects.count() == 1
