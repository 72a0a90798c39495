"""Releases and receipt splits, DESIGN §5 "Release" and "Dynamic pledge floor", with numbers worked by hand.

The base case: copper 100.000 t at 5,000.00/t, r = 0.60, E = 180,000.00.
  V = 100 × 5,000.00 = 500,000.00; E / r = 300,000.00 (exact), rounded up 300,000.00;
  releasable value = 500,000.00 − 300,000.00 − 0 = 200,000.00;
  must stay = 180,000.00 / 0.60 / 5,000.00 = 60.000 t; releasable quantity = 40.000 t.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from documents.models import Document
from scf.core.exceptions import ActionNotPermitted, IllegalTransition
from tests.pledge.collateral_helpers import approve_price
from tests.pledge.release_helpers import pledge_goods, priced_agreement
from tests.races import run_together
from workflows.pledge import pledge_releases as releases
from workflows.pledge.exceptions import (
    ItemNotReleasable,
    NotYourWarehouse,
    ReleaseExceedsReleasable,
    ReleasePartialReceipt,
    SplitConflict,
    ValuationNotReliable,
)
from workflows.pledge.models import PledgedItem, PledgeRelease, WarehouseReceipt
from workflows.pledge.pledge_releases import ReleaseRequestLine, SplitPart

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def lot_agreement(world, active_agreement):
    """100.000 t of copper in one lot, E = 180,000.00."""
    agreement = priced_agreement(world, active_agreement)
    (lot,) = pledge_goods(world, agreement, lots=[("LOT-1", "100.000")])
    return agreement, lot


@pytest.fixture
def receipt_agreement(world, active_agreement):
    """Receipts WR-A 30.000 t and WR-B 70.000 t of copper (the same 100.000 t), E = 180,000.00."""
    agreement = priced_agreement(world, active_agreement)
    wr_a, wr_b = pledge_goods(world, agreement, receipts=[("WR-A", "30.000"), ("WR-B", "70.000")])
    return agreement, wr_a, wr_b


def request(world, agreement, *lines):
    return releases.release_request(agreement=agreement, lines=[ReleaseRequestLine(item, D(q) if q else None)
                                                                for item, q in lines],
                                    acting_user=world.pledgor_user)


def test_releasable_now_worked_by_hand(world, lot_agreement):
    agreement, _lot = lot_agreement
    status = releases.releasable_now(agreement)
    assert status.value == D("500000.00")
    assert status.exposure == D("180000.00")
    assert status.kept_value == D("300000.00")
    assert status.pending == D("0.00")
    assert status.releasable_value == D("200000.00")
    (copper,) = status.commodities
    assert copper.keep == D("60.000") and copper.releasable == D("40.000")


def test_releasable_with_cash_margin_and_a_quotient_that_does_not_terminate(world, active_agreement):
    # E = 100,000.01 − 0 → E / r = 166,666.683333… → rounded up 166,666.69; V = 500,000.00
    # releasable value = 500,000.00 − 166,666.69 = 333,333.31;
    # must stay = 166,666.68333… / 5,000.00 = 33.33333667 → 33.334 t; releasable 66.666 t.
    agreement = priced_agreement(world, active_agreement, outstanding="130000.01", cash_margin="30000.00")
    pledge_goods(world, agreement, lots=[("LOT-1", "100.000")])
    status = releases.releasable_now(agreement)
    assert status.exposure == D("100000.01")
    assert status.kept_value == D("166666.69")
    assert status.releasable_value == D("333333.31")
    assert status.commodities[0].keep == D("33.334")
    assert status.commodities[0].releasable == D("66.666")


def test_other_commodities_cover_part_of_what_must_stay(world, active_agreement):
    # Copper 100 t at 5,000.00 = 500,000.00; batteries 10 pcs at 12,800.00 = 128,000.00; V = 628,000.00.
    # E / r = 300,000.00 → releasable value 328,000.00.
    # Copper must stay (300,000.00 − 128,000.00) / 5,000.00 = 34.400 t → releasable 65.600 t.
    # Batteries must stay (300,000.00 − 500,000.00) < 0 → 0 pcs → releasable 10.
    agreement = priced_agreement(world, active_agreement)
    approve_price(world, world.batteries, "12800.00")
    pledge_goods(world, agreement, lots=[("LOT-1", "100.000")])
    pledge_goods(world, agreement, lots=[("LOT-EV", "10")], commodity=world.batteries)
    status = releases.releasable_now(agreement)
    assert status.releasable_value == D("328000.00")
    assert status.for_commodity(world.copper.pk).keep == D("34.400")
    assert status.for_commodity(world.copper.pk).releasable == D("65.600")
    assert status.for_commodity(world.batteries.pk).keep == D("0")
    assert status.for_commodity(world.batteries.pk).releasable == D("10")


def test_release_up_to_the_releasable_quantity_counts_as_pending(world, lot_agreement):
    agreement, lot = lot_agreement
    release = request(world, agreement, (lot, "40.000"))
    assert release.state == PledgeRelease.State.REQUESTED
    assert release.requested_value == D("200000.00")  # 40 × 5,000.00
    status = releases.releasable_now(agreement)
    # R = 200,000.00: releasable value 500,000.00 − 300,000.00 − 200,000.00 = 0.00;
    # must stay (300,000.00 + 200,000.00) / 5,000.00 = 100.000 t.
    assert status.pending == D("200000.00")
    assert status.releasable_value == D("0.00")
    assert status.commodities[0].keep == D("100.000") and status.commodities[0].releasable == D("0.000")
    with pytest.raises(ReleaseExceedsReleasable):
        request(world, agreement, (lot, "0.001"))


def test_release_beyond_releasable_is_refused_with_figures_nothing_kept(world, lot_agreement):
    agreement, lot = lot_agreement
    with pytest.raises(ReleaseExceedsReleasable) as refused:
        request(world, agreement, (lot, "40.001"))
    assert "40.000" in refused.value.message and "60.000" in refused.value.message
    assert not PledgeRelease.objects.exists()


def test_a_quantity_finer_than_the_unit_is_a_field_error(world, lot_agreement):
    agreement, lot = lot_agreement
    with pytest.raises(ValidationError) as refused:
        request(world, agreement, (lot, "1.0001"))
    assert "lines.0.quantity" in refused.value.message_dict


def test_only_the_pledgor_asks(world, lot_agreement):
    agreement, lot = lot_agreement
    with pytest.raises(ActionNotPermitted):
        releases.release_request(agreement=agreement, lines=[ReleaseRequestLine(lot, D("1"))],
                                 acting_user=world.warehouse_user)


def test_a_stale_valuation_refuses_a_release(world, active_agreement):
    agreement = priced_agreement(world, active_agreement)
    approve_price(world, world.batteries, "12800.00", on=timezone.localdate() - datetime.timedelta(days=6))
    pledge_goods(world, agreement, lots=[("LOT-1", "100.000")])
    (ev,) = pledge_goods(world, agreement, lots=[("LOT-EV", "10")], commodity=world.batteries)
    with pytest.raises(ValuationNotReliable):
        request(world, agreement, (ev, "1"))
    assert not PledgeRelease.objects.exists()


def test_a_receipt_released_in_part_is_refused_split_first(world, receipt_agreement):
    agreement, wr_a, _wr_b = receipt_agreement
    with pytest.raises(ReleasePartialReceipt) as refused:
        request(world, agreement, (wr_a, "10.000"))
    assert "split" in refused.value.message
    release = request(world, agreement, (wr_a, None))  # whole: 30 t × 5,000.00 = 150,000.00
    assert release.requested_value == D("150000.00")
    with pytest.raises(ItemNotReleasable):
        request(world, agreement, (wr_a, None))


def test_a_whole_receipt_above_what_is_releasable_is_refused(world, receipt_agreement):
    agreement, _wr_a, wr_b = receipt_agreement
    with pytest.raises(ReleaseExceedsReleasable):
        request(world, agreement, (wr_b, None))  # 70 t > 40 t


def test_order_execute_drops_the_quantity_and_releases_the_receipt(world, receipt_agreement,
                                                                      django_capture_on_commit_callbacks):
    agreement, wr_a, _wr_b = receipt_agreement
    (lot,) = pledge_goods(world, agreement, lots=[("LOT-1", "100.000")])
    # With the lot too: V = 1,000,000.00, releasable 700,000.00.
    release = request(world, agreement, (wr_a, None), (lot, "25.500"))
    assert release.requested_value == D("277500.00")  # 150,000.00 + 25.5 × 5,000.00 = 127,500.00
    with pytest.raises(IllegalTransition):  # no release order yet
        releases.release_execute(release=release, acting_user=world.warehouse_user)
    with pytest.raises(ActionNotPermitted):
        releases.release_order_issue(release=release, acting_user=world.pledgor_user)
    with django_capture_on_commit_callbacks(execute=True):
        releases.release_order_issue(release=release, acting_user=world.ops)
    release.refresh_from_db()
    assert release.state == PledgeRelease.State.ORDERED and release.ordered_by == world.ops
    document = Document.objects.get(kind="pledge_release_order", object_id=release.pk)
    assert document.state == Document.State.SIGNED  # no signer: sealed at once
    releases.release_execute(release=release, acting_user=world.warehouse_user)
    release.refresh_from_db()
    assert release.state == PledgeRelease.State.EXECUTED
    wr_a.refresh_from_db()
    lot.refresh_from_db()
    assert wr_a.status == PledgedItem.Status.RELEASED and wr_a.quantity == D("0.000")
    assert lot.status == PledgedItem.Status.PLEDGED and lot.quantity == D("74.500")
    status = releases.releasable_now(agreement)
    # V = 70 × 5,000 + 74.5 × 5,000 = 722,500.00; R = 0; releasable 722,500.00 − 300,000.00 = 422,500.00
    assert status.value == D("722500.00") and status.pending == D("0.00")
    assert status.releasable_value == D("422500.00")
    with pytest.raises(IllegalTransition):
        releases.release_cancel(release=release, acting_user=world.ops)


def test_another_warehouse_cannot_execute(world, lot_agreement, corporate):
    agreement, lot = lot_agreement
    _other, other_user = corporate("warehouse2", is_warehouse=True, is_supplier=False)
    release = request(world, agreement, (lot, "10.000"))
    releases.release_order_issue(release=release, acting_user=world.ops)
    with pytest.raises(NotYourWarehouse):
        releases.release_execute(release=release, acting_user=other_user)
    lot.refresh_from_db()
    assert lot.quantity == D("100.000")
    assert PledgeRelease.objects.get().state == PledgeRelease.State.ORDERED


def test_cancel_frees_the_pending_value(world, lot_agreement):
    agreement, lot = lot_agreement
    release = request(world, agreement, (lot, "40.000"))
    releases.release_cancel(release=release, acting_user=world.pledgor_user, reason="changed plans")
    assert releases.releasable_now(agreement).releasable_value == D("200000.00")
    second = request(world, agreement, (lot, "40.000"))
    releases.release_order_issue(release=second, acting_user=world.ops)
    with pytest.raises(ActionNotPermitted):  # ordered: only the lender's operations cancel
        releases.release_cancel(release=second, acting_user=world.pledgor_user)
    releases.release_cancel(release=second, acting_user=world.ops)
    assert releases.releasable_now(agreement).pending == D("0.00")


# --- split ---------------------------------------------------------------------------------------

def test_split_then_release_one_part(world, receipt_agreement):
    agreement, _wr_a, wr_b = receipt_agreement
    new = releases.receipt_split(pledged_item=wr_b, parts=[SplitPart("WR-B1", D("40.000")),
                                                            SplitPart("WR-B2", D("30.000"))],
                                 acting_user=world.warehouse_user)
    assert [item.receipt.number for item in new] == ["WR-B1", "WR-B2"]
    assert all(item.status == PledgedItem.Status.PLEDGED and item.agreement_id == agreement.pk for item in new)
    wr_b.refresh_from_db()
    assert wr_b.status == PledgedItem.Status.SPLIT
    old = WarehouseReceipt.objects.get(number="WR-B")
    assert old.status == WarehouseReceipt.Status.SPLIT
    assert set(old.split_into.values_list("number", flat=True)) == {"WR-B1", "WR-B2"}
    assert releases.releasable_now(agreement).value == D("500000.00")  # unchanged by a split
    release = request(world, agreement, (new[0], None))
    assert release.requested_value == D("200000.00")


def test_a_split_that_does_not_add_up_is_refused_nothing_changed(world, receipt_agreement):
    _agreement, _wr_a, wr_b = receipt_agreement
    with pytest.raises(ValidationError) as refused:
        releases.receipt_split(pledged_item=wr_b, parts=[SplitPart("WR-B1", D("40.000")),
                                                          SplitPart("WR-B2", D("29.999"))],
                               acting_user=world.warehouse_user)
    assert refused.value.message_dict["parts"] == [
        "The parts add up to 69.999; receipt WR-B holds 70.000. They must add up exactly."]
    wr_b.refresh_from_db()
    assert wr_b.status == PledgedItem.Status.PLEDGED
    assert not WarehouseReceipt.objects.filter(number__startswith="WR-B1").exists()


def test_split_refusals(world, receipt_agreement, corporate):
    agreement, wr_a, wr_b = receipt_agreement
    _other, other_user = corporate("warehouse2", is_warehouse=True, is_supplier=False)
    parts = [SplitPart("WR-B1", D("40.000")), SplitPart("WR-B2", D("30.000"))]
    with pytest.raises(NotYourWarehouse):
        releases.receipt_split(pledged_item=wr_b, parts=parts, acting_user=other_user)
    with pytest.raises(SplitConflict):  # WR-A is taken at this warehouse
        releases.receipt_split(pledged_item=wr_b, parts=[SplitPart("WR-A", D("40.000")),
                                                          SplitPart("WR-B2", D("30.000"))],
                               acting_user=world.warehouse_user)
    with pytest.raises(ValidationError):
        releases.receipt_split(pledged_item=wr_b, parts=[SplitPart("WR-B1", D("70.000"))],
                               acting_user=world.warehouse_user)
    request(world, agreement, (wr_a, None))
    with pytest.raises(SplitConflict):  # in a pending release
        releases.receipt_split(pledged_item=wr_a, parts=[SplitPart("WR-A1", D("10.000")),
                                                          SplitPart("WR-A2", D("20.000"))],
                               acting_user=world.warehouse_user)
    assert WarehouseReceipt.objects.count() == 2


# --- floor -------------------------------------------------------------------------------------

def test_floor_value(world, active_agreement):
    agreement = priced_agreement(world, active_agreement)
    assert releases.floor_value(agreement) == D("300000.00")  # 180,000.00 / 0.60
    agreement.principal_outstanding = D("100000.01")  # / 0.60 = 166,666.6833… → 166,666.69
    assert releases.floor_value(agreement) == D("166666.69")
    agreement.floor_value_minimum = D("200000.00")  # the lender's floor is higher
    assert releases.floor_value(agreement) == D("200000.00")


def test_floor_notice_is_issued_in_both_languages(world, active_agreement, django_capture_on_commit_callbacks):
    agreement = priced_agreement(world, active_agreement)
    for language in ("zh-hans", "en"):
        with django_capture_on_commit_callbacks(execute=True):
            releases.floor_notice_issue(agreement=agreement, acting_user=world.ops, language=language)
    documents = Document.objects.filter(kind="pledge_floor_notice", object_id=agreement.pk).order_by("version")
    assert [d.language for d in documents] == ["zh-hans", "en"]
    assert documents.last().state == Document.State.SIGNED


# --- race -----------------------------------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_requests_never_exceed_what_is_releasable(postgres_only, world, active_agreement):
    # 40.000 t releasable; ten requests of 5.000 t (25,000.00 each) at once: exactly eight fit.
    agreement = priced_agreement(world, active_agreement)
    (lot,) = pledge_goods(world, agreement, lots=[("LOT-1", "100.000")])

    def ask():
        return releases.release_request(agreement=agreement, lines=[ReleaseRequestLine(lot.pk, D("5.000"))],
                                        acting_user=world.pledgor_user)

    results, errors = run_together(*(ask for _ in range(10)))
    assert len(results) == 8, (results, errors)
    assert all(isinstance(error, ReleaseExceedsReleasable) for error in errors.values()), errors
    assert releases.pending_release_value(agreement) == D("200000.00")
    assert releases.releasable_now(agreement).releasable_value == D("0.00")
