"""An order unpaid at maturity: the lender's advance (垫款), its penalty interest, its repayment and the closed file.

Figures worked by hand. One line of 1,000 t at 1,000.00 → P = 1,000,000.00; m = 0.30 → M0 = 300,000.00; a
loan lends P − M0 = 700,000.00. Funded on 2026-03-02, 180 days → maturity Saturday 2026-08-29; the refund
notice k = 5 business days before, 2026-08-24.

Loan, M = 400,000.00 (100,000.00 beyond M0), no refund: S = P − M = 600,000.00. At the advance the margin
beyond M0 repays 100,000.00 of the loan: 700,000.00 − 100,000.00 = 600,000.00 left in the distributor's
advances: the advance. Penalty at 0.0450 × 1.5 = 0.0675 a year, ACT/360: 600,000.00 × 0.0675 / 360 = 112.50 a
day from the day of the advance (29 August).
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from documents.models import Document
from scf.collections.models import Receipt
from scf.collections.services import receipt_record_unmatched
from scf.facilities.models import CreditFacility
from scf.ledger.models import Account, JournalEntry
from workflows.confirming import advances, maturity, orders
from workflows.confirming.exceptions import OrderStateConflict
from workflows.confirming.models import PurchaseOrder, RefundDemand

from .order_setup import *  # noqa: F403
from .order_setup import D, balance, ledger_balanced
from .test_maturity_refund import MATURITY, NOTICE_DAY, ONE_LINE, at

pytestmark = pytest.mark.django_db
P = Account.Purpose
State = PurchaseOrder.State
DAY = datetime.date(2026, 3, 2)


def funded(ow, route="loan", extra="100000.00") -> PurchaseOrder:
    """P 1,000,000.00 funded on 2026-03-02, M0 300,000.00, then `extra` more margin."""
    order = orders.order_create(agreement=ow.agreement, lines=ONE_LINE, route=route, acting_user=ow.distributor_user)
    orders.order_submit(order=order, acting_user=ow.distributor_user)
    orders.order_seller_confirm(order=order, acting_user=ow.seller_user)
    orders.order_review_decide(order=order, approver=ow.officer, decision="approve")
    orders.order_margin_apply(order=order, amount=D("300000.00"), received_on=DAY, bank_reference="M-1",
                              acting_user=ow.ops)
    orders.order_fund(order=order, acting_user=ow.ops, bill_number="BAC-2026-9" if route != "loan" else "")
    if D(extra):
        orders.order_margin_apply(order=order, amount=D(extra), received_on=DAY, bank_reference="M-2",
                                  acting_user=ow.ops)
    order.refresh_from_db()
    assert order.maturity_date == MATURITY
    return order


def advanced(ow, today, route="loan", extra="100000.00") -> PurchaseOrder:
    order = funded(ow, route, extra)
    at(today, NOTICE_DAY)
    maturity.open_refund_demands(NOTICE_DAY)
    at(today, MATURITY)
    assert maturity.settle_matured(MATURITY) == 0
    assert advances.advance_matured(MATURITY) == 1
    order.refresh_from_db()
    return order


def logged_in(user, language="en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def test_a_loan_unpaid_at_maturity_is_advanced_once_the_demand_lapses_and_the_facilities_freeze(ow, today):
    order = funded(ow)
    at(today, NOTICE_DAY)
    maturity.open_refund_demands(NOTICE_DAY)
    at(today, datetime.date(2026, 8, 28))
    assert advances.advance_matured(datetime.date(2026, 8, 28)) == 0  # the day before maturity: not yet
    with pytest.raises(OrderStateConflict, match="matures on 2026-08-29"):
        advances.order_advance(order=order, acting_user=None, on=datetime.date(2026, 8, 28))
    at(today, MATURITY)
    assert advances.advance_matured(MATURITY) == 1
    assert advances.advance_matured(MATURITY) == 0  # run again: advanced once
    assert advances.advance_matured(datetime.date(2026, 8, 31)) == 0
    order.refresh_from_db()
    assert order.state == State.ADVANCED
    assert (order.advanced_on, order.advance_amount, order.advance_outstanding, order.core_claim_amount) == (
        MATURITY, D("600000.00"), D("600000.00"), D("600000.00"))
    assert (order.penalty_accrued, order.penalty_accrued_to) == (D("0.00"), MATURITY)
    assert RefundDemand.objects.get(order=order).state == RefundDemand.State.LAPSED
    # 700,000.00 lent − 100,000.00 margin beyond M0 = 600,000.00 overdue; the margin account is emptied.
    assert balance(P.ADVANCES, ow.distributor) == D("600000.00")
    assert balance(P.MARGIN, ow.distributor) == D("0.00")
    assert JournalEntry.objects.filter(idempotency_key=f"confirming:{order.reference}:advance").count() == 1
    assert ledger_balanced()
    states = set(CreditFacility.objects.filter(obligor__in=[ow.distributor, ow.seller]).values_list("state", flat=True))
    assert states == {CreditFacility.State.FROZEN}
    notice = Document.objects.get(kind="confirming_advance_notice", object_id=order.pk)
    assert notice.language == ow.distributor.preferred_language
    # Advanced again by hand: the order unchanged; it is no longer settled by margin and refund.
    assert advances.order_advance(order=order, acting_user=ow.ops, on=MATURITY).advance_amount == D("600000.00")
    with pytest.raises(OrderStateConflict):
        maturity.order_settle(order=order, acting_user=None, on=MATURITY)


def test_a_bill_unpaid_at_maturity_is_paid_by_the_lender_from_margin_refund_and_its_own_funds(ow, today):
    """Bill route, M = 500,000.00 (200,000.00 beyond M0), the seller refunds 100,000.00 of 500,000.00 demanded:
    S = 1,000,000.00 − 500,000.00 − 100,000.00 = 400,000.00. The bill of 1,000,000.00 is paid from the frozen M0
    300,000.00, the margin 200,000.00, the seller's refund 100,000.00 (600,000.00 out of the collection account,
    where it came in) and 400,000.00 of the lender's funds; the contingent pair of 1,000,000.00 is reversed."""
    order = funded(ow, "acceptance_bill", "200000.00")
    at(today, NOTICE_DAY)
    maturity.open_refund_demands(NOTICE_DAY)
    maturity.order_refund_apply(order=order, amount=D("100000.00"), received_on=NOTICE_DAY, bank_reference="RF-1",
                                acting_user=ow.ops)
    at(today, MATURITY)
    assert maturity.settle_matured(MATURITY) == 0
    assert advances.advance_matured(MATURITY) == 1
    order.refresh_from_db()
    assert (order.state, order.advance_amount, order.refund_paid) == (State.ADVANCED, D("400000.00"),
                                                                       D("100000.00"))
    assert balance(P.ADVANCES, ow.distributor) == D("400000.00")
    assert balance(P.LENDER_FUNDING) == D("-400000.00")
    assert balance(P.DEBTOR_COLLECTION) == D("0.00")  # 300,000 + 200,000 + 100,000 in, 600,000 out
    for purpose, owner in ((P.MARGIN, ow.distributor), (P.MARGIN_FROZEN, ow.distributor),
                           (P.MARGIN_FROZEN, ow.seller), (P.ACCEPTANCE_CONTINGENT, ow.distributor),
                           (P.ACCEPTANCES_OUTSTANDING, None)):
        assert balance(purpose, owner) == D("0.00"), purpose
    reversal = JournalEntry.objects.get(idempotency_key=f"confirming:{order.reference}:acceptance:reversal")
    assert reversal.reverses.idempotency_key == f"confirming:{order.reference}:acceptance"
    assert ledger_balanced()


