"""The collateral demo: under dist1's active agreement with warehouse1, one effective intake and one to count."""

import dataclasses
import datetime
from decimal import Decimal

import pytest

from scf.core import demo
from scf.facilities.models import CreditFacility, Product
from scf.parties.demo import seed_demo
from workflows.pledge.demo import seed_collateral_demo
from workflows.pledge.models import CollateralIntake, PledgeAgreement, PledgedItem

pytestmark = pytest.mark.django_db


def _agreement_seeder(context):
    """What the agreement demo does: an active agreement of dist1 with warehouse1 (made directly here)."""
    pledgor, warehouse = context.organizations["dist1"], context.organizations["warehouse1"]
    if PledgeAgreement.objects.filter(pledgor=pledgor).exists():
        return
    PledgeAgreement.objects.create(
        reference="PLA-DEMO-0001", lender=context.lender, pledgor=pledgor, warehouse=warehouse,
        facility=CreditFacility.objects.get(obligor=pledgor, product=Product.PLEDGE),
        maximum_amount=Decimal("8000000.00"), annual_rate=Decimal("0.055"), start_date=datetime.date(2026, 1, 5),
        end_date=datetime.date(2027, 1, 5), prepared_by=context.staff["officer"], state=PledgeAgreement.State.ACTIVE)


def test_without_an_agreement_the_collateral_demo_does_nothing():
    seed_demo(password="Demo-Pass-1", lifecycle=False)
    assert not CollateralIntake.objects.exists()


def test_the_demo_has_an_effective_intake_and_one_awaiting_the_count(monkeypatch):
    monkeypatch.setitem(demo._seeders, "pledge-agreement-test",
                        demo._Registration("pledge-agreement-test", _agreement_seeder, 205))
    monkeypatch.setitem(demo._seeders, "pledge-collateral", demo._Registration(
        "pledge-collateral", lambda context: seed_collateral_demo(dataclasses.replace(context, lifecycle=True)), 210))
    seed_demo(password="Demo-Pass-1", lifecycle=False)
    seed_demo(password="Demo-Pass-1", lifecycle=False)  # safe to run again: nothing doubles
    effective, declared = CollateralIntake.objects.order_by("pk")
    assert effective.state == CollateralIntake.State.EFFECTIVE
    assert declared.state == CollateralIntake.State.DECLARED
    assert set(effective.items.values_list("status", flat=True)) == {PledgedItem.Status.PLEDGED}
    assert effective.items.get(receipt__isnull=False).quantity == Decimal("120.500")
