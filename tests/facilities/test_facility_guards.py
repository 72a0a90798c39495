"""Who may change a facility, and replays that must not be silently accepted."""

import datetime
from decimal import Decimal

import pytest

from scf.core.exceptions import ActionNotPermitted
from scf.facilities import services
from scf.facilities.exceptions import ReservationError
from scf.facilities.models import CreditFacility
from tests.factories import FacilityFactory, LenderFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_a_transition_without_an_acting_user_is_refused(lender):
    facility = FacilityFactory(lender=lender, state=CreditFacility.State.PROPOSED)
    with pytest.raises(ActionNotPermitted):
        services.facility_activate(facility=facility, acting_user=None)
    facility.refresh_from_db()
    assert facility.state == CreditFacility.State.PROPOSED


def test_a_repayment_replayed_with_another_amount_is_refused(lender, credit_officer):
    facility = FacilityFactory(lender=lender)
    services.facility_reserve(facility=facility, amount=Decimal("100000.00"), reference="R1", acting_user=None)
    services.facility_consume(facility=facility, reference="R1", acting_user=None)
    services.facility_restore(facility=facility, amount=Decimal("40000.00"), reference="PAY-1", acting_user=None)
    with pytest.raises(ReservationError):
        services.facility_restore(facility=facility, amount=Decimal("45000.00"), reference="PAY-1",
                                  acting_user=None)
    facility.refresh_from_db()
    assert facility.outstanding_amount == Decimal("60000.00")  # 100,000 − 40,000, applied once


def test_staff_of_another_lender_cannot_propose_a_facility(staff_user, corporate):
    other_lender = LenderFactory()
    officer = staff_user("credit_officer", "officer-x")  # staff of the `lender` fixture, not of other_lender
    obligor = OrganizationFactory()
    with pytest.raises(ActionNotPermitted):
        services.facility_create(lender=other_lender, obligor=obligor, product="factoring",
                                 limit_amount=Decimal("1000.00"), valid_from=datetime.date(2026, 1, 1),
                                 valid_to=datetime.date(2026, 12, 31), acting_user=officer)
    assert CreditFacility.objects.count() == 0


def test_a_corporate_user_cannot_propose_a_facility(lender, corporate):
    obligor, user = corporate("sup")
    with pytest.raises(ActionNotPermitted):
        services.facility_create(lender=lender, obligor=obligor, product="factoring",
                                 limit_amount=Decimal("1000.00"), valid_from=datetime.date(2026, 1, 1),
                                 valid_to=datetime.date(2026, 12, 31), acting_user=user)
