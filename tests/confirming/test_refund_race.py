"""Five refund demands at once on PostgreSQL: one opens, the others are refused, one refund notice."""

import datetime
from decimal import Decimal as D

import pytest

from tests.races import run_together
from workflows.confirming.exceptions import RefundAlreadyOpen, RefundNotDue
from workflows.confirming.maturity import refund_demand_open
from workflows.confirming.models import PurchaseOrder, RefundDemand

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_five_concurrent_refund_demands_open_one(postgres_only, world, make_order):
    # P 1,000,000.00, M 500,000.00 → S 500,000.00, due at maturity 2026-08-29, noticed on 2026-08-24
    order = make_order(state=PurchaseOrder.State.FUNDED, margin_paid=D("500000.00"),
                       funded_on=datetime.date(2026, 3, 2), maturity_date=datetime.date(2026, 8, 29))

    def demand():
        return refund_demand_open(order=order, acting_user=None, on=datetime.date(2026, 8, 24)).pk

    results, errors = run_together(*[demand] * 5)
    assert len(results) == 1
    assert len(errors) == 4 and all(isinstance(error, (RefundAlreadyOpen, RefundNotDue))
                                    for error in errors.values())
    assert list(RefundDemand.objects.filter(order=order).values_list("amount", "state")) == [
        (D("500000.00"), "open")]
    order.refresh_from_db()
    assert order.state == PurchaseOrder.State.REFUND_DEMANDED