def test_nothing_is_advanced_when_margin_pays_the_order(ow, today):
    order = funded(ow, extra="700000.00")  # M = P
    at(today, MATURITY)
    assert advances.advance_matured(MATURITY) == 0
    with pytest.raises(OrderStateConflict):
        advances.order_advance(order=order, acting_user=None, on=MATURITY)
    order.refresh_from_db()
    assert order.advanced_on is None and order.state != State.ADVANCED


def test_penalty_interest_accrues_112_50_a_day_and_the_job_is_idempotent(ow, today):
    """600,000.00 × 0.0675 / 360 = 112.50 a day from 29 August: to 30 August 112.50, to 2 September 4 days 450.00."""
    order = advanced(ow, today)
    assert advances.accrue_advance_penalties(MATURITY) == 0  # no day has passed
    at(today, datetime.date(2026, 8, 30))
    assert advances.accrue_advance_penalties(datetime.date(2026, 8, 30)) == 1
    assert advances.accrue_advance_penalties(datetime.date(2026, 8, 30)) == 0  # run again: nothing more
    order.refresh_from_db()
    assert (order.penalty_accrued, order.penalty_outstanding) == (D("112.50"), D("112.50"))
    at(today, datetime.date(2026, 9, 2))
    assert advances.accrue_advance_penalties(datetime.date(2026, 9, 2)) == 1  # days missed are caught up
    order.refresh_from_db()
    assert (order.penalty_accrued, order.penalty_accrued_to) == (D("450.00"), datetime.date(2026, 9, 2))
    assert balance(P.PENALTY_RECEIVABLE, ow.distributor) == D("450.00")
    assert balance(P.PENALTY_INCOME) == D("-450.00")
    assert ledger_balanced()


