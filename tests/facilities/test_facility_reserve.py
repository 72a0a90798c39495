"""facility_reserve: holding part of a facility's limit for one approved case (DESIGN §5)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from scf.facilities.exceptions import FacilityLimitExceeded, FacilityUnavailable, ReservationError
from scf.facilities.models import CreditFacility, FacilityMovement, FacilityReservation
from scf.facilities.services import facility_reserve

from ..factories import FacilityFactory

pytestmark = pytest.mark.django_db

D = Decimal


def _state_of(facility):
    """Return everything a refused reservation must leave untouched, read from the database."""
    facility.refresh_from_db()
    return (
        facility.state,
        facility.reserved_amount,
        facility.outstanding_amount,
        facility.retired_amount,
        FacilityReservation.objects.filter(facility=facility).count(),
        FacilityMovement.objects.filter(facility=facility).count(),
    )


def test_reserve_within_limit_adds_to_reserved_and_records_a_movement(credit_officer):
    facility = FacilityFactory()

    reservation = facility_reserve(facility=facility, amount=D("250000.00"), reference="APP-1",
                                   acting_user=credit_officer)

    facility.refresh_from_db()
    assert facility.reserved_amount == D("250000.00")
    assert facility.outstanding_amount == D("0.00")
    assert facility.available_amount == D("750000.00")  # 1,000,000.00 − 250,000.00
    reservation.refresh_from_db()
    assert (reservation.reference, reservation.amount, reservation.status) == (
        "APP-1", D("250000.00"), FacilityReservation.Status.HELD)
    assert reservation.created_by == credit_officer
    movement = FacilityMovement.objects.get(facility=facility)
    assert movement.kind == FacilityMovement.Kind.RESERVE
    assert movement.amount == D("250000.00")
    assert movement.reference == "APP-1"
    assert movement.reserved_after == D("250000.00")
    assert movement.outstanding_after == D("0.00")
    assert movement.available_after == D("750000.00")
    assert movement.actor == credit_officer


def test_second_reserve_movement_carries_the_running_balances(credit_officer):
    facility = FacilityFactory()
    facility_reserve(facility=facility, amount="100000.00", reference="APP-1", acting_user=credit_officer)

    facility_reserve(facility=facility, amount="35000.50", reference="APP-2", acting_user=credit_officer)

    last = FacilityMovement.objects.filter(facility=facility).last()
    assert last.reference == "APP-2"
    assert last.reserved_after == D("135000.50")  # 100,000.00 + 35,000.50
    assert last.available_after == D("864999.50")  # 1,000,000.00 − 135,000.50


def test_reserving_exactly_the_available_amount_succeeds(credit_officer):
    facility = FacilityFactory()
    facility_reserve(facility=facility, amount=D("400000.00"), reference="APP-1", acting_user=credit_officer)

    facility_reserve(facility=facility, amount=D("600000.00"), reference="APP-2", acting_user=credit_officer)

    facility.refresh_from_db()
    assert facility.reserved_amount == D("1000000.00")
    assert facility.available_amount == D("0.00")
    assert FacilityMovement.objects.filter(facility=facility).last().available_after == D("0.00")


def test_reserving_one_cent_more_than_available_is_refused_and_changes_nothing(credit_officer):
    facility = FacilityFactory()
    facility_reserve(facility=facility, amount=D("400000.00"), reference="APP-1", acting_user=credit_officer)
    before = _state_of(facility)

    with pytest.raises(FacilityLimitExceeded) as error:
        facility_reserve(facility=facility, amount=D("600000.01"), reference="APP-2", acting_user=credit_officer)

    assert error.value.code == "facility_limit_exceeded"
    assert error.value.http_status == 409
    assert error.value.context["requested"] == D("600000.01")
    assert error.value.context["available"] == D("600000.00")
    assert _state_of(facility) == before
    assert before[1:] == (D("400000.00"), D("0.00"), D("0.00"), 1, 1)
    assert not FacilityReservation.objects.filter(reference="APP-2").exists()


def test_reserve_on_a_non_revolving_facility_counts_repaid_amounts_as_used(credit_officer):
    # 300,000.00 drawn and repaid stays used: 1,000,000.00 − 300,000.00 = 700,000.00 left.
    facility = FacilityFactory(revolving=False, retired_amount=D("300000.00"))

    with pytest.raises(FacilityLimitExceeded):
        facility_reserve(facility=facility, amount=D("700000.01"), reference="APP-1", acting_user=credit_officer)
    facility_reserve(facility=facility, amount=D("700000.00"), reference="APP-2", acting_user=credit_officer)

    facility.refresh_from_db()
    assert facility.available_amount == D("0.00")


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (D("-100.00"), "min_value"),
        (D("0.00"), "min_value"),
        (0, "min_value"),
        ("abc", "invalid"),
        ("NaN", "invalid"),
        (100.0, "invalid"),
        (D("100.005"), "max_decimal_places"),
        ("0.001", "max_decimal_places"),
    ],
    ids=["negative", "zero", "zero-int", "non-numeric", "nan", "float", "three-decimals", "tenth-of-a-cent"],
)
def test_reserve_refuses_an_invalid_amount_on_the_amount_field_and_changes_nothing(credit_officer, amount, code):
    facility = FacilityFactory()
    before = _state_of(facility)

    with pytest.raises(ValidationError) as error:
        facility_reserve(facility=facility, amount=amount, reference="APP-1", acting_user=credit_officer)

    assert list(error.value.message_dict) == ["amount"]
    assert [e.code for e in error.value.error_dict["amount"]] == [code]
    assert _state_of(facility) == before


def test_reserve_refuses_an_amount_too_large_to_hold_as_a_validation_error(credit_officer):
    # 10^30 cannot be quantized to cents within Decimal's default 28 digits.
    facility = FacilityFactory()
    before = _state_of(facility)

    with pytest.raises(ValidationError) as error:
        facility_reserve(facility=facility, amount=D("1E+30"), reference="APP-1", acting_user=credit_officer)

    assert list(error.value.message_dict) == ["amount"]
    assert _state_of(facility) == before


@pytest.mark.parametrize(
    "state",
    [CreditFacility.State.FROZEN, CreditFacility.State.PROPOSED, CreditFacility.State.EXPIRED,
     CreditFacility.State.CLOSED],
)
def test_reserve_on_a_facility_that_is_not_active_is_refused(credit_officer, state):
    facility = FacilityFactory(state=state)
    before = _state_of(facility)

    with pytest.raises(FacilityUnavailable) as error:
        facility_reserve(facility=facility, amount=D("100.00"), reference="APP-1", acting_user=credit_officer)

    assert error.value.code == "facility_unavailable"
    assert error.value.http_status == 409
    assert _state_of(facility) == before
    assert before[1] == D("0.00") and before[4] == 0


def test_reserve_on_an_active_facility_whose_validity_has_ended_is_refused(credit_officer):
    today = timezone.localdate()
    facility = FacilityFactory(valid_from=today - datetime.timedelta(days=365),
                               valid_to=today - datetime.timedelta(days=1))
    before = _state_of(facility)

    with pytest.raises(FacilityUnavailable):
        facility_reserve(facility=facility, amount=D("100.00"), reference="APP-1", acting_user=credit_officer)

    assert _state_of(facility) == before
    assert before[0] == CreditFacility.State.ACTIVE and before[4] == 0


def test_reserve_on_an_active_facility_whose_validity_has_not_started_is_refused(credit_officer):
    today = timezone.localdate()
    facility = FacilityFactory(valid_from=today + datetime.timedelta(days=1),
                               valid_to=today + datetime.timedelta(days=365))
    before = _state_of(facility)

    with pytest.raises(FacilityUnavailable):
        facility_reserve(facility=facility, amount=D("100.00"), reference="APP-1", acting_user=credit_officer)

    assert _state_of(facility) == before
    assert before[4] == 0


def test_reserve_on_the_first_and_last_day_of_validity_succeeds(credit_officer):
    today = timezone.localdate()
    starts_today = FacilityFactory(valid_from=today, valid_to=today + datetime.timedelta(days=10))
    ends_today = FacilityFactory(valid_from=today - datetime.timedelta(days=10), valid_to=today)

    facility_reserve(facility=starts_today, amount=D("1.00"), reference="APP-1", acting_user=credit_officer)
    facility_reserve(facility=ends_today, amount=D("1.00"), reference="APP-1", acting_user=credit_officer)

    assert FacilityReservation.objects.filter(reference="APP-1").count() == 2


def test_reserve_with_the_same_reference_twice_returns_the_first_reservation_and_reserves_once(credit_officer):
    facility = FacilityFactory()
    first = facility_reserve(facility=facility, amount=D("50000.00"), reference="APP-1", acting_user=credit_officer)

    again = facility_reserve(facility=facility, amount="50000", reference="APP-1", acting_user=credit_officer)

    assert again.pk == first.pk
    facility.refresh_from_db()
    assert facility.reserved_amount == D("50000.00")
    assert FacilityReservation.objects.filter(facility=facility).count() == 1
    assert FacilityMovement.objects.filter(facility=facility).count() == 1


def test_reserve_with_the_same_reference_and_a_different_amount_is_refused(credit_officer):
    facility = FacilityFactory()
    facility_reserve(facility=facility, amount=D("50000.00"), reference="APP-1", acting_user=credit_officer)
    before = _state_of(facility)

    with pytest.raises(ReservationError) as error:
        facility_reserve(facility=facility, amount=D("50000.01"), reference="APP-1", acting_user=credit_officer)

    assert error.value.code == "reservation_error"
    assert _state_of(facility) == before
    assert FacilityReservation.objects.get(facility=facility, reference="APP-1").amount == D("50000.00")


def test_the_same_reference_on_two_facilities_reserves_on_each(credit_officer):
    one, other = FacilityFactory(), FacilityFactory()

    facility_reserve(facility=one, amount=D("10.00"), reference="APP-1", acting_user=credit_officer)
    facility_reserve(facility=other, amount=D("20.00"), reference="APP-1", acting_user=credit_officer)

    one.refresh_from_db()
    other.refresh_from_db()
    assert (one.reserved_amount, other.reserved_amount) == (D("10.00"), D("20.00"))


# --- the database's check constraint facility_within_limit --------------------------------------


def test_database_refuses_reserved_beyond_the_limit_even_without_the_services():
    facility = FacilityFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        CreditFacility.objects.filter(pk=facility.pk).update(reserved_amount=D("1000000.01"))

    facility.refresh_from_db()
    assert facility.reserved_amount == D("0.00")


def test_database_refuses_reserved_plus_outstanding_plus_retired_beyond_the_limit():
    facility = FacilityFactory(reserved_amount=D("400000.00"), outstanding_amount=D("300000.00"))

    with pytest.raises(IntegrityError), transaction.atomic():
        # 400,000.00 + 300,000.00 + 300,000.01 = 1,000,000.01 > 1,000,000.00
        CreditFacility.objects.filter(pk=facility.pk).update(retired_amount=D("300000.01"))

    # Exactly at the limit is allowed: 400,000.00 + 300,000.00 + 300,000.00 = 1,000,000.00.
    with transaction.atomic():
        CreditFacility.objects.filter(pk=facility.pk).update(retired_amount=D("300000.00"))
    facility.refresh_from_db()
    assert facility.available_amount == D("0.00")
