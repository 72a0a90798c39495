"""Migration 0006 makes existing clients known to their lender, and no other lender's."""

from __future__ import annotations

import importlib

from django.apps import apps

from scf.parties.models import LenderClient
from tests.factories import FacilityFactory, LenderFactory, OrganizationFactory

forwards = importlib.import_module("scf.parties.migrations.0006_lender_client_existing").forwards


def _pairs() -> set[tuple[int, int, str]]:
    return set(LenderClient.objects.values_list("lender_id", "organization_id", "source"))


def test_on_a_one_lender_deployment_every_organization_becomes_the_lenders_client(db):
    lender = LenderFactory()
    obligor, counterparty, stranger = OrganizationFactory(), OrganizationFactory(), OrganizationFactory()
    FacilityFactory(lender=lender, obligor=obligor)
    FacilityFactory(lender=lender, obligor=obligor)  # a second facility: still one row
    forwards(apps, None)
    assert _pairs() == {(lender.pk, obligor.pk, "facility"), (lender.pk, counterparty.pk, "existing"),
                        (lender.pk, stranger.pk, "existing")}
    forwards(apps, None)  # run again: nothing doubles
    assert LenderClient.objects.count() == 3


def test_with_several_lenders_only_facilities_say_whose_client_an_organization_is(db):
    first, second = LenderFactory(), LenderFactory()
    client_of_first, client_of_second, nobodys = OrganizationFactory(), OrganizationFactory(), OrganizationFactory()
    FacilityFactory(lender=first, obligor=client_of_first)
    FacilityFactory(lender=second, obligor=client_of_second)
    forwards(apps, None)
    assert _pairs() == {(first.pk, client_of_first.pk, "facility"), (second.pk, client_of_second.pk, "facility")}
    assert not LenderClient.objects.filter(organization=nobodys).exists()
