"""What a release changes once the warehouse confirms the goods went out, worked by hand.

Base case: copper at 5,000.00/t, r = 0.60, E = 180,000.00; floor F = 180,000.00 / 0.60 = 300,000.00.
"""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.pledge.collateral_helpers import declare, receipt_line
from tests.pledge.release_helpers import pledge_goods, priced_agreement
from workflows.pledge import pledge_releases as releases
from workflows.pledge.models import InventoryLot, PledgedItem, WarehouseReceipt
from workflows.pledge.pledge_releases import ReleaseRequestLine
from workflows.pledge.valuation import agreement_valuation

pytestmark = pytest.mark.django_db

D = Decimal


def release_and_execute(world, agreement, *lines):
    release = releases.release_request(agreement=agreement, lines=[ReleaseRequestLine(item, D(q) if q else None)
                                                                   for item, q in lines],
                                       acting_user=world.pledgor_user)
    releases.release_order_issue(release=release, acting_user=world.ops)
    return releases.release_execute(release=release, acting_user=world.warehouse_user)


def test_a_lot_drops_partly_and_the_valuation_follows(world, active_agreement):
    agreement = priced_agreement(world, active_agreement)
    (lot,) = pledge_goods(world, agreement, lots=[("LOT-1", "100.000")])
    # V = 500,000.00; releasable 500,000.00 − 300,000.00 = 200,000.00 = 40.000 t.
    release_and_execute(world, agreement, (lot, "40.000"))
    lot.refresh_from_db()
    assert lot.quantity == D("60.000") and lot.status == PledgedItem.Status.PLEDGED
    assert lot.counted_quantity == D("100.000")  # what the warehouse counted stays on record
    assert InventoryLot.objects.get(lot_number="LOT-1").quantity == D("60.000")  # 40 t left the warehouse
    valuation = agreement_valuation(agreement)
    # V = 60 × 5,000.00 = 300,000.00; LTV = 180,000.00 / 300,000.00 = 0.60 < w 0.65: normal;
    # max loan = 300,000.00 × 0.60 = 180,000.00; available = 180,000.00 − 180,000.00 = 0.00.
    assert valuation.value == D("300000.00")
    assert valuation.ltv == D("0.6") and valuation.zone == "normal"
    assert valuation.max_loan == D("180000.00") and valuation.available == D("0.00")
    assert valuation.floor_value == D("300000.00")
    status = releases.releasable_now(agreement)
    assert status.releasable_value == D("0.00") and status.pending == D("0.00")
    assert status.for_commodity(world.copper.pk).releasable == D("0.000")


def test_a_receipt_goes_whole_its_record_is_surrendered_and_the_valuation_follows(world, active_agreement):
    agreement = priced_agreement(world, active_agreement)
    wr_a, wr_b = pledge_goods(world, agreement, receipts=[("WR-A", "30.000"), ("WR-B", "70.000")])
    release_and_execute(world, agreement, (wr_a, None))  # 30 t × 5,000.00 = 150,000.00 ≤ 200,000.00
    wr_a.refresh_from_db()
    wr_b.refresh_from_db()
    assert wr_a.status == PledgedItem.Status.RELEASED and wr_a.quantity == D("0.000")
    assert WarehouseReceipt.objects.get(number="WR-A").status == WarehouseReceipt.Status.CANCELLED
    assert wr_b.status == PledgedItem.Status.PLEDGED and wr_b.quantity == D("70.000")
    assert WarehouseReceipt.objects.get(number="WR-B").status == WarehouseReceipt.Status.VALID
    valuation = agreement_valuation(agreement)
    # V = 70 × 5,000.00 = 350,000.00; LTV = 180,000 / 350,000 = 0.514285…; max loan = 210,000.00;
    # available = 210,000.00 − 180,000.00 = 30,000.00 (the facility's 5,000,000.00 does not bind).
    assert valuation.value == D("350000.00")
    assert str(valuation.ltv).startswith("0.514285714285") and valuation.zone == "normal"
    assert valuation.max_loan == D("210000.00") and valuation.available == D("30000.00")
    assert [line.item.pk for line in valuation.lines] == [wr_b.pk]
    # releasable = 350,000.00 − 300,000.00 = 50,000.00
    assert releases.releasable_now(agreement).releasable_value == D("50000.00")
    # The surrendered receipt cannot be pledged again: its goods are gone.
    with pytest.raises(ValidationError) as refused:
        declare(world, agreement, receipt_line("WR-A", world.copper, "30.000"))
    assert "WR-A" in str(refused.value)


def test_a_cancelled_release_changes_nothing(world, active_agreement):
    agreement = priced_agreement(world, active_agreement)
    (wr_a,) = pledge_goods(world, agreement, receipts=[("WR-A", "30.000")],
                           lots=[("LOT-1", "100.000")])[1:]
    release = releases.release_request(agreement=agreement, lines=[ReleaseRequestLine(wr_a, None)],
                                       acting_user=world.pledgor_user)
    releases.release_order_issue(release=release, acting_user=world.ops)
    releases.release_cancel(release=release, acting_user=world.ops)
    wr_a.refresh_from_db()
    assert wr_a.status == PledgedItem.Status.PLEDGED and wr_a.quantity == D("30.000")
    assert WarehouseReceipt.objects.get(number="WR-A").status == WarehouseReceipt.Status.VALID
    assert agreement_valuation(agreement).value == D("650000.00")  # 130 t × 5,000.00
