"""Shared steps of the release tests: goods pledged directly (an effective intake), a priced agreement."""

from decimal import Decimal

from django.utils import timezone

from tests.pledge.collateral_helpers import approve_price, approve_warehouse
from workflows.pledge.models import CollateralIntake, InventoryLot, PledgedItem, WarehouseReceipt

D = Decimal


def pledge_goods(world, agreement, *, lots=(), receipts=(), commodity=None):
    """Pledge lots and receipts under the agreement at once: an effective intake, items pledged as counted.

    `lots` and `receipts` are (number, quantity) pairs; the commodity is copper unless given.
    """
    commodity = commodity or world.copper
    now = timezone.now()
    intake = CollateralIntake.objects.create(agreement=agreement, reference=f"CIN-T-{CollateralIntake.objects.count()}",
                                             declared_by=world.pledgor_user, counted_by=world.warehouse_user,
                                             counted_at=now, effective_at=now, state=CollateralIntake.State.EFFECTIVE)
    items = []
    for number, quantity in lots:
        lot = InventoryLot.objects.create(warehouse=agreement.warehouse, owner=agreement.pledgor, commodity=commodity,
                                          lot_number=number, quantity=D(quantity), created_by=world.warehouse_user)
        items.append(PledgedItem.objects.create(intake=intake, agreement=agreement, lot=lot, commodity=commodity,
                                                declared_quantity=D(quantity), counted_quantity=D(quantity),
                                                quantity=D(quantity), status=PledgedItem.Status.PLEDGED))
    for number, quantity in receipts:
        receipt = WarehouseReceipt.objects.create(
            warehouse=agreement.warehouse, number=number, owner=agreement.pledgor, commodity=commodity,
            quantity=D(quantity), location="Shed 3", issued_on=timezone.localdate(), created_by=world.warehouse_user)
        items.append(PledgedItem.objects.create(intake=intake, agreement=agreement, receipt=receipt,
                                                commodity=commodity, declared_quantity=D(quantity),
                                                counted_quantity=D(quantity), quantity=D(quantity),
                                                status=PledgedItem.Status.PLEDGED))
    return items


def priced_agreement(world, agreement, *, price="5000.00", outstanding="180000.00", cash_margin="0.00"):
    """Copper at 5,000.00/t approved today, the warehouse approved, E = outstanding − cash margin."""
    approve_warehouse(world)
    approve_price(world, world.copper, price)
    agreement.principal_outstanding = D(outstanding)
    agreement.cash_margin = D(cash_margin)
    agreement.save(update_fields=["principal_outstanding", "cash_margin"])
    return agreement
