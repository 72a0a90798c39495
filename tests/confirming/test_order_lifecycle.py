"""An order from application to the seller's receipt: money by hand, every entry balanced, the flow's tasks."""

import pytest
from viewflow.workflow.models import Task

from scf.audit.services import history_for
from scf.collections.models import Receipt
from scf.collections.registry import handler_for
from scf.collections.services import receipt_record_unmatched
from scf.ledger.models import Account, JournalEntry
from workflows.confirming import orders
from workflows.confirming.models import PurchaseOrder
from workflows.inbox.services import OPEN, process_for

from .order_setup import *  # noqa: F403
from .order_setup import DAY, D, apply, approved, balance, ledger_balanced, paid

pytestmark = pytest.mark.django_db
P = Account.Purpose
State = PurchaseOrder.State


def open_steps(order) -> list[str]:
    process = process_for(order)
    return sorted(task.flow_task.name for task in Task.objects.filter(process=process, status__in=OPEN))


def test_the_order_is_priced_line_by_line_and_its_flow_asks_the_seller_then_the_credit_officer(ow):
    order = apply(ow)
    # 40 × 12,345.675 = 493,827.00; 7.5 × 1,333.333 = 9,999.9975 → 10,000.00
    assert [line.amount for line in order.lines.all()] == [D("493827.00"), D("10000.00")]
    assert (order.order_amount, order.initial_margin) == (D("503827.00"), D("151148.10"))
    assert order.state == State.SELLER_CONFIRMATION and open_steps(order) == ["seller_confirm"]
    orders.order_seller_confirm(order=order, acting_user=ow.seller_user)
    order.refresh_from_db()
    assert order.state == State.UNDER_REVIEW and open_steps(order) == ["review"]
    assert order.approval_case.amount == D("503827.00")
    orders.order_review_decide(order=order, approver=ow.officer, decision="approve")
    order.refresh_from_db()
    assert order.state == State.AWAITING_MARGIN and open_steps(order) == ["margin"]


def test_the_initial_margin_comes_through_collections_into_the_margin_account(ow):
    order = approved(ow)
    payment = orders.order_margin_apply(order=order, amount=D("100000.00"), received_on=DAY, bank_reference="m-1",
                                        acting_user=ow.ops)
    order.refresh_from_db()
    assert order.state == State.AWAITING_MARGIN and open_steps(order) == ["margin"]
    orders.order_margin_apply(order=order, amount=D("51148.10"), received_on=DAY, bank_reference="M-2",
                              acting_user=ow.ops)
    order.refresh_from_db()
    assert order.margin_paid == D("151148.10") and order.state == State.AWAITING_FUNDING
    assert open_steps(order) == ["fund"]
    receipt = Receipt.objects.get(bank_reference="M-1")
    assert (receipt.kind, receipt.applied_margin, receipt.suspense, receipt.case_reference) == (
        Receipt.Kind.MARGIN, D("100000.00"), D("0.00"), order.reference)
    assert payment.bank_reference == "M-1"
    assert balance(P.MARGIN, ow.distributor) == D("-151148.10")
    assert balance(P.DEBTOR_COLLECTION) == D("151148.10")
    assert ledger_balanced()


def test_funding_by_loan_pays_the_seller_m0_from_margin_and_the_rest_lent_once_however_often_pressed(ow):
    order = paid(ow, "loan")
    order = orders.order_fund(order=order, acting_user=ow.ops)
    again = orders.order_fund(order=order, acting_user=ow.ops)
    assert again.funded_on == DAY and JournalEntry.objects.filter(idempotency_key__contains=":funding").count() == 1
    order.refresh_from_db()
    assert order.state == State.FUNDED and order.maturity_date.isoformat() == "2026-08-29"
    assert order.loan_principal == D("352678.90")  # 503,827.00 − 151,148.10
    assert balance(P.ADVANCES, ow.distributor) == D("352678.90")
    assert balance(P.MARGIN, ow.distributor) == D("0.00")  # M0 paid out to the seller
    assert balance(P.LENDER_FUNDING) == D("-352678.90")
    assert balance(P.DEBTOR_COLLECTION) == D("0.00")  # the margin cash went to the seller with the loan
    assert order.exposure == D("352678.90")
    assert ledger_balanced()
    assert open_steps(order) == ["receipt"]
    orders.order_confirm_receipt(order=order, acting_user=ow.seller_user)
    orders.order_confirm_receipt(order=order, acting_user=ow.seller_user)
    order.refresh_from_db()
    assert order.receipt_confirmed_by == ow.seller_user
    assert open_steps(order) == [] and process_for(order).status == "DONE"


def test_funding_by_bill_freezes_m0_and_records_face_p_off_balance_sheet(ow):
    order = paid(ow, "acceptance_bill")
    orders.order_fund(order=order, acting_user=ow.ops, bill_number=" bac-2026-001 ")
    order.refresh_from_db()
    assert (order.state, order.bill_number, order.loan_principal) == (State.FUNDED, "BAC-2026-001", D("0.00"))
    assert balance(P.ACCEPTANCE_CONTINGENT, ow.distributor) == D("503827.00")
    assert balance(P.ACCEPTANCES_OUTSTANDING) == D("-503827.00")
    assert balance(P.MARGIN, ow.distributor) == D("0.00")
    assert balance(P.MARGIN_FROZEN, ow.distributor) == D("-151148.10")
    assert balance(P.LENDER_FUNDING) == D("0.00")  # no money left the lender: the bill is paid at maturity
    assert balance(P.DEBTOR_COLLECTION) == D("151148.10")
    assert ledger_balanced()


def test_the_history_names_each_step_and_who_took_it(ow):
    order = orders.order_fund(order=paid(ow), acting_user=ow.ops)
    actions = [(record.action_label, record.actor_id) for record in history_for(order)]
    labels = [str(label) for label, _actor in actions]
    for expected in ("Created", "Submitted", "Confirmed by the seller", "Approved", "Margin paid", "Margin received",
                     "Funded"):
        assert expected in labels
    assert (("Funded", ow.ops.pk) in [(str(label), actor) for label, actor in actions])


def test_margin_waiting_in_suspense_is_applied_to_the_order_and_more_than_it_needs_stays_in_suspense(ow):
    order = approved(ow)
    receipt = receipt_record_unmatched(lender=ow.lender, amount=D("151148.20"), value_date=DAY,
                                       bank_reference="UNM-1", payer_name="Distributor", acting_user=ow.ops)
    assert handler_for(order).find(order.reference, ow.ops) == order
    handler_for(order).apply_from_suspense(receipt=receipt, case=order, acting_user=ow.ops)
    receipt.refresh_from_db()
    order.refresh_from_db()
    # P − M is 503,827.00: all of it is margin
    assert (receipt.applied_margin, receipt.suspense) == (D("151148.20"), D("0.00"))
    assert order.margin_paid == D("151148.20") and order.state == State.AWAITING_FUNDING
    assert open_steps(order) == ["fund"] and balance(P.SUSPENSE) == D("0.00")
    big = receipt_record_unmatched(lender=ow.lender, amount=D("400000.00"), value_date=DAY, bank_reference="UNM-2",
                                   payer_name="Distributor", acting_user=ow.ops)
    handler_for(order).apply_from_suspense(receipt=big, case=order, acting_user=ow.ops)
    big.refresh_from_db()
    # 503,827.00 − 151,148.20 = 352,678.80 to margin; 47,321.20 stays in suspense
    assert (big.applied_margin, big.suspense) == (D("352678.80"), D("47321.20"))
    assert balance(P.SUSPENSE) == D("-47321.20") and ledger_balanced()
