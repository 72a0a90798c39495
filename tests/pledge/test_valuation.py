"""The agreement's valuation: figures worked by hand, stale and missing prices, the facility's headroom."""

import datetime
from decimal import Decimal

import pytest

from scf.facilities.models import CreditFacility
from tests.pledge.collateral_helpers import approve_price
from workflows.pledge.calculations import Zone
from workflows.pledge.models import (
    CollateralIntake,
    Commodity,
    CommodityEligibility,
    InventoryLot,
    PledgeAgreement,
    PledgedItem,
    WarehouseReceipt,
)
from workflows.pledge.valuation import agreement_valuation

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 12, 1)


def pledge(world, agreement, commodity, quantity, number):
    """Put goods under the agreement as an effective intake would (the intake's own steps are tested elsewhere)."""
    intake = CollateralIntake.objects.create(agreement=agreement, reference=f"CIN-T-{number}",
                                             declared_by=world.pledgor_user)
    CollateralIntake.objects.filter(pk=intake.pk).update(state=CollateralIntake.State.EFFECTIVE)
    quantity = Decimal(quantity)
    if commodity.precision == "1":
        lot = InventoryLot.objects.create(warehouse=world.warehouse, owner=world.pledgor, commodity=commodity,
                                          lot_number=number, quantity=quantity, created_by=world.warehouse_user)
        kwargs = {"lot": lot}
    else:
        receipt = WarehouseReceipt.objects.create(warehouse=world.warehouse, number=number, owner=world.pledgor,
                                                  commodity=commodity, quantity=quantity,
                                                  issued_on=datetime.date(2026, 11, 1),
                                                  created_by=world.warehouse_user)
        kwargs = {"receipt": receipt}
    return PledgedItem.objects.create(intake=intake, agreement=agreement, commodity=commodity,
                                      declared_quantity=quantity, counted_quantity=quantity, quantity=quantity,
                                      status=PledgedItem.Status.PLEDGED, **kwargs)


@pytest.fixture
def valued(world, active_agreement):
    approve_price(world, world.copper, "68250.00", on=ON - datetime.timedelta(days=5))
    approve_price(world, world.batteries, "12800.00", on=ON - datetime.timedelta(days=1))
    pledge(world, active_agreement, world.copper, "120.500", "WR-1")
    pledge(world, active_agreement, world.batteries, "40", "LOT-1")
    PledgeAgreement.objects.filter(pk=active_agreement.pk).update(principal_outstanding=Decimal("3000000.00"),
                                                                  cash_margin=Decimal("200000.00"))
    active_agreement.refresh_from_db()
    return active_agreement


def test_the_valuation_worked_by_hand(valued):
    valuation = agreement_valuation(valued, on=ON)
    copper, batteries = sorted(valuation.lines, key=lambda line: line.commodity.code)
    assert (copper.quantity, copper.price, copper.value) == (Decimal("120.500"), Decimal("68250.00"),
                                                             Decimal("8224125.00"))
    assert copper.price_date == ON - datetime.timedelta(days=5) and not copper.stale  # exactly 5 days: fresh
    assert batteries.value == Decimal("512000.00")
    assert valuation.value == Decimal("8736125.00")
    assert valuation.exposure == Decimal("2800000.00")  # 3,000,000.00 − 200,000.00 cash margin
    assert valuation.ltv_display == Decimal("0.320508")  # 2,800,000 / 8,736,125 = 0.3205082…
    assert valuation.zone == Zone.NORMAL
    assert valuation.max_loan == Decimal("5241675.00")  # 8,736,125.00 × 0.60
    assert valuation.headroom == Decimal("5000000.00")
    assert valuation.available == Decimal("2441675.00")  # 5,241,675.00 − 2,800,000.00
    assert valuation.floor_value == Decimal("4666666.67")  # 2,800,000 / 0.60 = 4,666,666.666… rounded up
    assert valuation.reliable and not valuation.stale and not valuation.missing


