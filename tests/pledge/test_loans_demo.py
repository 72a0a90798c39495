"""The demo's loans and releases under dist1's active pledge agreement: every role finds work."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from scf.ledger.models import Posting
from scf.parties.demo import seed_demo
from workflows.pledge.models import PledgeAgreement, PledgeDrawdown, PledgeRelease

pytestmark = pytest.mark.django_db


def test_the_demo_has_loans_at_each_stage_and_releases_for_operations_and_the_warehouse(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(password="Demo-Pass-1")
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(password="Demo-Pass-1")  # safe to run again: nothing doubles
    active = PledgeAgreement.objects.get(state="active")
    loans = {d.amount: d for d in PledgeDrawdown.objects.filter(agreement=active)}
    assert {amount: loan.state for amount, loan in loans.items()} == {
        Decimal("2000000.00"): "disbursed", Decimal("400000.00"): "approved", Decimal("600000.00"): "requested"}
    # 2,000,000.00 paid out today, 300,000.00 back the same day: no interest yet, all of it principal.
    assert loans[Decimal("2000000.00")].principal_outstanding == Decimal("1700000.00")
    assert active.principal_outstanding == Decimal("1700000.00")
    releases = PledgeRelease.objects.filter(agreement=active).order_by("pk")
    assert [(r.state, r.lines.get().quantity) for r in releases] == [("requested", Decimal("5")),
                                                                       ("ordered", Decimal("3"))]
    assert Posting.objects.aggregate(total=Sum("amount"))["total"] == 0
