"""The database holds the pledge's invariants whatever a service forgets: tested by writing rows directly."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from workflows.pledge.models import CollateralIntake, PledgeAgreement, PledgedItem, WarehouseReceipt


def _receipt(world, number="WR-001", quantity="100.000"):
    return WarehouseReceipt.objects.create(warehouse=world.warehouse, number=number, owner=world.pledgor,
                                           commodity=world.copper, quantity=Decimal(quantity),
                                           issued_on=datetime.date(2026, 11, 1), created_by=world.warehouse_user)


def _item(agreement, receipt, reference):
    intake = CollateralIntake.objects.create(agreement=agreement, reference=reference,
                                             declared_by=agreement.prepared_by)
    return PledgedItem.objects.create(intake=intake, agreement=agreement, receipt=receipt, commodity=receipt.commodity,
                                      declared_quantity=receipt.quantity)


def test_exposure_is_principal_less_cash_margin_never_below_zero(active_agreement):
    active_agreement.principal_outstanding = Decimal("1000000.00")
    active_agreement.cash_margin = Decimal("250000.00")
    assert active_agreement.exposure == Decimal("750000.00")
    active_agreement.cash_margin = Decimal("1200000.00")
    assert active_agreement.exposure == Decimal("0.00")


def test_a_receipt_is_held_under_one_agreement_at_a_time(world, active_agreement):
    receipt = _receipt(world)
    first = _item(active_agreement, receipt, "IN-1")
    second_agreement = PledgeAgreement.objects.get(pk=active_agreement.pk)
    second_agreement.pk = None
    second_agreement.reference = "PLA-TEST-0002"
    second_agreement.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _item(second_agreement, receipt, "IN-2")
    # Once released under the first, the receipt may be pledged again.
    PledgedItem.objects.filter(pk=first.pk).update(status=PledgedItem.Status.RELEASED)
    assert _item(second_agreement, receipt, "IN-3").receipt_id == receipt.pk


def test_a_receipt_number_is_unique_per_warehouse(world):
    _receipt(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        _receipt(world)


@pytest.mark.parametrize("lines", [
    {"warning_ltv": Decimal("0.75"), "call_ltv": Decimal("0.70")},  # w > c
    {"call_ltv": Decimal("0.85")},  # c > l
    {"liquidation_ltv": Decimal("1.01")},
    {"pledge_rate": Decimal("1")},
    {"pledge_rate": Decimal("0")},
])
def test_agreement_terms_out_of_order_are_refused_by_the_database(active_agreement, lines):
    with pytest.raises(IntegrityError), transaction.atomic():
        PledgeAgreement.objects.filter(pk=active_agreement.pk).update(**lines)


def test_an_item_is_a_receipt_or_a_lot_never_both_nor_neither(world, active_agreement):
    intake = CollateralIntake.objects.create(agreement=active_agreement, reference="IN-9",
                                             declared_by=world.pledgor_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        PledgedItem.objects.create(intake=intake, agreement=active_agreement, commodity=world.copper,
                                   declared_quantity=Decimal("1"))
