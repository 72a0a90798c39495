"""Confirming-warehouse agreements: the two facilities checked, reserved at approval and released.

A first part of the agreement's lifecycle (issue 13 item 1): the distributor's facility and the core
enterprise's guarantee facility must both belong to the lender, be in force and cover the limit; the
limit is reserved on both at approval and released on both at rejection, withdrawal or closing.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from scf.facilities.models import CreditFacility
from scf.facilities.services import facility_release, facility_reserve
from scf.parties.models import Organization, User

from .models import ConfirmingAgreement

FACILITY_FIELDS = ("facility", "guarantee_facility")


def facility_refusal(*, lender: Organization, facility: CreditFacility | None, limit: Decimal) -> str:
    """Return why `facility` cannot carry an agreement of `limit` for `lender`, or "" when it can."""
    if facility is None:
        return _("Choose the facility.")
    if facility.lender_id != lender.pk:
        return _("Facility %(ref)s is not a facility of %(lender)s.") % {"ref": facility.reference, "lender": lender}
    if facility.state != CreditFacility.State.ACTIVE or not facility.is_within_validity():
        return _("Facility %(ref)s is not in force.") % {"ref": facility.reference}
    if limit > facility.available_amount:
        return _("Facility %(ref)s has %(available)s available: it does not cover the limit %(limit)s.") % {
            "ref": facility.reference, "available": f"{facility.available_amount:,}", "limit": f"{limit:,}"}
    return ""


def facilities_refusals(*, lender: Organization, facility: CreditFacility | None,
                        guarantee_facility: CreditFacility | None, limit: Decimal) -> dict[str, str]:
    """Return the refusals of both facilities, by field."""
    errors = {}
    for name, value in (("facility", facility), ("guarantee_facility", guarantee_facility)):
        if refusal := facility_refusal(lender=lender, facility=value, limit=limit):
            errors[name] = refusal
    return errors


def _reference(agreement: ConfirmingAgreement) -> str:
    return f"{agreement.reference}"


def agreement_reserve_facilities(agreement: ConfirmingAgreement, acting_user: User | None) -> None:
    """Reserve the agreement's limit on both facilities (at approval); reserving again changes nothing."""
    for name in FACILITY_FIELDS:
        facility_reserve(facility=getattr(agreement, name), amount=agreement.limit_amount,
                         reference=_reference(agreement), acting_user=acting_user)


def agreement_release_facilities(agreement: ConfirmingAgreement, acting_user: User | None) -> None:
    """Release the limit held on both facilities (rejection, withdrawal, closing)."""
    for name in FACILITY_FIELDS:
        facility = getattr(agreement, name)
        if facility.reservations.filter(reference=_reference(agreement)).exists():
            facility_release(facility=facility, reference=_reference(agreement), acting_user=acting_user)
