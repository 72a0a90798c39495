"""facility_create: proposing a facility and numbering it."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from scf.audit.services import history_for
from scf.core.models import NumberSequence
from scf.facilities.models import CreditFacility, Product
from scf.facilities.services import FACILITY_SEQUENCE, facility_create

from ..factories import OrganizationFactory

pytestmark = pytest.mark.django_db

D = Decimal


def _create(lender, obligor, user, **overrides):
    kwargs = {
        "lender": lender, "obligor": obligor, "product": Product.FACTORING, "limit_amount": D("5000000.00"),
        "valid_from": datetime.date(2031, 3, 1), "valid_to": datetime.date(2032, 2, 29), "acting_user": user,
    }
    kwargs.update(overrides)
    return facility_create(**kwargs)


def test_facility_create_proposes_a_facility_with_nothing_used(lender, credit_officer):
    obligor = OrganizationFactory()

    facility = _create(lender, obligor, credit_officer, revolving=False)

    facility.refresh_from_db()
    assert facility.state == CreditFacility.State.PROPOSED
    assert facility.reference == "CF-2031-00001"
    assert (facility.lender, facility.obligor, facility.currency) == (lender, obligor, "CNY")
    assert facility.limit_amount == D("5000000.00")
    assert (facility.reserved_amount, facility.outstanding_amount, facility.retired_amount) == (0, 0, 0)
    assert facility.available_amount == D("5000000.00")
    assert facility.revolving is False
    assert facility.created_by == credit_officer
    assert [r.action for r in history_for(facility)] == ["facilities.facility.create"]


def test_facility_references_count_up_within_the_year_of_validity(lender, credit_officer):
    obligor = OrganizationFactory()

    first = _create(lender, obligor, credit_officer)
    second = _create(lender, obligor, credit_officer)
    third = _create(lender, obligor, credit_officer)
    next_year = _create(lender, obligor, credit_officer, valid_from=datetime.date(2032, 1, 1),
                        valid_to=datetime.date(2032, 12, 31))

    assert [first.reference, second.reference, third.reference] == [
        "CF-2031-00001", "CF-2031-00002", "CF-2031-00003"]
    assert next_year.reference == "CF-2032-00001"


def test_facility_reference_continues_from_the_years_sequence(lender, credit_officer):
    # The migration that introduced the sequence seeded it from the highest reference of each year.
    NumberSequence.objects.create(key=FACILITY_SEQUENCE, year=2031, last_number=41)

    facility = _create(lender, OrganizationFactory(), credit_officer)

    assert facility.reference == "CF-2031-00042"


def test_a_refused_facility_takes_no_number(lender, credit_officer):
    with pytest.raises(ValidationError):
        _create(lender, OrganizationFactory(), credit_officer, limit_amount=D("1.001"))

    assert _create(lender, OrganizationFactory(), credit_officer).reference == "CF-2031-00001"


def test_facility_create_refuses_an_end_before_the_start(lender, credit_officer):
    with pytest.raises(ValidationError) as error:
        _create(lender, OrganizationFactory(), credit_officer, valid_from=datetime.date(2031, 3, 1),
                valid_to=datetime.date(2031, 2, 28))

    assert "valid_to" in error.value.message_dict
    assert CreditFacility.objects.count() == 0


def test_facility_create_accepts_a_single_day_of_validity(lender, credit_officer):
    facility = _create(lender, OrganizationFactory(), credit_officer, valid_from=datetime.date(2031, 3, 1),
                       valid_to=datetime.date(2031, 3, 1))

    assert facility.pk is not None


def test_facility_create_refuses_a_lender_that_is_not_a_lender(lender, credit_officer):
    not_a_lender = OrganizationFactory()

    with pytest.raises(ValidationError) as error:
        _create(not_a_lender, OrganizationFactory(), credit_officer)

    assert "lender" in error.value.message_dict
    assert CreditFacility.objects.count() == 0


def test_facility_create_refuses_the_lender_as_its_own_obligor(lender, credit_officer):
    with pytest.raises(ValidationError):
        _create(lender, lender, credit_officer)

    assert CreditFacility.objects.count() == 0


@pytest.mark.parametrize("limit", [D("0.00"), D("-1.00"), "0", "abc", D("10.005")])
def test_facility_create_refuses_a_limit_that_is_not_a_positive_amount_in_cents(lender, credit_officer, limit):
    with pytest.raises(ValidationError) as error:
        _create(lender, OrganizationFactory(), credit_officer, limit_amount=limit)

    assert list(error.value.message_dict) == ["limit_amount"]
    assert CreditFacility.objects.count() == 0


def test_facility_create_refuses_an_unknown_product(lender, credit_officer):
    with pytest.raises(ValidationError) as error:
        _create(lender, OrganizationFactory(), credit_officer, product="payday")

    assert "product" in error.value.message_dict
    assert CreditFacility.objects.count() == 0

