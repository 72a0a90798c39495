"""Commodities, the lender's eligible commodities and its approved warehouses (supervisors)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from scf.core import tenancy
from scf.core.exceptions import ActionNotPermitted
from workflows.pledge.models import Commodity, CommodityEligibility, WarehouseApproval
from workflows.pledge.selectors import approved_warehouses, eligible_commodities
from workflows.pledge.services import commodity_create, commodity_eligibility_set, warehouse_approve, warehouse_suspend

D = Decimal
pytestmark = pytest.mark.django_db


def test_commodity_create_keeps_code_names_unit_and_precision(world):
    zinc = commodity_create(code=" zn ", name_en="Zinc ingot", name_zh="锌锭", unit="t", precision="0.001",
                            acting_user=world.admin)
    assert (zinc.code, zinc.name_en, zinc.name_zh, zinc.quantity_precision) == ("ZN", "Zinc ingot", "锌锭", D("0.001"))


def test_commodity_precision_is_a_thousandth_or_one(world):
    with pytest.raises(ValidationError) as error:
        commodity_create(code="ZN", name_en="Zinc", name_zh="锌", unit="t", precision="0.01", acting_user=world.admin)
    assert "precision" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Commodity.objects.filter(pk=world.copper.pk).update(precision="0.1")
    assert not Commodity.objects.filter(code="ZN").exists()


def test_commodity_code_is_unique(world):
    with pytest.raises(ValidationError):
        commodity_create(code="cu", name_en="Copper", name_zh="铜", unit="t", precision="0.001",
                         acting_user=world.admin)
    assert Commodity.objects.filter(code="CU").count() == 1


def test_a_corporate_user_cannot_add_a_commodity(world):
    with pytest.raises(ActionNotPermitted):
        commodity_create(code="ZN", name_en="Zinc", name_zh="锌", unit="t", precision="0.001",
                         acting_user=world.pledgor_user)


def test_eligibility_is_per_lender_with_its_pledge_rate(world, other_lender_world):
    other, other_risk = other_lender_world
    assert list(eligible_commodities(lender=world.lender)) == [world.copper, world.batteries]
    assert list(eligible_commodities(lender=other)) == []
    commodity_eligibility_set(lender=other, commodity=world.copper, pledge_rate=D("0.55"), acting_user=other_risk)
    assert list(eligible_commodities(lender=other)) == [world.copper]
    # setting it again changes the rate, it adds no second row; and it can be withdrawn
    commodity_eligibility_set(lender=world.lender, commodity=world.copper, pledge_rate=D("0.50"),
                              acting_user=world.risk, eligible=False)
    row = CommodityEligibility.objects.get(lender=world.lender, commodity=world.copper)
    assert (row.pledge_rate, row.is_active) == (D("0.50"), False)
    assert list(eligible_commodities(lender=world.lender)) == [world.batteries]


@pytest.mark.parametrize("rate", ["0", "1", "1.2", "-0.1"])
def test_eligibility_refuses_a_pledge_rate_outside_zero_and_one(world, rate):
    with pytest.raises(ValidationError) as error:
        commodity_eligibility_set(lender=world.lender, commodity=world.copper, pledge_rate=D(rate),
                                  acting_user=world.risk)
    assert "pledge_rate" in error.value.message_dict
    assert CommodityEligibility.objects.get(lender=world.lender, commodity=world.copper).pledge_rate == D("0.60")


def test_another_lenders_staff_cannot_set_this_lenders_eligibility(world, other_lender_world):
    _other, other_risk = other_lender_world
    with pytest.raises(ActionNotPermitted):
        commodity_eligibility_set(lender=world.lender, commodity=world.copper, pledge_rate=D("0.10"),
                                  acting_user=other_risk)
    assert CommodityEligibility.objects.get(lender=world.lender, commodity=world.copper).pledge_rate == D("0.60")


def test_warehouse_approval_with_a_concentration_limit(world):
    approval = warehouse_approve(lender=world.lender, warehouse=world.warehouse,
                                 concentration_limit=D("50000000.00"), acting_user=world.risk)
    assert (approval.concentration_limit, approval.currency, approval.approved_by) == (
        D("50000000.00"), "CNY", world.risk)
    assert list(approved_warehouses(lender=world.lender)) == [approval]
    # approving again changes the limit; suspending takes it off the list
    warehouse_approve(lender=world.lender, warehouse=world.warehouse, concentration_limit=D("20000000.00"),
                      acting_user=world.admin)
    assert WarehouseApproval.objects.get().concentration_limit == D("20000000.00")
    warehouse_suspend(approval=approval, acting_user=world.risk)
    assert list(approved_warehouses(lender=world.lender)) == []


def test_only_a_warehouse_operator_is_approved(world):
    with pytest.raises(ValidationError) as error:
        warehouse_approve(lender=world.lender, warehouse=world.pledgor, concentration_limit=D("1000000.00"),
                          acting_user=world.risk)
    assert error.value.message_dict["warehouse"] == [f"{world.pledgor} is not a warehouse operator."]
    assert not WarehouseApproval.objects.exists()


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_a_concentration_limit_must_be_positive(world, limit):
    with pytest.raises(ValidationError) as error:
        warehouse_approve(lender=world.lender, warehouse=world.warehouse, concentration_limit=D(limit),
                          acting_user=world.risk)
    assert "concentration_limit" in error.value.message_dict
    assert not WarehouseApproval.objects.exists()


def test_operations_and_corporate_users_cannot_approve_a_warehouse(world):
    for user in (world.ops, world.warehouse_user, world.pledgor_user):
        with pytest.raises(ActionNotPermitted):
            warehouse_approve(lender=world.lender, warehouse=world.warehouse, concentration_limit=D("1.00"),
                              acting_user=user)
    assert not WarehouseApproval.objects.exists()


def test_tenancy_the_lender_and_the_warehouse_see_an_approval_nobody_else(world, other_lender_world):
    approval = warehouse_approve(lender=world.lender, warehouse=world.warehouse,
                                 concentration_limit=D("1000000.00"), acting_user=world.risk)
    _other, other_risk = other_lender_world
    assert list(tenancy.visible(WarehouseApproval, world.warehouse_user)) == [approval]
    assert list(tenancy.visible(WarehouseApproval, world.ops)) == [approval]
    assert list(tenancy.visible(WarehouseApproval, world.pledgor_user)) == []
    assert list(tenancy.visible(WarehouseApproval, other_risk)) == []
    assert list(tenancy.visible(CommodityEligibility, other_risk)) == []
    assert tenancy.visible(CommodityEligibility, world.ops).count() == 2
    assert tenancy.visible(Commodity, world.pledgor_user).count() == 2  # the catalogue is common