def test_run_daily_runs_the_advance_after_the_settlements_then_the_penalty(ow, today):
    from scf.core.jobs import daily_jobs, run_daily

    names = [job.name for job in daily_jobs() if job.name.startswith("confirming.")]
    assert names.index("confirming.settlements") < names.index("confirming.advance") < names.index(
        "confirming.advance_penalty") < names.index("confirming.delivery_reconciliation")
    order = funded(ow)
    at(today, MATURITY)
    assert run_daily(MATURITY)["confirming.advance"] == 1
    assert run_daily(MATURITY)["confirming.advance"] == 0
    at(today, datetime.date(2026, 8, 30))
    assert run_daily(datetime.date(2026, 8, 30))["confirming.advance_penalty"] == 1
    order.refresh_from_db()
    assert order.penalty_accrued == D("112.50")


def test_repayments_pay_penalty_first_then_the_advance_and_the_last_closes_the_file(ow, today):
    """2 September, 100,000.00: penalty to date 4 × 112.50 = 450.00, then 99,550.00 of the advance → 500,450.00 left.
    3 September: one day on 500,450.00 × 0.0675 / 360 = 93.834375; round(450 + 93.834375) = 543.83, posted 450.00
    → 93.83 more; owed 500,450.00 + 93.83 = 500,543.83. One cent more is refused (400); the rest closes it."""
    order = advanced(ow, today)
    at(today, datetime.date(2026, 9, 2))
    receipt = advances.order_advance_repay(order=order, amount=D("100000.00"), received_on=datetime.date(2026, 9, 2),
                                           bank_reference="AR-1", acting_user=ow.ops)
    assert (receipt.kind, receipt.applied_penalty, receipt.applied_advance, receipt.suspense) == (
        Receipt.Kind.DEBTOR_PAYMENT, D("450.00"), D("99550.00"), D("0.00"))
    again = advances.order_advance_repay(order=order, amount=D("100000.00"), received_on=datetime.date(2026, 9, 2),
                                         bank_reference="AR-1", acting_user=ow.ops)
    assert again.pk == receipt.pk
    order.refresh_from_db()
    assert (order.advance_outstanding, order.penalty_outstanding) == (D("500450.00"), D("0.00"))

    at(today, datetime.date(2026, 9, 3))
    entries = JournalEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        advances.order_advance_repay(order=order, amount=D("500543.84"), received_on=datetime.date(2026, 9, 3),
                                     bank_reference="AR-2", acting_user=ow.ops)
    assert "amount" in refused.value.message_dict and "500,543.83" in refused.value.message_dict["amount"][0]
    assert JournalEntry.objects.count() == entries and not Receipt.objects.filter(bank_reference="AR-2").exists()

    response = logged_in(ow.ops).post(reverse("api:confirming-order-advance-repayments", args=[order.pk]),
                                      {"amount": "500543.83", "received_on": "2026-09-03", "bank_reference": "AR-2"},
                                      content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["state"], data["advance_outstanding"], data["penalty_accrued"], data["penalty_outstanding"]) == (
        "closed", "0.00", "543.83", "0.00")
    last = Receipt.objects.get(bank_reference="AR-2")
    assert (last.applied_penalty, last.applied_advance) == (D("93.83"), D("500450.00"))
    assert balance(P.ADVANCES, ow.distributor) == D("0.00")
    assert balance(P.PENALTY_RECEIVABLE, ow.distributor) == D("0.00")
    assert balance(P.PENALTY_INCOME) == D("-543.83")
    assert ledger_balanced()
    assert Document.objects.filter(kind="confirming_advance_settlement", object_id=order.pk).exists()
    assert not Document.objects.filter(kind="confirming_settlement_advice", object_id=order.pk).exists()
    # The facilities stay frozen until the lender's risk staff unfreeze them.
    assert set(CreditFacility.objects.filter(obligor__in=[ow.distributor, ow.seller])
               .values_list("state", flat=True)) == {CreditFacility.State.FROZEN}


