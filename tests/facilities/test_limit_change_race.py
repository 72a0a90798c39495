"""A reservation and a limit reduction at once never leave reserved + outstanding above the limit (PostgreSQL)."""

from decimal import Decimal

import pytest

from scf.facilities.exceptions import FacilityLimitExceeded, LimitBelowUsed, LimitChangeOpen
from scf.facilities.models import CreditFacility, FacilityLimitChange
from scf.facilities.services import (
    facility_limit_change_approve,
    facility_limit_change_propose,
    facility_reserve,
)
from scf.parties.models import StaffGroup
from tests.races import run_together

from ..factories import FacilityFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

D = Decimal


def test_reservations_racing_a_reduction_never_exceed_the_limit(postgres_only, lender, credit_officer, staff_user):
    risk = staff_user(StaffGroup.RISK_MANAGER, "risk-race")
    # Five facilities of 1,000,000.00, each with 500,000.00 reserved and a proposed reduction to 600,000.00;
    # then, at once on each, the approval and a reservation of 200,000.00. Either order fits alone
    # (700,000.00 ≤ 1,000,000.00; 500,000.00 ≤ 600,000.00), both together would not (700,000.00 > 600,000.00).
    facilities, changes = [], []
    for i in range(5):
        facility = FacilityFactory(lender=lender, limit_amount=D("1000000.00"))
        facility_reserve(facility=facility, amount=D("500000.00"), reference=f"BASE-{i}", acting_user=None)
        changes.append(facility_limit_change_propose(facility=facility, new_limit=D("600000.00"),
                                                     reason="Reduce exposure", acting_user=credit_officer))
        facilities.append(facility)

    jobs, kinds = [], []
    for i, (facility, change) in enumerate(zip(facilities, changes, strict=True)):
        jobs.append(lambda change=change: facility_limit_change_approve(
            change=FacilityLimitChange(pk=change.pk, facility_id=change.facility_id), acting_user=risk))
        jobs.append(lambda facility=facility, i=i: facility_reserve(
            facility=CreditFacility(pk=facility.pk), amount=D("200000.00"), reference=f"NEW-{i}", acting_user=None))
        kinds += ["approve", "reserve"]

    results, errors = run_together(*jobs)

    unexpected = {i: repr(e) for i, e in errors.items()
                  if not isinstance(e, {"approve": LimitBelowUsed, "reserve": FacilityLimitExceeded}[kinds[i]])}
    assert not unexpected, unexpected
    for i, facility in enumerate(facilities):
        facility.refresh_from_db()
        approve_won, reserve_won = 2 * i in results, 2 * i + 1 in results
        assert approve_won != reserve_won, "exactly one of the two gets through on each facility"
        assert facility.reserved_amount + facility.outstanding_amount <= facility.limit_amount
        if approve_won:
            assert (facility.limit_amount, facility.reserved_amount) == (D("600000.00"), D("500000.00"))
        else:
            assert (facility.limit_amount, facility.reserved_amount) == (D("1000000.00"), D("700000.00"))
            assert FacilityLimitChange.objects.get(pk=changes[i].pk).state == FacilityLimitChange.State.PROPOSED


def test_concurrent_proposals_on_one_facility_leave_one_open(postgres_only, lender, staff_user):
    users = [staff_user(StaffGroup.CREDIT_OFFICER, f"officer-{i}") for i in range(6)]
    facility = FacilityFactory(lender=lender, limit_amount=D("1000000.00"))

    def propose(i):
        return lambda: facility_limit_change_propose(
            facility=CreditFacility.objects.get(pk=facility.pk), new_limit=D("1000000.00") + (i + 1) * D("1000.00"),
            reason="More turnover", acting_user=users[i])

    results, errors = run_together(*[propose(i) for i in range(6)])

    assert len(results) == 1
    assert all(isinstance(e, LimitChangeOpen) for e in errors.values()), {i: repr(e) for i, e in errors.items()}
    assert FacilityLimitChange.objects.filter(facility=facility, state="proposed").count() == 1
