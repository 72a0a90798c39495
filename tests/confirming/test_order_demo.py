"""The demo's purchase orders under dist1 ← core1: one at each stage, with their hand-computed money."""

import pytest
from viewflow.workflow.models import Task

from documents.models import Document
from scf.parties.demo import seed_demo
from scf.parties.models import User
from workflows.confirming.models import PurchaseOrder
from workflows.inbox.assignment import can_act

pytestmark = pytest.mark.django_db
D = __import__("decimal").Decimal


def test_the_demo_has_orders_awaiting_the_seller_the_margin_and_funded_by_loan_and_by_bill(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(password="Demo-Pass-1")
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(password="Demo-Pass-1")  # safe to run again: nothing doubles
    found = {o.seller_order_number: o for o in PurchaseOrder.objects.all()}
    assert len(found) == 5
    waiting = found["HZ-SO-2026-0101"]
    # 1,200 × 85.50 + 40 × 6,250.00 = 102,600.00 + 250,000.00
    assert (waiting.state, waiting.order_amount) == ("seller_confirmation", D("352600.00"))
    task = Task.objects.get(flow_task__endswith="ConfirmingOrderFlow.seller_confirm", status="NEW")
    assert can_act(User.objects.get(username="core1"), task)
    margin = found["HZ-SO-2026-0102"]
    assert (margin.state, margin.initial_margin) == ("awaiting_margin", D("98964.00"))  # 329,880.00 × 0.30
    loan = found["HZ-SO-2026-0103"]
    # 12 × 58,800.00 = 705,600.00; M0 211,680.00; lent 493,920.00
    assert (loan.state, loan.loan_principal, loan.receipt_confirmed_at is not None) == (
        "funded", D("493920.00"), True)
    bill = found["HZ-SO-2026-0104"]
    # Operations demanded the bill order's shortfall of core1 ahead of the job: S = 645,800.00 − 193,740.00.
    assert (bill.state, bill.order_amount, bill.margin_paid) == ("refund_demanded", D("645800.00"), D("193740.00"))
    assert bill.bill_number and bill.receipt_confirmed_at is None
    demand = bill.refund_demands.get()
    assert (demand.amount, demand.state, demand.due_date) == (D("452060.00"), "open", bill.maturity_date)
    task = Task.objects.get(flow_task__endswith="ConfirmingRefundFlow.acknowledge", status="NEW")
    assert can_act(User.objects.get(username="core1"), task)
    assert Document.objects.filter(kind="confirming_refund_notice", object_id=demand.pk).exists()
    for order in (loan, bill):
        assert Document.objects.filter(kind="confirming_disbursement_advice", object_id=order.pk,
                                       state__in=["issued", "signed"]).exists()
    assert Document.objects.filter(kind="confirming_margin_receipt").count() == 3
    # 30 × 15,000.00 = 450,000.00 by loan, only M0 = 135,000.00 paid, nothing refunded: the lender advanced
    # 315,000.00 at maturity; the risk stop it fired was lifted for the demo.
    advanced = found["HZ-SO-2026-0105"]
    assert (advanced.state, advanced.advance_amount, advanced.advance_outstanding) == (
        "advanced", D("315000.00"), D("315000.00"))
    assert Document.objects.filter(kind="confirming_advance_notice", object_id=advanced.pk,
                                   state__in=["issued", "signed"]).exists()
    from scf.facilities.models import CreditFacility
    parties = [advanced.agreement.distributor, advanced.agreement.seller]
    assert not CreditFacility.objects.filter(obligor__in=parties, state=CreditFacility.State.FROZEN).exists()
