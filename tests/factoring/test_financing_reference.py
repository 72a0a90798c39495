"""Financing references: FF-<value date's year>-<n>, numbered per year without gaps."""

import datetime
from decimal import Decimal
from importlib import import_module

from django.apps import apps

from workflows.factoring import services
from workflows.factoring.models import FactoringFinancing

from .test_financing_lifecycle import _receivable

D = Decimal


def _request(world, number, value_date=datetime.date(2026, 11, 25)):
    return services.financing_request_create(supplier=world.supplier, receivables=[_receivable(world, number)],
                                             value_date=value_date, acting_user=world.supplier_user)


def _old_financing(world, reference):
    """A financing numbered by the former scheme, FF-<year>-<primary key>."""
    return FactoringFinancing.objects.create(
        reference=reference, facility=world.facility, supplier=world.supplier, debtor=world.debtor,
        lender=world.lender, confirmed_amount=D("100000.00"), advance_rate=D("0.800000"),
        annual_rate=D("0.050000"), fee_rate=D("0.010000"), day_count="ACT/360", interest_mode="advance",
        value_date=datetime.date(2026, 11, 25), due_date=datetime.date(2027, 2, 23), advance_amount=D("80000.00"),
        tenor_days=90, interest_amount=D("1000.00"), fee_amount=D("800.00"), net_disbursement=D("78200.00"),
        all_in_rate=D("0.060000"), prepared_by=world.supplier_user, state=FactoringFinancing.State.CLOSED,
    )


def test_references_count_up_per_year_of_the_value_date(world):
    first = _request(world, "INV-1")
    second = _request(world, "INV-2")
    next_year = _request(world, "INV-3", value_date=datetime.date(2027, 1, 4))
    third = _request(world, "INV-4")

    assert [first.reference, second.reference, next_year.reference, third.reference] == [
        "FF-2026-00001", "FF-2026-00002", "FF-2027-00001", "FF-2026-00003"]


def test_numbering_continues_after_the_highest_reference_the_migration_found(world):
    for reference in ("FF-2026-00012", "FF-2026-00004", "FF-2027-00013", "FF-TEST-1"):
        _old_financing(world, reference)
    import_module("workflows.factoring.migrations.0005_seed_financing_sequence").seed(apps, None)

    assert _request(world, "INV-1").reference == "FF-2026-00013"
    assert _request(world, "INV-2", value_date=datetime.date(2027, 1, 4)).reference == "FF-2027-00014"
