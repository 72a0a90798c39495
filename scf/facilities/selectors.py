"""Reads for facilities, and their tenancy rule."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from scf.core import tenancy
from scf.parties.models import User
from scf.parties.selectors import user_lender_ids, user_organization_ids

from .models import CreditFacility, FacilityLimitChange, FacilityMovement


@tenancy.rule(CreditFacility)
def facility_visible(user: User) -> QuerySet[CreditFacility]:
    """Lender staff see their lender's facilities; an obligor sees its own."""
    if user.is_superuser:
        return CreditFacility.objects.all()
    lenders = user_lender_ids(user)
    own = user_organization_ids(user)
    return CreditFacility.objects.filter(Q(lender_id__in=lenders) | Q(obligor_id__in=own))


@tenancy.rule(FacilityMovement)
def facility_movement_visible(user: User) -> QuerySet[FacilityMovement]:
    return FacilityMovement.objects.filter(facility__in=facility_visible(user))


@tenancy.rule(FacilityLimitChange)
def facility_limit_change_visible(user: User) -> QuerySet[FacilityLimitChange]:
    """The lender's staff only: a proposed limit is the bank's internal credit decision, not the obligor's."""
    if user.is_superuser:
        return FacilityLimitChange.objects.all()
    return FacilityLimitChange.objects.filter(facility__lender_id__in=user_lender_ids(user))


def facility_limit_changes(*, facility: CreditFacility, user: User) -> QuerySet[FacilityLimitChange]:
    """Return the facility's limit changes the user may read, newest first."""
    return (tenancy.visible(FacilityLimitChange, user).filter(facility=facility)
            .select_related("proposed_by", "decided_by").order_by("-proposed_at", "-id"))


def facility_list(*, user: User, state: str | None = None, product: str | None = None) -> QuerySet[CreditFacility]:
    qs = tenancy.visible(CreditFacility, user).select_related("lender", "obligor")
    if state:
        qs = qs.filter(state=state)
    if product:
        qs = qs.filter(product=product)
    return qs
