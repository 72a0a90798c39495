"""Refused order actions change nothing: each says why, with a stable code."""

import pytest
from django.core.exceptions import ValidationError

from scf.core.exceptions import ActionNotPermitted, IdempotencyConflict
from scf.facilities.exceptions import FacilityUnavailable
from scf.facilities.models import CreditFacility
from scf.ledger.models import JournalEntry
from scf.parties.exceptions import NoSettlementAccount
from scf.parties.models import SettlementAccount
from workflows.confirming import orders
from workflows.confirming.exceptions import OrderAboveLimit, OrderNotOpen, OrderStateConflict
from workflows.confirming.models import ConfirmingAgreement, PurchaseOrder

from .order_setup import *  # noqa: F403
from .order_setup import DAY, D, apply, approved, paid

pytestmark = pytest.mark.django_db
State = PurchaseOrder.State


def test_funding_before_the_initial_margin_is_paid_is_a_conflict(ow):
    order = approved(ow)
    orders.order_margin_apply(order=order, amount=D("151148.09"), received_on=DAY, bank_reference="M-1",
                              acting_user=ow.ops)
    with pytest.raises(OrderStateConflict) as error:
        orders.order_fund(order=order, acting_user=ow.ops)
    assert error.value.code == "confirming_order_state" and error.value.http_status == 409
    order.refresh_from_db()
    assert order.state == State.AWAITING_MARGIN and order.funded_on is None


def test_a_bill_needs_its_number_and_a_number_used_once(ow):
    order = paid(ow, "acceptance_bill")
    with pytest.raises(ValidationError) as error:
        orders.order_fund(order=order, acting_user=ow.ops, bill_number="  ")
    assert "bill_number" in error.value.message_dict
    PurchaseOrder.objects.filter(pk=order.pk).update(bill_number="")
    other = PurchaseOrder.objects.create(agreement=ow.agreement, reference="CWO-X", route="acceptance_bill",
                                         order_amount=D("10.00"), initial_margin=D("3.00"), prepared_by=ow.ops,
                                         bill_number="B-9", state=State.CANCELLED)
    assert other.pk
    with pytest.raises(ValidationError):
        orders.order_fund(order=order, acting_user=ow.ops, bill_number="b-9")
    assert not JournalEntry.objects.filter(idempotency_key__contains=":acceptance").exists()


def test_no_loan_without_the_sellers_verified_account_nor_while_a_facility_is_frozen(ow):
    order = paid(ow)
    SettlementAccount.objects.filter(organization=ow.seller).delete()
    with pytest.raises(NoSettlementAccount):
        orders.order_fund(order=order, acting_user=ow.ops)
    CreditFacility.objects.filter(pk=ow.agreement.guarantee_facility_id).update(state=CreditFacility.State.FROZEN)
    with pytest.raises(FacilityUnavailable):
        orders.order_fund(order=order, acting_user=ow.ops)
    order.refresh_from_db()
    assert order.state == State.AWAITING_FUNDING and not JournalEntry.objects.filter(
        idempotency_key__contains=":funding").exists()


def test_only_operations_fund_and_only_the_seller_confirms_receipt(ow):
    order = paid(ow)
    with pytest.raises(ActionNotPermitted):
        orders.order_fund(order=order, acting_user=ow.officer)
    with pytest.raises(OrderStateConflict):
        orders.order_confirm_receipt(order=order, acting_user=ow.seller_user)  # not funded yet
    orders.order_fund(order=order, acting_user=ow.ops)
    with pytest.raises(ActionNotPermitted):
        orders.order_confirm_receipt(order=order, acting_user=ow.distributor_user)


