"""Two agreements declaring one receipt at once: exactly one holds it, the other answers 409, never a 500.

Real threads on PostgreSQL, each with its own connection, released together by a barrier. The partial
unique index on a held receipt (or lot) decides; the loser's IntegrityError becomes
`collateral_already_pledged`. SQLite serialises writers: the race means nothing there.
"""

import pytest

from tests.pledge.collateral_helpers import approve_price, approve_warehouse, declare, lot_line, receipt_line
from tests.pledge.test_collateral_services import second_agreement
from tests.races import run_together
from workflows.pledge.exceptions import CollateralAlreadyPledged
from workflows.pledge.models import CollateralIntake, PledgedItem, WarehouseReceipt

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def two_agreements(world, active_agreement):
    approve_warehouse(world)
    approve_price(world, world.copper, "68250.00")
    return world, active_agreement, second_agreement(world)


@pytest.mark.parametrize("registered", [False, True], ids=["new-receipt", "registered-receipt"])
def test_two_agreements_declaring_one_receipt_at_once_one_wins(postgres_only, two_agreements, registered):
    world, first, second = two_agreements
    if registered:
        declare(world, first, receipt_line("WR-PRE", commodity=world.copper))
        CollateralIntake.objects.get().items.update(status=PledgedItem.Status.REFUSED)

    def declare_under(agreement):
        return lambda: declare(world, agreement, receipt_line("WR-PRE", commodity=world.copper))

    results, errors = run_together(declare_under(first), declare_under(second), declare_under(first),
                                   declare_under(second))
    assert len(results) == 1, (results, errors)
    assert all(isinstance(error, CollateralAlreadyPledged) for error in errors.values()), errors
    assert WarehouseReceipt.objects.filter(number="WR-PRE").count() == 1
    assert PledgedItem.objects.filter(receipt__number="WR-PRE", status__in=PledgedItem.HELD).count() == 1


def test_one_lot_declared_twice_at_once_is_held_once(postgres_only, two_agreements):
    world, first, second = two_agreements

    def declare_under(agreement):
        return lambda: declare(world, agreement, lot_line("LOT-R", commodity=world.copper, quantity="5.000"))

    results, errors = run_together(declare_under(first), declare_under(second))
    assert len(results) == 1 and len(errors) == 1, (results, errors)
    assert isinstance(next(iter(errors.values())), CollateralAlreadyPledged)
    assert PledgedItem.objects.filter(lot__lot_number="LOT-R", status__in=PledgedItem.HELD).count() == 1
