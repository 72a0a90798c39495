"""The migration that gives existing approval cases their lender and parties."""

from importlib import import_module

from django.apps import apps

from workflows.approval.models import ApprovalCase

from .test_settlement import _disbursed

backfill = import_module("workflows.factoring.migrations.0006_approval_case_parties").forwards


def test_an_existing_case_gets_the_financings_lender_supplier_and_debtor(world):
    financing = _disbursed(world)
    case = ApprovalCase.objects.get(pk=financing.approval_case_id)
    # As a case opened before the change: no lender, only its applicant.
    ApprovalCase.objects.filter(pk=case.pk).update(lender=None)
    case.parties.set([world.supplier])
    backfill(apps, None)
    backfill(apps, None)  # running it again changes nothing
    case.refresh_from_db()
    assert case.lender == world.lender
    assert set(case.parties.all()) == {world.supplier, world.debtor}