def test_the_api_refuses_with_409_on_an_order_not_advanced_and_400_on_bad_input_and_404_elsewhere(ow, today,
                                                                                                   corporate):
    order = funded(ow)
    url = reverse("api:confirming-order-advance-repayments", args=[order.pk])
    body = {"amount": "1000.00", "received_on": "2026-03-02", "bank_reference": "AR-X"}
    response = logged_in(ow.ops).post(url, body, content_type="application/json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "confirming_order_state"
    bad = logged_in(ow.ops).post(url, {"amount": "-5", "received_on": "soon"}, content_type="application/json")
    assert bad.status_code == 400
    assert {"amount", "received_on", "bank_reference"} <= set(bad.json()["error"]["fields"])
    _stranger, stranger = corporate("stranger", is_distributor=True, is_supplier=False)
    assert logged_in(stranger).post(url, body, content_type="application/json").status_code == 404
    assert logged_in(ow.distributor_user).post(url, body, content_type="application/json").status_code == 403
    assert not Receipt.objects.filter(bank_reference="AR-X").exists()


def test_money_through_collections_on_an_advanced_order_repays_the_advance(ow, today):
    """A bank line in suspense on 30 August, 50,000.00 from the seller under its claim: penalty 112.50 (one day),
    then 49,887.50 of the advance → 550,112.50 left."""
    order = advanced(ow, today)
    at(today, datetime.date(2026, 8, 30))
    receipt = receipt_record_unmatched(amount=D("50000.00"), value_date=datetime.date(2026, 8, 30),
                                       bank_reference="BANK-A", lender=ow.lender, currency="CNY",
                                       payer_name=ow.seller.legal_name, acting_user=ow.ops)
    maturity.RECEIPT_HANDLER.apply_from_suspense(receipt=receipt, case=order, acting_user=ow.ops, payer=ow.seller)
    receipt.refresh_from_db()
    order.refresh_from_db()
    assert (receipt.applied_penalty, receipt.applied_advance, receipt.payer) == (D("112.50"), D("49887.50"), ow.seller)
    assert (order.advance_outstanding, order.penalty_outstanding, order.state) == (D("550112.50"), D("0.00"),
                                                                                   State.ADVANCED)
    assert balance(P.SUSPENSE) == D("0.00")
    assert ledger_balanced()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_order_page_shows_the_advance_card_and_ops_record_a_repayment(ow, today, language):
    order = advanced(ow, today)
    ops_page = logged_in(ow.ops, language).get(reverse("confirming:order-detail", args=[order.pk])).content.decode()
    distributor_page = logged_in(ow.distributor_user, language).get(
        reverse("confirming:order-detail", args=[order.pk])).content.decode()
    assert 'id="advance"' in distributor_page and "600,000.00" in distributor_page
    assert 'id="advance-repayment-form"' in ops_page and 'id="advance-repayment-form"' not in distributor_page
    if language == "zh-hans":
        assert "登记垫款还款" in ops_page and "额度仍保持冻结" in ops_page
    else:
        assert "Record advance repayment" in ops_page and "stay frozen" in ops_page
    refused = logged_in(ow.ops).post(reverse("confirming:order-advance-repayment", args=[order.pk]), {
        "amount": "0", "received_on": "2026-08-29", "bank_reference": "AR-P"})
    assert refused.status_code == 302 and not Receipt.objects.filter(bank_reference="AR-P").exists()
    response = logged_in(ow.ops).post(reverse("confirming:order-advance-repayment", args=[order.pk]), {
        "amount": "600000.00", "received_on": "2026-08-29", "bank_reference": "AR-P"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.advance_outstanding, order.state) == (D("0.00"), State.CLOSED)  # repaid on the day: no penalty


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_advance_notice_and_settlement_advice_print_the_advance(ow, today, language,
                                                                     django_capture_on_commit_callbacks):
    from .test_order_documents import issued, pdf_text

    ow.distributor.preferred_language = language
    ow.distributor.save(update_fields=["preferred_language"])
    with django_capture_on_commit_callbacks(execute=True):
        order = advanced(ow, today)
    notice = issued("confirming_advance_notice", order)
    assert notice.number.startswith("CWAN") and notice.language == language
    text = pdf_text(notice)
    assert "600,000.00" in text and "6.75%" in text and "2026-08-29" in text
    assert ("垫款通知书" in text) if language == "zh-hans" else ("ADVANCENOTICE" in text)
    with django_capture_on_commit_callbacks(execute=True):
        advances.order_advance_repay(order=order, amount=D("600000.00"), received_on=MATURITY,
                                     bank_reference="AR-D", acting_user=ow.ops)
    advice = issued("confirming_advance_settlement", order)
    assert advice.number.startswith("CWAS")
    text = pdf_text(advice)
    assert "600,000.00" in text and "2026-08-29" in text
    assert ("垫款结清通知书" in text) if language == "zh-hans" else ("ADVANCESETTLEMENTADVICE" in text)
