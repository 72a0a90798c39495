"""The pledge part of the demo: eligible commodities, warehouse1 approved as supervisor, two approved prices."""

from decimal import Decimal

import pytest
from django.utils import timezone

from scf.parties.demo import seed_demo
from scf.parties.models import Organization
from workflows.pledge.models import CommodityPrice, WarehouseApproval
from workflows.pledge.selectors import eligible_commodities, latest_approved_price, price_check

pytestmark = pytest.mark.django_db


def test_the_demo_has_eligible_commodities_an_approved_warehouse_and_two_approved_prices():
    seed_demo(password="Demo-Pass-1", lifecycle=False)
    seed_demo(password="Demo-Pass-1", lifecycle=False)  # safe to run again: nothing doubles
    lender = Organization.objects.get(is_lender=True, legal_name_en__icontains="bank")
    commodities = list(eligible_commodities(lender=lender))
    assert [c.code for c in commodities] == ["CU", "EVB"]
    approval = WarehouseApproval.objects.get()
    assert (approval.lender, approval.warehouse.is_warehouse, approval.concentration_limit) == (
        lender, True, Decimal("50000000.00"))
    assert CommodityPrice.objects.filter(state="approved").count() == 2
    today = timezone.localdate()
    copper = latest_approved_price(commodities[0], today, lender=lender)
    assert (copper.price, copper.created_by.username, copper.decided_by.username) == (
        Decimal("68450.00"), "ops", "risk")
    assert not price_check(commodities[1], today, lender=lender).stale
