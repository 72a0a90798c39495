"""Two agreements declaring one receipt at once: exactly one holds it, the other answers 409, never a 500.

Real threads on PostgreSQL, each with its own connection, released together by a barrier. The partial
unique index on a held receipt (or lot) decides; the loser's IntegrityError becomes
`collateral_already_pledged`. SQLite serialises writers: the race means nothing there.
"""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from tests.pledge.collateral_helpers import approve_price, approve_warehouse, declare, lot_line, receipt_line
from tests.pledge.test_collateral_services import second_agreement
from tests.races import run_together
from workflows.pledge.collateral import intake_count
from workflows.pledge.exceptions import CollateralAlreadyPledged, ConcentrationLimitExceeded
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


def test_two_api_declarations_of_one_receipt_answer_201_and_409_never_500(postgres_only, two_agreements):
    world, first, second = two_agreements
    issued = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    body = {"lines": [{"kind": "receipt", "number": "WR-HTTP", "commodity": "CU", "quantity": "10.000",
                       "issued_on": issued}]}

    def post_under(agreement):
        def post():
            client = Client()
            client.force_login(world.pledgor_user)
            response = client.post(f"/api/v1/pledge/agreements/{agreement.pk}/intakes/", body,
                                   content_type="application/json")
            return response.status_code, response.json().get("error", {}).get("code")
        return post

    results, errors = run_together(post_under(first), post_under(second))
    assert not errors, errors
    assert sorted(results.values()) == [(201, None), (409, "collateral_already_pledged")]


def test_two_counts_at_once_never_exceed_the_concentration_limit(postgres_only, world, active_agreement):
    # Each intake: 10.000 t × 68,250.00 = 682,500.00; the limit holds one of them, not both.
    approve_warehouse(world, limit="1000000.00")
    approve_price(world, world.copper, "68250.00")
    second = second_agreement(world)
    intakes = [declare(world, active_agreement, lot_line("LOT-C1", commodity=world.copper, quantity="10.000")),
               declare(world, second, lot_line("LOT-C2", commodity=world.copper, quantity="10.000"))]

    def count(intake):
        return lambda: intake_count(intake=intake, counts={i.pk: Decimal("10.000") for i in intake.items.all()},
                                    acting_user=world.warehouse_user)

    results, errors = run_together(*(count(intake) for intake in intakes))
    assert len(results) == 1 and len(errors) == 1, (results, errors)
    assert isinstance(next(iter(errors.values())), ConcentrationLimitExceeded)
    assert CollateralIntake.objects.filter(state=CollateralIntake.State.COUNTED).count() == 1
