"""One open margin call per agreement, under concurrency (PostgreSQL, real threads).

Two revaluations after the same price fall at once open one call: the lender's row lock makes the second
wait and find the call open. Two inserts of an open call for the same agreement at once: the partial
unique constraint refuses the second.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection

from scf.parties.models import Organization
from tests.pledge.collateral_helpers import approve_price
from tests.pledge.test_revaluation import make_agreement
from tests.pledge.test_valuation import pledge
from tests.races import run_together
from workflows.pledge.models import CommodityPrice, PledgeMarginCall, PledgeRevaluation, PledgeValuation
from workflows.pledge.revaluation import revalue_agreements

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

D = Decimal


@pytest.fixture
def falling(world):
    # copper 100.000 t at 10,000.00: V 1,000,000.00, principal 600,000.00: LTV 0.60, normal; then 8,000.00:
    # V 800,000.00, LTV 0.75: call, K = 600,000 − 480,000 = 120,000.00.
    today = datetime.date.today()
    approve_price(world, world.copper, "10000.00", on=today - datetime.timedelta(days=1))
    agreement = make_agreement(world, 1, principal="600000.00")
    pledge(world, agreement, world.copper, "100.000", "WR-1")
    revalue_agreements(lender=world.lender, on=today, acting_user=None)
    # The fall approved without its own revaluation: the two racing revaluations find it.
    CommodityPrice.objects.filter(commodity=world.copper).update(price=D("8000.00"))
    return agreement


def test_two_revaluations_at_once_open_one_call(postgres_only, world, falling):
    assert connection.vendor == "postgresql"

    def revalue():
        lender = Organization.objects.get(pk=world.lender.pk)
        return revalue_agreements(lender=lender, on=datetime.date.today(), acting_user=None)

    results, errors = run_together(revalue, revalue)
    assert errors == {}
    [call] = PledgeMarginCall.objects.filter(agreement=falling)
    assert (call.state, call.cure_amount) == (PledgeMarginCall.State.ISSUED, D("120000.00"))
    assert sorted(len(r.changes) for r in results.values()) == [0, 1]


def test_the_database_refuses_a_second_open_call(postgres_only, world, falling):
    valuation = PledgeValuation.objects.get(agreement=falling)
    run = PledgeRevaluation.objects.order_by("-pk").first()

    def open_one(n):
        def insert():
            return PledgeMarginCall.objects.create(
                agreement_id=falling.pk, reference=f"PMC-RACE-{n}", opened_by=run, last_revaluation=run,
                opened_on=valuation.valued_on, deadline=valuation.valued_on + datetime.timedelta(days=3),
                currency="CNY", value_at_opening=D("800000.00"), exposure_at_opening=D("600000.00"),
                ltv_at_opening=D("0.750000"), call_line=D("0.700000"), amount_at_opening=D("120000.00"),
                cure_amount=D("120000.00"))
        return insert

    results, errors = run_together(open_one(1), open_one(2))
    assert len(results) == 1 and len(errors) == 1
    assert all(isinstance(e, IntegrityError) for e in errors.values())
    assert PledgeMarginCall.objects.filter(agreement=falling, state__in=PledgeMarginCall.OPEN).count() == 1
