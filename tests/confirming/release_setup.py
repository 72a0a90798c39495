"""A funded order with lines of goods, built row by row (however orders get funded), and helpers to release from it.

The order: P = 1,000,000.00 at m = 0.30, M0 = 300,000.00, funded; two lines of goods:
  line 1  螺纹钢 HRB400  200.000 t × 3,500.00 = 700,000.00
  line 2  线材 Q235      120.000 t × 2,500.00 = 300,000.00
"""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest

from scf.parties.models import Membership
from tests.factories import MembershipFactory, UserFactory
from workflows.confirming.models import ConfirmingAgreement, OrderLine, PurchaseOrder
from workflows.confirming.releases import DeliveryLine
from workflows.confirming.services import order_allowance, order_margin_apply

DAY = datetime.date(2026, 6, 1)


@pytest.fixture
def warehouse_user(world):
    user = UserFactory(username="warehouse-op")
    MembershipFactory(user=user, organization=world.warehouse, role=Membership.Role.OPERATOR)
    return user


@pytest.fixture
def funded_order(world):
    """Return a factory of funded orders with their two lines, under the world's agreement in a release mode."""

    def make(*, mode: int = 2, reference: str = "CWO-REL-1", agreement: ConfirmingAgreement | None = None,
             margin_paid: D = D("300000.00")) -> PurchaseOrder:
        agreement = agreement or world.agreement
        ConfirmingAgreement.objects.filter(pk=agreement.pk).update(release_mode=mode)
        agreement.refresh_from_db()
        order = PurchaseOrder(
            agreement=agreement, reference=reference, route=PurchaseOrder.Route.ACCEPTANCE_BILL,
            order_amount=D("1000000.00"), initial_margin=D("300000.00"), margin_paid=margin_paid,
            funded_on=DAY, maturity_date=DAY + datetime.timedelta(days=180), prepared_by=world.ops,
            state=PurchaseOrder.State.FUNDED)
        order.allowed_value = order_allowance(order, margin_paid)
        order.save()
        OrderLine.objects.create(order=order, description="螺纹钢 HRB400", unit="t", quantity=D("200.000"),
                                 unit_price=D("3500.00"), amount=D("700000.00"))
        OrderLine.objects.create(order=order, description="线材 Q235", unit="t", quantity=D("120.000"),
                                 unit_price=D("2500.00"), amount=D("300000.00"))
        return order

    return make


def pay(world, order, amount: str, reference: str):
    return order_margin_apply(order=order, amount=D(amount), received_on=DAY, bank_reference=reference,
                              acting_user=world.ops)


def lines_of(order, *quantities) -> list[DeliveryLine]:
    """Return delivery lines for the order's lines in order, skipping None."""
    rows = list(order.lines.order_by("pk"))
    return [DeliveryLine(order_line=row.pk, quantity=q) for row, q in zip(rows, quantities) if q is not None]


@pytest.fixture
def three_party_agreement(world):
    return ConfirmingAgreement.objects.create(
        reference="CWA-TEST-3P", form=ConfirmingAgreement.Form.THREE_PARTY, lender=world.lender, seller=world.seller,
        distributor=world.distributor, facility=world.agreement.facility,
        guarantee_facility=world.agreement.guarantee_facility, limit_amount=D("5000000.00"), release_mode=1,
        annual_rate=D("0.045"), start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2027, 1, 1),
        prepared_by=world.ops, state=ConfirmingAgreement.State.ACTIVE)
