"""facilities_expire_due: the daily job that ends facilities past their validity."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from scf.audit.services import history_for
from scf.core.jobs import run_daily
from scf.facilities.exceptions import FacilityUnavailable
from scf.facilities.models import CreditFacility
from scf.facilities.services import facilities_expire_due, facility_reserve

from ..factories import FacilityFactory

pytestmark = pytest.mark.django_db

State = CreditFacility.State
SHANGHAI = ZoneInfo("Asia/Shanghai")
VALID_FROM = datetime.date(2030, 1, 1)
VALID_TO = datetime.date(2030, 6, 30)


def _at(day: datetime.date, hour: int = 9, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


def _facility(state=State.ACTIVE, valid_to=VALID_TO, **kwargs):
    return FacilityFactory(state=state, valid_from=VALID_FROM, valid_to=valid_to, **kwargs)


def _state(facility):
    facility.refresh_from_db()
    return facility.state


def test_active_and_frozen_facilities_past_their_validity_become_expired():
    active = _facility(State.ACTIVE)
    frozen = _facility(State.FROZEN)

    with time_machine.travel(_at(VALID_TO + datetime.timedelta(days=1)), tick=False):
        expired = facilities_expire_due()

    assert expired == 2
    assert (_state(active), _state(frozen)) == (State.EXPIRED, State.EXPIRED)
    for facility in (active, frozen):
        records = list(history_for(facility))
        assert [(r.action, r.target_state, r.actor) for r in records] == [
            ("facilities.creditfacility.expire", State.EXPIRED, None)]
        assert "2030-06-30" in records[0].note


def test_expiry_keeps_the_balances_already_reserved_and_outstanding():
    facility = _facility(reserved_amount=Decimal("100.00"), outstanding_amount=Decimal("200.00"))

    with time_machine.travel(_at(VALID_TO + datetime.timedelta(days=3)), tick=False):
        assert facilities_expire_due() == 1

    facility.refresh_from_db()
    assert facility.state == State.EXPIRED
    assert (facility.reserved_amount, facility.outstanding_amount) == (Decimal("100.00"), Decimal("200.00"))


def test_running_the_job_twice_the_same_day_changes_nothing_the_second_time():
    facility = _facility()

    with time_machine.travel(_at(VALID_TO + datetime.timedelta(days=1)), tick=False):
        assert facilities_expire_due() == 1
        assert facilities_expire_due() == 0

    assert _state(facility) == State.EXPIRED
    assert len(list(history_for(facility))) == 1


def test_a_facility_on_its_last_day_of_validity_is_untouched():
    facility = _facility()

    # 23:59 in Shanghai on the last day (15:59 UTC): still valid.
    with time_machine.travel(_at(VALID_TO, 23, 59), tick=False):
        assert facilities_expire_due() == 0

    assert _state(facility) == State.ACTIVE
    assert list(history_for(facility)) == []


def test_the_day_after_validity_starts_at_local_midnight_not_utc_midnight():
    facility = _facility()

    # 00:30 on 1 July in Shanghai is still 30 June in UTC; validity is counted in local dates.
    with time_machine.travel(_at(VALID_TO + datetime.timedelta(days=1), 0, 30), tick=False):
        assert facilities_expire_due() == 1

    assert _state(facility) == State.EXPIRED


def test_a_facility_still_valid_is_untouched_while_others_expire():
    due = _facility()
    still_valid = _facility(valid_to=datetime.date(2030, 12, 31))

    with time_machine.travel(_at(VALID_TO + datetime.timedelta(days=1)), tick=False):
        assert facilities_expire_due() == 1

    assert (_state(due), _state(still_valid)) == (State.EXPIRED, State.ACTIVE)
    assert list(history_for(still_valid)) == []


@pytest.mark.parametrize("state", [State.PROPOSED, State.CLOSED, State.EXPIRED])
def test_facilities_neither_active_nor_frozen_are_not_expired(state):
    facility = _facility(state)

    with time_machine.travel(_at(VALID_TO + datetime.timedelta(days=1)), tick=False):
        assert facilities_expire_due() == 0

    assert _state(facility) == state


def test_an_expired_facility_refuses_reservations(credit_officer):
    facility = _facility()

    with time_machine.travel(_at(VALID_TO + datetime.timedelta(days=1)), tick=False):
        facilities_expire_due()
        with pytest.raises(FacilityUnavailable):
            facility_reserve(facility=facility, amount=Decimal("1.00"), reference="APP-1",
                             acting_user=credit_officer)

    facility.refresh_from_db()
    assert facility.reserved_amount == Decimal("0.00")


def test_the_daily_run_expires_the_facility_once_and_returns_the_count():
    _facility()
    day_after = VALID_TO + datetime.timedelta(days=1)

    with time_machine.travel(_at(day_after), tick=False):
        assert run_daily(day_after)["facilities.expired"] == 1
        assert run_daily(day_after)["facilities.expired"] == 0
