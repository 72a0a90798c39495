"""The releases' demo seeder: with the life cycle, a release of the first funded order through the services."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from scf.core.demo import DemoContext
from tests.confirming import release_setup
from workflows.confirming.models import ReleaseRequest
from workflows.confirming.release_demo import seed_confirming_releases

pytestmark = pytest.mark.django_db
funded_order = release_setup.funded_order
warehouse_user = release_setup.warehouse_user


def test_the_first_funded_order_gets_a_delivered_release_and_a_requested_one(world, funded_order, warehouse_user):
    # Mode 1 at M = M0: 300,000.00 releasable; line 1 at 3,500.00: floor(300,000 / 3,500) = 85 t notified,
    # 42 t delivered (147,000.00), 153,000.00 freed and asked for again.
    order = funded_order(mode=1)
    context = DemoContext(password="x", lifecycle=True, lender=world.lender,
                          organizations={"dist": world.distributor, "core": world.seller, "wh": world.warehouse},
                          staff={"ops": world.ops},
                          clients={"dist": world.distributor_user, "core": world.seller_user, "wh": warehouse_user})
    seed_confirming_releases(context)
    seed_confirming_releases(context)  # idempotent
    first, second = ReleaseRequest.objects.filter(order=order).order_by("pk")
    assert (first.state, first.value, first.delivered_value) == (
        ReleaseRequest.State.DELIVERED, D("300000.00"), D("147000.00"))
    assert [(line.quantity, line.delivered_quantity) for line in first.lines.all()] == [(D("85.000"), D("42.000"))]
    assert (second.state, second.value) == (ReleaseRequest.State.REQUESTED, D("153000.00"))
    order.refresh_from_db()
    assert (order.released_value, order.delivered_value) == (D("300000.00"), D("147000.00"))
