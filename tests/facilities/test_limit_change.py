"""Facility limit changes with four eyes: propose, approve (applies under the row lock), reject, cancel."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from scf.audit.models import AuditRecord
from scf.core.exceptions import ActionNotPermitted, IllegalTransition
from scf.facilities.exceptions import FacilityUnavailable, LimitBelowUsed, LimitChangeOpen
from scf.facilities.models import CreditFacility, FacilityLimitChange
from scf.facilities.permissions import can_decide_limit_change
from scf.facilities.services import (
    facility_consume,
    facility_limit_change_approve,
    facility_limit_change_cancel,
    facility_limit_change_propose,
    facility_limit_change_reject,
    facility_reserve,
)
from scf.parties.exceptions import FourEyesViolation, KycNotVerified
from scf.parties.models import Membership, Organization, StaffGroup

from ..factories import FacilityFactory, LenderFactory, MembershipFactory

pytestmark = pytest.mark.django_db

D = Decimal
State = FacilityLimitChange.State


@pytest.fixture
def facility(lender):
    # Limit 1,000,000.00; reserved 300,000.00 + outstanding 200,000.00 = 500,000.00 used.
    facility = FacilityFactory(lender=lender, limit_amount=D("1000000.00"))
    facility_reserve(facility=facility, amount=D("200000.00"), reference="DRAWN", acting_user=None)
    facility_consume(facility=facility, reference="DRAWN", acting_user=None)
    facility_reserve(facility=facility, amount=D("300000.00"), reference="HELD", acting_user=None)
    facility.refresh_from_db()
    return facility


@pytest.fixture
def second_risk(staff_user):
    return staff_user(StaffGroup.RISK_MANAGER, "risk-second")


def _propose(facility, user, new_limit="1500000.00", reason="Turnover grew 50% in 2026", **kwargs):
    return facility_limit_change_propose(facility=facility, new_limit=D(new_limit), reason=reason,
                                         acting_user=user, **kwargs)


def test_propose_records_old_and_new_limit_and_changes_nothing_yet(facility, credit_officer):
    change = _propose(facility, credit_officer)

    assert (change.state, change.old_limit, change.new_limit, change.proposed_by) == (
        State.PROPOSED, D("1000000.00"), D("1500000.00"), credit_officer)
    assert change.decided_by is None
    facility.refresh_from_db()
    assert facility.limit_amount == D("1000000.00")
    assert AuditRecord.objects.filter(action="facilities.facilitylimitchange.propose",
                                      object_id=str(change.pk)).count() == 1


def test_approve_by_a_second_person_applies_the_new_limit_and_validity(facility, credit_officer, risk_manager):
    new_end = facility.valid_to + datetime.timedelta(days=180)
    change = _propose(facility, credit_officer, new_valid_to=new_end)

    facility_limit_change_approve(change=change, acting_user=risk_manager, note="Reviewed the accounts")

    change.refresh_from_db()
    facility.refresh_from_db()
    assert (change.state, change.decided_by, change.decision_note) == (
        State.APPROVED, risk_manager, "Reviewed the accounts")
    assert change.decided_at is not None
    # 1,500,000.00 − 500,000.00 used = 1,000,000.00 available.
    assert (facility.limit_amount, facility.valid_to, facility.available_amount) == (
        D("1500000.00"), new_end, D("1000000.00"))
    assert AuditRecord.objects.filter(action="facilities.creditfacility.limit_change",
                                      object_id=str(facility.pk)).get().note == "1,000,000.00 -> 1,500,000.00; " \
        f"valid to {new_end}"


def test_the_proposer_cannot_approve_their_own_proposal(facility, risk_manager):
    change = _propose(facility, risk_manager)

    with pytest.raises(FourEyesViolation, match="a second person must decide it"):
        facility_limit_change_approve(change=change, acting_user=risk_manager)
    assert not can_decide_limit_change(risk_manager, change)
    facility.refresh_from_db()
    assert facility.limit_amount == D("1000000.00")
    assert FacilityLimitChange.objects.get(pk=change.pk).state == State.PROPOSED


def test_a_member_of_the_obligor_cannot_approve(facility, credit_officer, second_risk):
    MembershipFactory(user=second_risk, organization=facility.obligor, role=Membership.Role.OPERATOR)
    change = _propose(facility, credit_officer)

    with pytest.raises(FourEyesViolation):
        facility_limit_change_approve(change=change, acting_user=second_risk)
    assert not can_decide_limit_change(second_risk, change)


def test_a_credit_officer_may_propose_but_not_approve(facility, risk_manager, credit_officer):
    change = _propose(facility, risk_manager)

    with pytest.raises(ActionNotPermitted):
        facility_limit_change_approve(change=change, acting_user=credit_officer)


def test_staff_of_another_lender_may_neither_propose_nor_approve(facility, credit_officer):
    from django.contrib.auth.models import Group

    from ..factories import UserFactory

    other_lender = LenderFactory()
    outsider = UserFactory(username="other-risk")
    outsider.groups.add(Group.objects.get(name=StaffGroup.RISK_MANAGER))
    MembershipFactory(user=outsider, organization=other_lender, role=Membership.Role.OPERATOR)
    with pytest.raises(ActionNotPermitted):
        _propose(facility, outsider)
    change = _propose(facility, credit_officer)
    with pytest.raises(ActionNotPermitted):
        facility_limit_change_approve(change=change, acting_user=outsider)


def test_a_reason_is_required_and_the_new_limit_must_differ_and_be_positive(facility, credit_officer):
    with pytest.raises(ValidationError) as error:
        _propose(facility, credit_officer, new_limit="1000000.00", reason="  ")
    assert set(error.value.message_dict) == {"reason", "new_limit"}
    with pytest.raises(ValidationError) as error:
        _propose(facility, credit_officer, new_limit="0")
    assert "new_limit" in error.value.message_dict
    assert not FacilityLimitChange.objects.exists()


def test_a_reduction_below_reserved_plus_outstanding_is_refused_with_the_figures(facility, credit_officer):
    with pytest.raises(LimitBelowUsed) as error:
        _propose(facility, credit_officer, new_limit="499999.99")
    assert "499,999.99" in error.value.message
    assert "300,000.00 reserved + 200,000.00 outstanding = 500,000.00" in error.value.message
    assert error.value.code == "limit_below_used" and error.value.http_status == 409
    # Down to exactly what is used is allowed: 500,000.00 = 300,000.00 + 200,000.00.
    change = _propose(facility, credit_officer, new_limit="500000.00")
    assert change.new_limit == D("500000.00")


def test_approval_rechecks_what_was_reserved_since_the_proposal(facility, credit_officer, risk_manager):
    change = _propose(facility, credit_officer, new_limit="600000.00", reason="Sales fell")
    # 100,000.00 more reserved after the proposal: 600,000.00 used, so 600,000.00 still fits …
    facility_reserve(facility=facility, amount=D("100000.00"), reference="LATER", acting_user=None)
    # … but 0.01 more would not.
    facility_reserve(facility=facility, amount=D("0.01"), reference="CENT", acting_user=None)

    with pytest.raises(LimitBelowUsed, match="600,000.01"):
        facility_limit_change_approve(change=change, acting_user=risk_manager)
    facility.refresh_from_db()
    assert facility.limit_amount == D("1000000.00")
    assert FacilityLimitChange.objects.get(pk=change.pk).state == State.PROPOSED


def test_one_open_proposal_per_facility(facility, credit_officer, risk_manager):
    first = _propose(facility, credit_officer)
    with pytest.raises(LimitChangeOpen):
        _propose(facility, risk_manager, new_limit="800000.00")
    # The database holds it too, whatever the service does.
    with pytest.raises(IntegrityError), transaction.atomic():
        FacilityLimitChange.objects.create(facility=facility, old_limit=D("1000000.00"), new_limit=D("2.00"),
                                           old_valid_to=facility.valid_to, reason="x", proposed_by=risk_manager)
    facility_limit_change_cancel(change=first, acting_user=credit_officer)
    assert _propose(facility, risk_manager, new_limit="800000.00").state == State.PROPOSED


def test_the_database_refuses_a_decision_by_the_proposer(facility, risk_manager):
    with pytest.raises(IntegrityError), transaction.atomic():
        FacilityLimitChange.objects.create(
            facility=facility, old_limit=D("1000000.00"), new_limit=D("2000000.00"), old_valid_to=facility.valid_to,
            reason="x", proposed_by=risk_manager, decided_by=risk_manager, decided_at=timezone.now(),
            state=State.APPROVED)
    with pytest.raises(IntegrityError), transaction.atomic():
        # Approved without a decider is refused as well.
        FacilityLimitChange.objects.create(
            facility=facility, old_limit=D("1000000.00"), new_limit=D("2000000.00"), old_valid_to=facility.valid_to,
            reason="x", proposed_by=risk_manager, decided_at=timezone.now(), state=State.APPROVED)


def test_reject_needs_a_comment_and_leaves_the_limit(facility, credit_officer, risk_manager):
    change = _propose(facility, credit_officer)
    with pytest.raises(ValidationError) as error:
        facility_limit_change_reject(change=change, acting_user=risk_manager, note=" ")
    assert "note" in error.value.message_dict

    facility_limit_change_reject(change=change, acting_user=risk_manager, note="Concentration too high")

    change.refresh_from_db()
    facility.refresh_from_db()
    assert (change.state, change.decided_by, change.decision_note) == (
        State.REJECTED, risk_manager, "Concentration too high")
    assert facility.limit_amount == D("1000000.00")
    with pytest.raises(IllegalTransition, match="already rejected"):
        facility_limit_change_approve(change=change, acting_user=risk_manager)


def test_only_the_proposer_cancels(facility, credit_officer, risk_manager):
    change = _propose(facility, credit_officer)
    with pytest.raises(ActionNotPermitted):
        facility_limit_change_cancel(change=change, acting_user=risk_manager)

    facility_limit_change_cancel(change=change, acting_user=credit_officer)

    change.refresh_from_db()
    assert change.state == State.CANCELLED and change.decided_by is None and change.decided_at is not None
    assert AuditRecord.objects.filter(action="facilities.facilitylimitchange.cancel", actor=credit_officer).exists()


def test_a_frozen_facility_may_be_reduced_but_not_raised(facility, credit_officer, risk_manager):
    CreditFacility.objects.filter(pk=facility.pk).update(state=CreditFacility.State.FROZEN)
    facility.refresh_from_db()
    with pytest.raises(FacilityUnavailable, match="frozen"):
        _propose(facility, credit_officer)
    with pytest.raises(FacilityUnavailable):
        _propose(facility, credit_officer, new_limit="800000.00",
                 new_valid_to=facility.valid_to + datetime.timedelta(days=1))
    change = _propose(facility, credit_officer, new_limit="800000.00", reason="Overdue: reduce exposure")
    facility_limit_change_approve(change=change, acting_user=risk_manager)
    facility.refresh_from_db()
    assert facility.limit_amount == D("800000.00")


def test_a_raise_proposed_before_a_freeze_is_refused_at_approval(facility, credit_officer, risk_manager):
    change = _propose(facility, credit_officer)
    CreditFacility.objects.filter(pk=facility.pk).update(state=CreditFacility.State.FROZEN)

    with pytest.raises(FacilityUnavailable):
        facility_limit_change_approve(change=change, acting_user=risk_manager)
    assert FacilityLimitChange.objects.get(pk=change.pk).state == State.PROPOSED


@pytest.mark.parametrize("state", [CreditFacility.State.EXPIRED, CreditFacility.State.CLOSED,
                                   CreditFacility.State.PROPOSED])
def test_an_expired_closed_or_unactivated_facility_takes_no_limit_change(lender, credit_officer, state):
    facility = FacilityFactory(lender=lender, state=state)
    with pytest.raises(IllegalTransition, match="Propose a new facility"):
        _propose(facility, credit_officer, new_limit="500000.00")


def test_a_raise_needs_the_obligors_kyc_verified(facility, credit_officer):
    Organization.objects.filter(pk=facility.obligor_id).update(kyc_state=Organization.KycState.EXPIRED)
    facility.refresh_from_db()
    with pytest.raises(KycNotVerified):
        _propose(facility, credit_officer)
    # Reducing credit to a client whose KYC lapsed is what a bank wants to be able to do.
    assert _propose(facility, credit_officer, new_limit="700000.00").state == State.PROPOSED


def test_a_proposed_end_of_validity_that_has_passed_by_approval_is_refused(facility, credit_officer, risk_manager):
    import time_machine

    change = _propose(facility, credit_officer, new_valid_to=timezone.localdate() + datetime.timedelta(days=1))
    with time_machine.travel(timezone.now() + datetime.timedelta(days=3)):
        with pytest.raises(IllegalTransition, match="has passed"):
            facility_limit_change_approve(change=change, acting_user=risk_manager)
