"""Ten release requests at once on PostgreSQL: together they never take more than the margin allows."""

from decimal import Decimal as D

import pytest

from tests.races import run_together
from workflows.confirming.exceptions import ReleaseExceedsAllowance
from workflows.confirming.models import PurchaseOrder, ReleaseRequest
from workflows.confirming.services import release_request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_concurrent_release_requests_never_pass_the_allowance(postgres_only, world, make_order):
    # mode 2: (510,000 − 300,000) / 0.70 = 300,000.00 allowed; ten requests of 70,000.00 → four fit (280,000.00)
    order = make_order(state=PurchaseOrder.State.FUNDED, margin_paid=D("510000.00"), allowed_value=D("300000.00"))

    def ask():
        return release_request(order=order, value=D("70000.00"), acting_user=world.distributor_user).pk

    results, errors = run_together(*[ask] * 10)
    assert len(results) == 4
    assert len(errors) == 6 and all(isinstance(error, ReleaseExceedsAllowance) for error in errors.values())
    order.refresh_from_db()
    assert order.released_value == D("280000.00")
    assert sum(r.value for r in ReleaseRequest.objects.filter(order=order)) == D("280000.00")
