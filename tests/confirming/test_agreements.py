from decimal import Decimal as D

import pytest

from workflows.confirming.agreements import (
    agreement_release_facilities,
    agreement_reserve_facilities,
    facilities_refusals,
)

pytestmark = pytest.mark.django_db


def test_limit_reserved_and_released_on_both_facilities(world):
    agreement = world.agreement
    agreement.limit_amount = D("800000.00")  # the facilities lend 1,000,000.00 each
    before = agreement.facility.reserved_amount, agreement.guarantee_facility.reserved_amount
    agreement_reserve_facilities(agreement, world.ops)
    for facility, held in zip((agreement.facility, agreement.guarantee_facility), before, strict=True):
        facility.refresh_from_db()
        assert facility.reserved_amount == held + D("800000.00")
    agreement_release_facilities(agreement, world.ops)
    for facility, held in zip((agreement.facility, agreement.guarantee_facility), before, strict=True):
        facility.refresh_from_db()
        assert facility.reserved_amount == held


def test_facility_of_another_lender_or_too_small_refused(world, corporate):
    agreement = world.agreement
    errors = facilities_refusals(lender=world.seller, facility=agreement.facility,
                                 guarantee_facility=None, limit=D("1.00"))
    assert "is not a facility of" in errors["facility"]
    assert errors["guarantee_facility"] == "Choose the facility."
    huge = agreement.facility.limit_amount + D("1.00")
    errors = facilities_refusals(lender=world.lender, facility=agreement.facility,
                                 guarantee_facility=agreement.guarantee_facility, limit=huge)
    assert "does not cover the limit" in errors["facility"]