def test_the_seller_sends_an_order_back_with_a_reason_and_the_distributor_revises_and_resends_it(ow):
    order = apply(ow)
    with pytest.raises(ValidationError):
        orders.order_seller_decline(order=order, acting_user=ow.seller_user, note=" ")
    orders.order_seller_decline(order=order, acting_user=ow.seller_user, note="Cable drums are 7 sets.")
    order.refresh_from_db()
    assert order.state == State.RETURNED
    lines = [{"description": "Copper cathode", "unit": "t", "quantity": "40", "unit_price": "12345.675"},
             {"description": "Cable drum", "unit": "set", "quantity": "7", "unit_price": "1333.333"}]
    order = orders.order_update(order=order, lines=lines, route="loan", acting_user=ow.distributor_user)
    # 7 × 1,333.333 = 9,333.331 → 9,333.33; P = 503,160.33; M0 = 150,948.099 → 150,948.10
    assert (order.order_amount, order.initial_margin) == (D("503160.33"), D("150948.10"))
    orders.order_submit(order=order, acting_user=ow.distributor_user)
    orders.order_seller_confirm(order=order, acting_user=ow.seller_user)
    order.refresh_from_db()
    assert order.state == State.UNDER_REVIEW


def test_a_reviewer_return_needs_a_comment_and_a_rejection_frees_the_limit(ow):
    order = apply(ow)
    orders.order_seller_confirm(order=order, acting_user=ow.seller_user)
    with pytest.raises(ValidationError):
        orders.order_review_decide(order=order, approver=ow.officer, decision="reject", comment="")
    orders.order_review_decide(order=order, approver=ow.officer, decision="reject", comment="Goods overpriced.")
    order.refresh_from_db()
    assert order.state == State.REJECTED
    assert orders.agreement_limit_used(ow.agreement) == D("0.00")
    with pytest.raises(OrderStateConflict):
        orders.order_review_decide(order=order, approver=ow.officer, decision="approve")


def test_an_order_above_the_limit_left_is_refused_and_a_closed_order_of_a_non_revolving_agreement_still_counts(ow):
    ConfirmingAgreement.objects.filter(pk=ow.agreement.pk).update(limit_amount=D("1000000.00"), revolving=False)
    ow.agreement.refresh_from_db()
    first = orders.order_fund(order=paid(ow), acting_user=ow.ops)
    PurchaseOrder.objects.filter(pk=first.pk).update(state=State.CLOSED)
    big = [{"description": "Copper cathode", "unit": "t", "quantity": "40", "unit_price": "12345.675"},
           {"description": "Copper rod", "unit": "t", "quantity": "1", "unit_price": "2346.01"}]
    # 1,000,000.00 − 503,827.00 used = 496,173.00 left; 493,827.00 + 2,346.01 = 496,173.01
    with pytest.raises(OrderAboveLimit) as error:
        orders.order_create(agreement=ow.agreement, lines=big, route="loan", acting_user=ow.distributor_user)
    assert "496,173.00" in error.value.message and error.value.http_status == 409
    big[1]["unit_price"] = "2346.00"
    assert orders.order_create(agreement=ow.agreement, lines=big, route="loan",
                               acting_user=ow.distributor_user).order_amount == D("496173.00")


def test_an_order_with_margin_cannot_be_cancelled_and_a_closed_order_takes_no_margin(ow):
    order = approved(ow)
    orders.order_margin_apply(order=order, amount=D("1000.00"), received_on=DAY, bank_reference="M-1",
                              acting_user=ow.ops)
    with pytest.raises(OrderStateConflict):
        orders.order_cancel(order=order, acting_user=ow.distributor_user)
    with pytest.raises(IdempotencyConflict):
        orders.order_margin_apply(order=PurchaseOrder.objects.create(
            agreement=ow.agreement, reference="CWO-Y", route="loan", order_amount=D("10000.00"),
            initial_margin=D("3000.00"), prepared_by=ow.ops, state=State.AWAITING_MARGIN),
            amount=D("1000.00"), received_on=DAY, bank_reference="M-1", acting_user=ow.ops)
    PurchaseOrder.objects.filter(pk=order.pk).update(state=State.CLOSED)
    with pytest.raises(OrderNotOpen):
        orders.order_margin_apply(order=order, amount=D("1.00"), received_on=DAY, bank_reference="M-2",
                                  acting_user=ow.ops)
