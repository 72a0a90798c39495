"""Margin lets goods out by the agreement's release mode; releases never pass what the margin allows."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from scf.audit.models import AuditRecord
from scf.core.exceptions import ActionNotPermitted
from workflows.confirming.exceptions import (
    MarginExceedsOrder,
    MarginReferenceReused,
    OrderNotOpen,
    ReleaseExceedsAllowance,
)
from workflows.confirming.models import PurchaseOrder, ReleaseRequest
from workflows.confirming.services import order_margin_apply, release_request, release_withdraw

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 6, 1)


def _pay(world, order, amount, reference):
    return order_margin_apply(order=order, amount=D(amount), received_on=DAY, bank_reference=reference,
                              acting_user=world.ops)


def test_the_initial_margin_moves_the_order_to_funding_and_lets_nothing_out_in_mode_2(world, make_order):
    order = make_order()
    _pay(world, order, "300000.00", "TT-1")
    order.refresh_from_db()
    assert order.state == PurchaseOrder.State.AWAITING_FUNDING
    assert (order.margin_paid, order.allowed_value) == (D("300000.00"), D("0.00"))


def test_margin_beyond_the_initial_one_lets_goods_out_proportionally(world, make_order):
    order = make_order(state=PurchaseOrder.State.FUNDED, margin_paid=D("300000.00"))
    _pay(world, order, "210000.00", "TT-2")
    order.refresh_from_db()
    # (510,000 − 300,000) / (1 − 0.30) = 300,000.00
    assert (order.margin_paid, order.allowed_value, order.releasable_value) == (
        D("510000.00"), D("300000.00"), D("300000.00"))
    assert order.exposure == D("490000.00")


def test_a_payment_applied_twice_counts_once_and_a_reused_reference_is_refused(world, make_order):
    order = make_order(state=PurchaseOrder.State.FUNDED, margin_paid=D("300000.00"))
    first = _pay(world, order, "70000.00", "tt-3")
    assert _pay(world, order, "70000.00", "TT-3").pk == first.pk
    order.refresh_from_db()
    assert order.margin_paid == D("370000.00")
    with pytest.raises(MarginReferenceReused):
        _pay(world, order, "70000.01", "TT-3")


def test_margin_beyond_the_order_or_on_a_closed_order_is_refused(world, make_order):
    order = make_order(state=PurchaseOrder.State.FUNDED, margin_paid=D("300000.00"))
    with pytest.raises(MarginExceedsOrder) as error:
        _pay(world, order, "700000.01", "TT-4")
    assert "700,000.00" in error.value.message
    closed = make_order(reference="CWO-TEST-2", state=PurchaseOrder.State.CLOSED, margin_paid=D("300000.00"))
    with pytest.raises(OrderNotOpen):
        _pay(world, closed, "1.00", "TT-5")
    with pytest.raises(ValidationError):
        _pay(world, order, "0.001", "TT-6")
    order.refresh_from_db()
    assert order.margin_paid == D("300000.00")


def test_only_the_lenders_operations_apply_margin(world, make_order):
    order = make_order()
    with pytest.raises(ActionNotPermitted):
        order_margin_apply(order=order, amount=D("1.00"), received_on=DAY, bank_reference="X",
                           acting_user=world.distributor_user)


def test_releases_take_what_the_margin_allows_and_no_more(world, make_order):
    order = make_order(state=PurchaseOrder.State.FUNDED, margin_paid=D("510000.00"), allowed_value=D("300000.00"))
    release_request(order=order, value=D("100000.00"), acting_user=world.distributor_user)
    with pytest.raises(ReleaseExceedsAllowance) as error:
        release_request(order=order, value=D("200000.01"), acting_user=world.distributor_user)
    assert "200,000.00" in error.value.message
    last = release_request(order=order, value=D("200000.00"), acting_user=world.distributor_user)
    order.refresh_from_db()
    assert (order.released_value, order.releasable_value) == (D("300000.00"), D("0.00"))
    assert last.reference.startswith("CWR-")
    # withdrawing frees its value for a new request
    release_withdraw(release=last, acting_user=world.distributor_user)
    order.refresh_from_db()
    assert order.releasable_value == D("200000.00")
    assert ReleaseRequest.objects.get(pk=last.pk).state == ReleaseRequest.State.WITHDRAWN
    assert AuditRecord.objects.filter(action="confirming.release.request").count() == 2


def test_a_release_before_funding_or_by_someone_else_is_refused(world, make_order):
    order = make_order(state=PurchaseOrder.State.AWAITING_FUNDING, margin_paid=D("300000.00"))
    with pytest.raises(OrderNotOpen):
        release_request(order=order, value=D("1.00"), acting_user=world.distributor_user)
    funded = make_order(reference="CWO-TEST-3", state=PurchaseOrder.State.FUNDED, margin_paid=D("510000.00"),
                        allowed_value=D("300000.00"))
    with pytest.raises(ActionNotPermitted):
        release_request(order=funded, value=D("1.00"), acting_user=world.seller_user)
