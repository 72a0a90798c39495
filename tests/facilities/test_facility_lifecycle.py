"""Limit movements after a reservation (consume, release, restore) and the facility's state machine."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from scf.audit.models import AuditRecord
from scf.audit.services import history_for
from scf.core.exceptions import ActionNotPermitted, IllegalTransition
from scf.facilities.exceptions import FacilityLimitExceeded, ReservationError
from scf.facilities.models import CreditFacility, FacilityMovement, FacilityReservation
from scf.facilities.services import (
    facility_activate,
    facility_close,
    facility_consume,
    facility_freeze,
    facility_release,
    facility_reserve,
    facility_restore,
    facility_unfreeze,
)
from scf.parties.models import StaffGroup

from ..factories import FacilityFactory

pytestmark = pytest.mark.django_db

D = Decimal
State = CreditFacility.State


def _balances(facility):
    facility.refresh_from_db()
    return facility.reserved_amount, facility.outstanding_amount, facility.retired_amount, facility.available_amount


def _reserved(facility, amount, reference, user):
    return facility_reserve(facility=facility, amount=amount, reference=reference, acting_user=user)


# --- consume -----------------------------------------------------------------------------------


def test_consume_moves_the_reservation_from_reserved_to_outstanding(credit_officer):
    facility = FacilityFactory()
    _reserved(facility, D("300000.00"), "APP-1", credit_officer)
    _reserved(facility, D("100000.00"), "APP-2", credit_officer)

    reservation = facility_consume(facility=facility, reference="APP-1", acting_user=credit_officer)

    assert reservation.status == FacilityReservation.Status.CONSUMED
    # reserved 400,000.00 − 300,000.00 = 100,000.00; outstanding 300,000.00; available unchanged.
    assert _balances(facility) == (D("100000.00"), D("300000.00"), D("0.00"), D("600000.00"))
    movement = FacilityMovement.objects.filter(facility=facility).last()
    assert (movement.kind, movement.amount, movement.reference) == (
        FacilityMovement.Kind.CONSUME, D("300000.00"), "APP-1")
    assert (movement.reserved_after, movement.outstanding_after, movement.available_after) == (
        D("100000.00"), D("300000.00"), D("600000.00"))


def test_consume_twice_changes_nothing_the_second_time(credit_officer):
    facility = FacilityFactory()
    _reserved(facility, D("300000.00"), "APP-1", credit_officer)
    facility_consume(facility=facility, reference="APP-1", acting_user=credit_officer)
    movements = FacilityMovement.objects.count()

    again = facility_consume(facility=facility, reference="APP-1", acting_user=credit_officer)

    assert again.status == FacilityReservation.Status.CONSUMED
    assert _balances(facility) == (D("0.00"), D("300000.00"), D("0.00"), D("700000.00"))
    assert FacilityMovement.objects.count() == movements


def test_consume_of_an_unknown_reference_is_refused(credit_officer):
    facility = FacilityFactory()

    with pytest.raises(ReservationError):
        facility_consume(facility=facility, reference="NOPE", acting_user=credit_officer)

    assert _balances(facility) == (D("0.00"), D("0.00"), D("0.00"), D("1000000.00"))


def test_consume_of_a_released_reservation_is_refused(credit_officer):
    facility = FacilityFactory()
    _reserved(facility, D("300000.00"), "APP-1", credit_officer)
    facility_release(facility=facility, reference="APP-1", acting_user=credit_officer)

    with pytest.raises(ReservationError):
        facility_consume(facility=facility, reference="APP-1", acting_user=credit_officer)

    assert _balances(facility) == (D("0.00"), D("0.00"), D("0.00"), D("1000000.00"))
    assert FacilityReservation.objects.get(reference="APP-1").status == FacilityReservation.Status.RELEASED


# --- release -----------------------------------------------------------------------------------


def test_release_gives_the_headroom_back(credit_officer):
    facility = FacilityFactory()
    _reserved(facility, D("300000.00"), "APP-1", credit_officer)
    _reserved(facility, D("700000.00"), "APP-2", credit_officer)
    with pytest.raises(FacilityLimitExceeded):
        _reserved(facility, D("0.01"), "APP-3", credit_officer)

    reservation = facility_release(facility=facility, reference="APP-1", acting_user=credit_officer)

    assert reservation.status == FacilityReservation.Status.RELEASED
    assert _balances(facility) == (D("700000.00"), D("0.00"), D("0.00"), D("300000.00"))
    movement = FacilityMovement.objects.filter(facility=facility).last()
    assert (movement.kind, movement.amount, movement.reserved_after, movement.available_after) == (
        FacilityMovement.Kind.RELEASE, D("300000.00"), D("700000.00"), D("300000.00"))
    _reserved(facility, D("300000.00"), "APP-3", credit_officer)
    assert _balances(facility)[3] == D("0.00")


def test_release_twice_changes_nothing_the_second_time(credit_officer):
    facility = FacilityFactory()
    _reserved(facility, D("300000.00"), "APP-1", credit_officer)
    facility_release(facility=facility, reference="APP-1", acting_user=credit_officer)

    facility_release(facility=facility, reference="APP-1", acting_user=credit_officer)

    assert _balances(facility) == (D("0.00"), D("0.00"), D("0.00"), D("1000000.00"))
    assert FacilityMovement.objects.filter(kind=FacilityMovement.Kind.RELEASE).count() == 1


def test_release_after_consume_is_refused_and_changes_nothing(credit_officer):
    facility = FacilityFactory()
    _reserved(facility, D("300000.00"), "APP-1", credit_officer)
    facility_consume(facility=facility, reference="APP-1", acting_user=credit_officer)
    movements = FacilityMovement.objects.count()

    with pytest.raises(ReservationError) as error:
        facility_release(facility=facility, reference="APP-1", acting_user=credit_officer)

    assert error.value.code == "reservation_error"
    assert _balances(facility) == (D("0.00"), D("300000.00"), D("0.00"), D("700000.00"))
    assert FacilityReservation.objects.get(reference="APP-1").status == FacilityReservation.Status.CONSUMED
    assert FacilityMovement.objects.count() == movements


# --- restore (repayment) -----------------------------------------------------------------------


def test_restore_on_a_revolving_facility_gives_the_repaid_headroom_back(credit_officer):
    facility = FacilityFactory(revolving=True)
    _reserved(facility, D("400000.00"), "APP-1", credit_officer)
    facility_consume(facility=facility, reference="APP-1", acting_user=credit_officer)

    movement = facility_restore(facility=facility, amount=D("150000.00"), reference="REPAY-1",
                                acting_user=credit_officer)

    # outstanding 400,000.00 − 150,000.00 = 250,000.00; available 1,000,000.00 − 250,000.00 = 750,000.00.
    assert _balances(facility) == (D("0.00"), D("250000.00"), D("0.00"), D("750000.00"))
    assert (movement.kind, movement.amount, movement.outstanding_after, movement.available_after) == (
        FacilityMovement.Kind.RESTORE, D("150000.00"), D("250000.00"), D("750000.00"))
    _reserved(facility, D("750000.00"), "APP-2", credit_officer)
    assert _balances(facility)[3] == D("0.00")


def test_restore_on_a_non_revolving_facility_reduces_outstanding_but_gives_no_headroom_back(credit_officer):
    facility = FacilityFactory(revolving=False)
    _reserved(facility, D("400000.00"), "APP-1", credit_officer)
    facility_consume(facility=facility, reference="APP-1", acting_user=credit_officer)
    assert _balances(facility)[3] == D("600000.00")

    movement = facility_restore(facility=facility, amount=D("150000.00"), reference="REPAY-1",
                                acting_user=credit_officer)

    # outstanding 400,000.00 − 150,000.00 = 250,000.00; retired 0 + 150,000.00 = 150,000.00;
    # available 1,000,000.00 − (0 + 250,000.00 + 150,000.00) = 600,000.00, as before the repayment.
    assert _balances(facility) == (D("0.00"), D("250000.00"), D("150000.00"), D("600000.00"))
    assert movement.available_after == D("600000.00")
    with pytest.raises(FacilityLimitExceeded):
        _reserved(facility, D("600000.01"), "APP-2", credit_officer)


def test_restore_of_more_than_outstanding_is_refused(credit_officer):
    facility = FacilityFactory()
    _reserved(facility, D("400000.00"), "APP-1", credit_officer)
    facility_consume(facility=facility, reference="APP-1", acting_user=credit_officer)
    movements = FacilityMovement.objects.count()

    with pytest.raises(ReservationError):
        facility_restore(facility=facility, amount=D("400000.01"), reference="REPAY-1", acting_user=credit_officer)

    assert _balances(facility) == (D("0.00"), D("400000.00"), D("0.00"), D("600000.00"))
    assert FacilityMovement.objects.count() == movements


def test_restore_of_exactly_the_outstanding_clears_it(credit_officer):
    facility = FacilityFactory()
    _reserved(facility, D("400000.00"), "APP-1", credit_officer)
    facility_consume(facility=facility, reference="APP-1", acting_user=credit_officer)

    facility_restore(facility=facility, amount=D("400000.00"), reference="REPAY-1", acting_user=credit_officer)

    assert _balances(facility) == (D("0.00"), D("0.00"), D("0.00"), D("1000000.00"))


def test_restore_with_the_same_reference_twice_applies_once(credit_officer):
    facility = FacilityFactory()
    _reserved(facility, D("400000.00"), "APP-1", credit_officer)
    facility_consume(facility=facility, reference="APP-1", acting_user=credit_officer)
    first = facility_restore(facility=facility, amount=D("100000.00"), reference="REPAY-1",
                             acting_user=credit_officer)

    again = facility_restore(facility=facility, amount=D("100000.00"), reference="REPAY-1",
                             acting_user=credit_officer)

    assert again.pk == first.pk
    assert _balances(facility) == (D("0.00"), D("300000.00"), D("0.00"), D("700000.00"))
    assert FacilityMovement.objects.filter(kind=FacilityMovement.Kind.RESTORE).count() == 1


def test_restore_refuses_an_invalid_amount(credit_officer):
    facility = FacilityFactory(outstanding_amount=D("1000.00"))

    with pytest.raises(ValidationError) as error:
        facility_restore(facility=facility, amount=D("10.001"), reference="REPAY-1", acting_user=credit_officer)

    assert list(error.value.message_dict) == ["amount"]
    assert _balances(facility)[1] == D("1000.00")


# --- state machine -----------------------------------------------------------------------------


def _audit(facility):
    return list(history_for(facility))


def test_activate_by_a_risk_manager_makes_the_facility_active_and_audits_it(risk_manager, lender):
    facility = FacilityFactory(state=State.PROPOSED, lender=lender)

    facility_activate(facility=facility, acting_user=risk_manager, note="approved by committee")

    facility.refresh_from_db()
    assert facility.state == State.ACTIVE
    records = _audit(facility)
    assert len(records) == 1
    record = records[0]
    assert record.action == "facilities.creditfacility.activate"
    assert (record.source_state, record.target_state) == (State.PROPOSED, State.ACTIVE)
    assert record.actor == risk_manager
    assert record.note == "approved by committee"


def test_activate_by_a_credit_officer_is_not_permitted(credit_officer):
    facility = FacilityFactory(state=State.PROPOSED)

    with pytest.raises(ActionNotPermitted) as error:
        facility_activate(facility=facility, acting_user=credit_officer)

    assert error.value.http_status == 403
    assert error.value.code == "not_permitted"
    facility.refresh_from_db()
    assert facility.state == State.PROPOSED
    assert _audit(facility) == []


def test_activating_an_active_facility_is_an_illegal_transition(risk_manager):
    facility = FacilityFactory(state=State.ACTIVE)

    with pytest.raises(IllegalTransition) as error:
        facility_activate(facility=facility, acting_user=risk_manager)

    assert error.value.http_status == 409
    assert error.value.code == "illegal_transition"
    facility.refresh_from_db()
    assert facility.state == State.ACTIVE
    assert _audit(facility) == []


@pytest.mark.parametrize(
    ("state", "service"),
    [
        (State.PROPOSED, facility_freeze),
        (State.ACTIVE, facility_unfreeze),
        (State.EXPIRED, facility_activate),
        (State.CLOSED, facility_activate),
        (State.CLOSED, facility_freeze),
        (State.CLOSED, facility_close),
    ],
    ids=["freeze-proposed", "unfreeze-active", "activate-expired", "activate-closed", "freeze-closed",
         "close-closed"],
)
def test_illegal_moves_are_refused_and_leave_the_state(risk_manager, state, service):
    facility = FacilityFactory(state=state)

    with pytest.raises(IllegalTransition):
        service(facility=facility, acting_user=risk_manager)

    facility.refresh_from_db()
    assert facility.state == state
    assert _audit(facility) == []


def test_freeze_then_unfreeze_by_a_risk_manager_audits_each_transition(risk_manager, credit_officer):
    facility = FacilityFactory()

    facility_freeze(facility=facility, acting_user=risk_manager, note="covenant breach")
    facility.refresh_from_db()
    assert facility.state == State.FROZEN
    facility_unfreeze(facility=facility, acting_user=risk_manager, note="covenant cured")
    facility.refresh_from_db()
    assert facility.state == State.ACTIVE

    records = _audit(facility)
    assert [(r.action, r.source_state, r.target_state, r.actor_id) for r in records] == [
        ("facilities.creditfacility.freeze", State.ACTIVE, State.FROZEN, risk_manager.pk),
        ("facilities.creditfacility.unfreeze", State.FROZEN, State.ACTIVE, risk_manager.pk),
    ]
    assert records[0].note == "covenant breach"


def test_freeze_by_a_credit_officer_is_not_permitted(credit_officer):
    facility = FacilityFactory()

    with pytest.raises(ActionNotPermitted):
        facility_freeze(facility=facility, acting_user=credit_officer)

    facility.refresh_from_db()
    assert facility.state == State.ACTIVE


def test_a_frozen_facility_keeps_its_reservations_and_they_can_still_be_drawn(risk_manager, credit_officer):
    facility = FacilityFactory()
    _reserved(facility, D("300000.00"), "APP-1", credit_officer)
    facility_freeze(facility=facility, acting_user=risk_manager)

    facility_consume(facility=facility, reference="APP-1", acting_user=credit_officer)

    assert _balances(facility) == (D("0.00"), D("300000.00"), D("0.00"), D("700000.00"))
    facility.refresh_from_db()
    assert facility.state == State.FROZEN


def test_unfreeze_after_the_validity_ended_is_refused(risk_manager):
    today = timezone.localdate()
    facility = FacilityFactory(state=State.FROZEN, valid_from=today - datetime.timedelta(days=100),
                               valid_to=today - datetime.timedelta(days=1))

    with pytest.raises(IllegalTransition):
        facility_unfreeze(facility=facility, acting_user=risk_manager)

    facility.refresh_from_db()
    assert facility.state == State.FROZEN


def test_close_is_refused_while_an_amount_is_reserved(risk_manager, credit_officer):
    facility = FacilityFactory()
    _reserved(facility, D("0.01"), "APP-1", credit_officer)

    with pytest.raises(IllegalTransition) as error:
        facility_close(facility=facility, acting_user=risk_manager)

    assert error.value.http_status == 409
    facility.refresh_from_db()
    assert facility.state == State.ACTIVE
    assert _audit(facility) == []


def test_close_is_refused_while_an_amount_is_outstanding(risk_manager, credit_officer):
    facility = FacilityFactory()
    _reserved(facility, D("500.00"), "APP-1", credit_officer)
    facility_consume(facility=facility, reference="APP-1", acting_user=credit_officer)

    with pytest.raises(IllegalTransition):
        facility_close(facility=facility, acting_user=risk_manager)

    facility.refresh_from_db()
    assert facility.state == State.ACTIVE


def test_close_succeeds_once_everything_is_released_or_repaid(risk_manager, credit_officer):
    facility = FacilityFactory(revolving=False)
    _reserved(facility, D("500.00"), "APP-1", credit_officer)
    _reserved(facility, D("200.00"), "APP-2", credit_officer)
    facility_consume(facility=facility, reference="APP-1", acting_user=credit_officer)
    facility_release(facility=facility, reference="APP-2", acting_user=credit_officer)
    facility_restore(facility=facility, amount=D("500.00"), reference="REPAY-1", acting_user=credit_officer)

    facility_close(facility=facility, acting_user=risk_manager)

    facility.refresh_from_db()
    assert facility.state == State.CLOSED
    assert facility.retired_amount == D("500.00")  # repaid on a non-revolving facility: stays retired
    assert [r.action for r in _audit(facility)] == ["facilities.creditfacility.close"]


def test_close_by_a_credit_officer_is_not_permitted(credit_officer):
    facility = FacilityFactory()

    with pytest.raises(ActionNotPermitted):
        facility_close(facility=facility, acting_user=credit_officer)

    facility.refresh_from_db()
    assert facility.state == State.ACTIVE


def test_each_fired_transition_writes_exactly_one_audit_record(risk_manager, lender):
    facility = FacilityFactory(state=State.PROPOSED, lender=lender)
    before = AuditRecord.objects.count()

    facility_activate(facility=facility, acting_user=risk_manager)
    assert AuditRecord.objects.count() == before + 1
    facility_freeze(facility=facility, acting_user=risk_manager)
    assert AuditRecord.objects.count() == before + 2
    facility_unfreeze(facility=facility, acting_user=risk_manager, note="reviewed")
    assert AuditRecord.objects.count() == before + 3
    facility_close(facility=facility, acting_user=risk_manager)
    assert AuditRecord.objects.count() == before + 4

    assert [(r.source_state, r.target_state) for r in _audit(facility)] == [
        (State.PROPOSED, State.ACTIVE), (State.ACTIVE, State.FROZEN),
        (State.FROZEN, State.ACTIVE), (State.ACTIVE, State.CLOSED),
    ]


def test_the_proposer_never_activates_the_facility_and_the_database_holds_it(staff_user, lender):
    from django.db import IntegrityError, transaction

    from scf.parties.exceptions import FourEyesViolation

    risk = staff_user(StaffGroup.RISK_MANAGER, "risk-proposer")
    other = staff_user(StaffGroup.RISK_MANAGER, "risk-second")
    facility = FacilityFactory(state=State.PROPOSED, lender=lender, created_by=risk)
    with pytest.raises(FourEyesViolation, match="a second person must activate it"):
        facility_activate(facility=facility, acting_user=risk)
    facility.refresh_from_db()
    assert (facility.state, facility.activated_by) == (State.PROPOSED, None)
    # Written around the service, the row is refused by the database too.
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditFacility.objects.filter(pk=facility.pk).update(activated_by=risk)
    facility_activate(facility=facility, acting_user=other)
    facility.refresh_from_db()
    assert (facility.state, facility.activated_by, facility.created_by) == (State.ACTIVE, other, risk)


def test_staff_of_another_lender_do_not_activate_its_facility(risk_manager):
    facility = FacilityFactory(state=State.PROPOSED)  # another lender's
    with pytest.raises(ActionNotPermitted):
        facility_activate(facility=facility, acting_user=risk_manager)
    facility.refresh_from_db()
    assert facility.state == State.PROPOSED


def test_the_facility_page_offers_activate_to_a_second_person_only(staff_user, lender):
    from django.test import Client

    risk = staff_user(StaffGroup.RISK_MANAGER, "risk-page-proposer")
    other = staff_user(StaffGroup.RISK_MANAGER, "risk-page-second")
    facility = FacilityFactory(state=State.PROPOSED, lender=lender, created_by=risk)
    url = f"/facilities/{facility.pk}/"
    mine, theirs = Client(), Client()
    mine.force_login(risk)
    theirs.force_login(other)
    page = mine.get(url)
    assert ("activate", "Activate") not in [(n, str(label)) for n, label in page.context["actions"]]
    assert "a second person entitled to it activates it" in page.content.decode()
    assert ("activate", "Activate") in [(n, str(label)) for n, label in theirs.get(url).context["actions"]]


def test_a_repayment_applied_again_after_the_rest_was_repaid_answers_the_first_and_another_amount_is_refused(
        credit_officer):
    facility = FacilityFactory()
    _reserved(facility, D("400000.00"), "APP-1", credit_officer)
    facility_consume(facility=facility, reference="APP-1", acting_user=credit_officer)
    first = facility_restore(facility=facility, amount=D("300000.00"), reference="REPAY-1", acting_user=credit_officer)
    facility_restore(facility=facility, amount=D("100000.00"), reference="REPAY-2", acting_user=credit_officer)
    # 300,000.00 is now more than the outstanding 0.00: the same repayment again is still the first one.
    again = facility_restore(facility=facility, amount=D("300000.00"), reference="REPAY-1", acting_user=credit_officer)
    assert again.pk == first.pk
    with pytest.raises(ReservationError):
        facility_restore(facility=facility, amount=D("200000.00"), reference="REPAY-2", acting_user=credit_officer)
    assert _balances(facility) == (D("0.00"), D("0.00"), D("0.00"), D("1000000.00"))
    assert FacilityMovement.objects.filter(kind=FacilityMovement.Kind.RESTORE).count() == 2
