"""The Django admin keeps the pledge rules: it saves through the services and shows the model's constraints."""

from decimal import Decimal

import pytest
from django.test import Client

from workflows.pledge.models import CommodityEligibility, WarehouseApproval

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_superuser("pledge-root", "root@example.com", "x-Pass-12345"))
    return client


def test_admin_approves_a_warehouse_through_the_service(world, root):
    response = root.post("/admin/pledge/warehouseapproval/add/", {
        "lender": world.lender.pk, "warehouse": world.warehouse.pk, "concentration_limit": "3000000.00",
        "currency": "CNY", "is_active": "on"})
    assert response.status_code == 302
    approval = WarehouseApproval.objects.get()
    assert (approval.concentration_limit, approval.approved_by.username) == (Decimal("3000000.00"), "pledge-root")


def test_admin_offers_only_warehouse_operators_and_refuses_a_zero_limit(world, root):
    response = root.post("/admin/pledge/warehouseapproval/add/", {
        "lender": world.lender.pk, "warehouse": world.pledgor.pk, "concentration_limit": "1000.00",
        "currency": "CNY", "is_active": "on"})
    assert response.status_code == 200
    assert "warehouse" in response.context["adminform"].form.errors
    response = root.post("/admin/pledge/warehouseapproval/add/", {
        "lender": world.lender.pk, "warehouse": world.warehouse.pk, "concentration_limit": "0",
        "currency": "CNY", "is_active": "on"})
    assert response.status_code == 200
    assert not WarehouseApproval.objects.exists()


def test_admin_refuses_a_pledge_rate_of_one(world, root):
    eligibility = CommodityEligibility.objects.get(lender=world.lender, commodity=world.copper)
    response = root.post(f"/admin/pledge/commodityeligibility/{eligibility.pk}/change/", {
        "lender": world.lender.pk, "commodity": world.copper.pk, "pledge_rate": "1", "is_active": "on"})
    assert response.status_code == 200
    assert CommodityEligibility.objects.get(pk=eligibility.pk).pledge_rate == Decimal("0.600000")


def test_prices_are_read_only_in_the_admin(world, root):
    assert root.get("/admin/pledge/commodityprice/").status_code == 200
    assert root.get("/admin/pledge/commodityprice/add/").status_code == 403
