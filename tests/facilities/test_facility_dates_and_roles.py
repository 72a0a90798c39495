"""A facility is proposed for today or later, for an obligor that plays the product's role, numbered by today's year."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from scf.core.exceptions import IllegalTransition
from scf.facilities.exceptions import FacilityUnavailable
from scf.facilities.models import CreditFacility, Product
from scf.facilities.services import facility_activate, facility_create, facility_reserve
from scf.parties.models import StaffGroup
from tests.factories import FacilityFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(staff_user):
    return staff_user(StaffGroup.CREDIT_OFFICER, "officer")


def _propose(lender, officer, obligor, *, product=Product.FACTORING, start=None, end=None):
    today = datetime.date.today()
    return facility_create(lender=lender, obligor=obligor, product=product, limit_amount=Decimal("1000000.00"),
                           valid_from=start or today, valid_to=end or today + datetime.timedelta(days=365),
                           acting_user=officer)


def test_a_facility_whose_validity_has_ended_is_refused(lender, officer):
    supplier = OrganizationFactory(is_supplier=True)
    with pytest.raises(ValidationError) as error:
        _propose(lender, officer, supplier, start=datetime.date(2020, 1, 1), end=datetime.date(2021, 1, 1))
    assert "2021-01-01" in error.value.message_dict["valid_to"][0]
    assert not CreditFacility.objects.exists()



@pytest.mark.parametrize(("product", "roles", "refused"), [
    (Product.FACTORING, {"is_warehouse": True, "is_supplier": False}, True),
    (Product.FACTORING, {"is_supplier": True}, False),
    (Product.REVERSE_FACTORING, {"is_supplier": True}, True),
    (Product.REVERSE_FACTORING, {"is_core": True, "is_supplier": False}, False),
    (Product.PLEDGE, {"is_distributor": True, "is_supplier": False}, False),
    (Product.CONFIRMING, {"is_core": True, "is_supplier": False}, False),
    (Product.CONFIRMING, {"is_warehouse": True, "is_supplier": False}, True),
])
def test_the_obligor_plays_the_products_role(lender, officer, product, roles, refused):
    obligor = OrganizationFactory(**roles)
    if refused:
        with pytest.raises(ValidationError) as error:
            _propose(lender, officer, obligor, product=product)
        assert "obligor" in error.value.message_dict
    else:
        assert _propose(lender, officer, obligor, product=product).obligor == obligor


def test_an_expired_proposal_is_not_activated_and_reservations_say_why(lender, staff_user):
    risk = staff_user(StaffGroup.RISK_MANAGER, "risk")
    stale = FacilityFactory(lender=lender, state=CreditFacility.State.PROPOSED, valid_from=datetime.date(2020, 1, 1),
                            valid_to=datetime.date(2021, 1, 1))
    with pytest.raises(IllegalTransition) as error:
        facility_activate(facility=stale, acting_user=risk)
    assert "2021-01-01" in error.value.message
    CreditFacility.objects.filter(pk=stale.pk).update(state=CreditFacility.State.ACTIVE)
    with pytest.raises(FacilityUnavailable) as error:
        facility_reserve(facility=stale, amount=Decimal("1.00"), reference="R-1", acting_user=None)
    assert "valid from 2020-01-01 to 2021-01-01" in error.value.message and "Active" not in error.value.message