def test_a_line_rounds_half_up_on_its_own(world, active_agreement):
    approve_price(world, world.copper, "68250.01", on=ON)
    pledge(world, active_agreement, world.copper, "0.250", "WR-A")  # 17,062.5025 → 17,062.50
    pledge(world, active_agreement, world.copper, "0.750", "WR-B")  # 51,187.5075 → 51,187.51
    assert agreement_valuation(active_agreement, on=ON).value == Decimal("68250.01")


def test_available_is_capped_by_the_facility_headroom(valued):
    CreditFacility.objects.filter(pk=valued.facility_id).update(reserved_amount=Decimal("4000000.00"))
    valued.refresh_from_db()
    valuation = agreement_valuation(valued, on=ON)
    assert valuation.headroom == Decimal("1000000.00") and valuation.available == Decimal("1000000.00")
    CreditFacility.objects.filter(pk=valued.facility_id).update(state=CreditFacility.State.FROZEN)
    valued.refresh_from_db()
    assert agreement_valuation(valued, on=ON).available == Decimal("0.00")


def test_a_price_older_than_the_maximum_age_marks_the_valuation_stale(valued):
    valuation = agreement_valuation(valued, on=ON + datetime.timedelta(days=1))  # copper 6 days old
    assert valuation.stale and not valuation.reliable
    assert [line.stale for line in sorted(valuation.lines, key=lambda line: line.commodity.code)] == [True, False]


def test_a_missing_price_is_listed_never_valued_at_zero(valued, world):
    zinc = Commodity.objects.create(code="ZN", name_en="Zinc ingot", name_zh="锌锭", unit="t", precision="0.001")
    CommodityEligibility.objects.create(lender=world.lender, commodity=zinc)
    pledge(world, valued, zinc, "10.000", "WR-ZN")
    valuation = agreement_valuation(valued, on=ON)
    assert valuation.missing == [zinc] and not valuation.reliable
    zinc_line = next(line for line in valuation.lines if line.commodity == zinc)
    assert zinc_line.price is None and zinc_line.value is None and zinc_line.missing
    assert valuation.value == Decimal("8736125.00")


def test_zones_and_no_collateral_under_a_loan(valued, active_agreement):
    PledgeAgreement.objects.filter(pk=valued.pk).update(principal_outstanding=Decimal("6315300.00"),
                                                        cash_margin=Decimal("0.00"))
    valued.refresh_from_db()
    # 0.70 × 8,736,125.00 = 6,115,287.50 ≤ 6,315,300.00 < 6,988,900.00 = 0.80 × V: margin call.
    assert agreement_valuation(valued, on=ON).zone == Zone.CALL
    PledgedItem.objects.filter(agreement=valued).update(status=PledgedItem.Status.RELEASED)
    empty = agreement_valuation(valued, on=ON)
    assert empty.value == Decimal("0.00") and empty.ltv is None and empty.zone == Zone.LIQUIDATION
    assert empty.available == Decimal("0.00")


def test_a_static_pledge_has_no_floor(valued):
    PledgeAgreement.objects.filter(pk=valued.pk).update(kind=PledgeAgreement.Kind.STATIC)
    valued.refresh_from_db()
    assert agreement_valuation(valued, on=ON).floor_value is None


def test_a_price_in_another_currency_is_missing_for_a_cny_agreement(world, active_agreement):
    from workflows.pledge.services import price_approve, price_propose

    price_approve(price=price_propose(lender=world.lender, commodity=world.copper, price=Decimal("9000.00"),
                                      currency="USD", source="spot", effective_date=ON, acting_user=world.ops),
                  acting_user=world.risk)
    pledge(world, active_agreement, world.copper, "10.000", "WR-USD")
    valuation = agreement_valuation(active_agreement, on=ON)
    assert [line.price for line in valuation.lines] == [None]
    assert valuation.missing == [world.copper] and valuation.value == Decimal("0.00")
