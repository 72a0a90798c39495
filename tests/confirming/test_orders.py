"""A distributor applies for an order under an active agreement; the seller confirms it."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from scf.core.exceptions import ActionNotPermitted, IllegalTransition
from workflows.confirming.exceptions import AgreementNotActive, FundingRouteNotAllowed, OrderAboveLimit
from workflows.confirming.models import ConfirmingAgreement, PurchaseOrder
from workflows.confirming.services import order_create, order_seller_confirm, order_submit

pytestmark = pytest.mark.django_db

LINES = [
    {"description": "Excavator XE215", "unit": "set", "quantity": "3", "unit_price": "333333.335"},
    {"description": "Spare bucket", "unit": "piece", "quantity": "12.5", "unit_price": "1999.99"},
]


def _create(world, lines=LINES, route="acceptance_bill", user=None):
    return order_create(agreement=world.agreement, lines=lines, route=route,
                        acting_user=user or world.distributor_user, seller_order_number="SO-88")


def test_an_order_is_priced_line_by_line_with_its_initial_margin(world):
    order = _create(world)
    # 3 × 333,333.335 = 1,000,000.005 → 1,000,000.01; 12.5 × 1,999.99 = 24,999.875 → 24,999.88
    # P = 1,024,999.89; M0 = 1,024,999.89 × 0.30 = 307,499.967 → 307,499.97
    assert order.order_amount == D("1024999.89")
    assert order.initial_margin == D("307499.97")
    assert [line.amount for line in order.lines.all()] == [D("1000000.01"), D("24999.88")]
    assert order.state == PurchaseOrder.State.DRAFT and order.reference.startswith("CWO-")
    order_submit(order=order, acting_user=world.distributor_user)
    order_seller_confirm(order=order, acting_user=world.seller_user)
    order.refresh_from_db()
    assert order.state == PurchaseOrder.State.UNDER_REVIEW


def test_orders_above_what_the_limit_has_left_are_refused(world):
    # limit 5,000,000.00; four orders of 1,024,999.89 use 4,099,999.56; a fifth would pass the limit
    for _ in range(4):
        _create(world)
    with pytest.raises(OrderAboveLimit) as error:
        _create(world)
    assert "900,000.44" in error.value.message
    assert PurchaseOrder.objects.count() == 4
    # a cancelled order gives its part of the limit back
    PurchaseOrder.objects.filter(pk=PurchaseOrder.objects.first().pk).update(state=PurchaseOrder.State.CANCELLED)
    assert _create(world).order_amount == D("1024999.89")


def test_an_order_on_an_agreement_not_signed_by_all_is_refused(world):
    ConfirmingAgreement.objects.filter(pk=world.agreement.pk).update(state=ConfirmingAgreement.State.CONTRACT_ISSUED)
    with pytest.raises(AgreementNotActive):
        _create(world)


def test_a_route_the_agreement_does_not_allow_is_refused(world):
    ConfirmingAgreement.objects.filter(pk=world.agreement.pk).update(allows_loan=False)
    with pytest.raises(FundingRouteNotAllowed):
        _create(world, route="loan")
    with pytest.raises(ValidationError) as error:
        _create(world, route="cash")
    assert "route" in error.value.message_dict


@pytest.mark.parametrize("lines", [
    [],
    [{"description": "Bolt", "unit": "piece", "quantity": "0", "unit_price": "1"}],
    [{"description": "", "unit": "piece", "quantity": "1", "unit_price": "1"}],
    [{"description": "Bolt", "unit": "piece", "quantity": "abc", "unit_price": "1"}],
])
def test_bad_lines_are_refused_with_field_errors_and_nothing_is_created(world, lines):
    with pytest.raises(ValidationError) as error:
        _create(world, lines=lines)
    assert any(key.startswith("lines") for key in error.value.message_dict)
    assert not PurchaseOrder.objects.exists()


def test_only_the_distributor_applies_and_only_the_seller_confirms(world):
    with pytest.raises(ActionNotPermitted):
        _create(world, user=world.seller_user)
    order = _create(world)
    with pytest.raises(IllegalTransition):
        order_seller_confirm(order=order, acting_user=world.seller_user)  # not yet sent to the seller
    order_submit(order=order, acting_user=world.distributor_user)
    with pytest.raises(ActionNotPermitted):
        order_seller_confirm(order=order, acting_user=world.distributor_user)
