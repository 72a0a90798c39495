"""Reads for parties, each for the user it reads for; also the tenancy rules of this app."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Q, QuerySet

from scf.core import tenancy
from scf.facilities.models import CreditFacility

from .models import KycDocument, Membership, Organization, TradeRelationship, User
from .validators import normalize_uscc


def user_organization_ids(user: User) -> set[int]:
    """Return the ids of the organizations the user is a member of (cached on the user)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    if not hasattr(user, "_organization_ids"):
        user._organization_ids = set(
            Membership.objects.filter(user=user).values_list("organization_id", flat=True)
        )
    return user._organization_ids


def user_lender_ids(user: User) -> set[int]:
    """Return the lender organizations for which the user acts as staff."""
    if not user.is_lender_staff:
        return set()
    return set(
        Organization.objects.filter(id__in=user_organization_ids(user), is_lender=True).values_list("id", flat=True)
    )


def user_organizations(user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(id__in=user_organization_ids(user))


def acting_organizations(*, user: User, role: str, uscc: str | None = None,
                         membership_roles: Collection[str] | None = None) -> list[Organization]:
    """Return up to two organizations playing `role` (supplier, core, ...) for which the user acts.

    `uscc` narrows them to one credit code; `membership_roles` to those where the user holds one
    of these roles (admin, operator, signatory). Callers act for the organization only when
    exactly one is returned: two mean the user must say which.
    """
    qs = user_organizations(user).filter(**{Organization.role_field(role): True})
    if membership_roles is not None:
        qs = qs.filter(memberships__user=user, memberships__role__in=membership_roles).distinct()
    if uscc:
        qs = qs.filter(uscc=normalize_uscc(uscc))
    return list(qs.order_by("pk")[:2])


def user_has_role(user: User, organization: Organization, role: str) -> bool:
    """Return whether the user holds `role` (admin, operator, signatory) in the organization."""
    return Membership.objects.filter(user=user, organization=organization, role=role).exists()


def user_in_group(user: User, *groups: str) -> bool:
    return bool(user.staff_groups() & set(groups))


def counterparty_ids(organization_ids: set[int]) -> set[int]:
    """Return the organizations that trade with, or lend to, the given ones."""
    ids: set[int] = set()
    for seller, buyer in TradeRelationship.objects.filter(
        Q(seller_id__in=organization_ids) | Q(buyer_id__in=organization_ids)
    ).values_list("seller_id", "buyer_id"):
        ids.update((seller, buyer))
    ids.update(
        CreditFacility.objects.filter(obligor_id__in=organization_ids).values_list("lender_id", flat=True)
    )
    return ids - organization_ids


def lender_client_ids(lender_ids: set[int]) -> QuerySet:
    """Return (as a subquery) the ids of the lenders' clients: their LenderClient rows and facility obligors."""
    return Organization.objects.filter(
        Q(lender_relationships__lender_id__in=lender_ids) | Q(facilities__lender_id__in=lender_ids)
    ).values("id")


def lender_known_ids(lender_ids: set[int]) -> QuerySet:
    """Return (as a subquery) the organizations known to the lenders: clients and their trade counterparties."""
    clients = lender_client_ids(lender_ids)
    return Organization.objects.filter(
        Q(id__in=clients)
        | Q(sales_relationships__buyer_id__in=clients)
        | Q(purchase_relationships__seller_id__in=clients)
    ).values("id")


def _visible_organization_filter(user: User) -> Q:
    own = user_organization_ids(user)
    visible = Q(id__in=own | counterparty_ids(own))
    lender_ids = user_lender_ids(user)
    if lender_ids:
        visible |= Q(id__in=lender_known_ids(lender_ids))
    return visible


@tenancy.rule(Organization)
def organization_visible(user: User) -> QuerySet[Organization]:
    """Their own organizations and counterparties; lender staff also their lender's clients and theirs.

    A lender's clients are the organizations it onboarded or that asked it for a facility (LenderClient)
    and the obligors of its facilities; their trade counterparties (debtors, anchors) are seen too.
    Another lender's other clients are not.
    """
    if user.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(_visible_organization_filter(user))


@tenancy.rule(KycDocument)
def kyc_document_visible(user: User) -> QuerySet[KycDocument]:
    """KYC files are seen by their organization and by the staff of lenders it is known to, never by
    counterparties."""
    if user.is_superuser:
        return KycDocument.objects.all()
    visible = Q(organization_id__in=user_organization_ids(user))
    lender_ids = user_lender_ids(user)
    if lender_ids:
        visible |= Q(organization_id__in=lender_known_ids(lender_ids))
    return KycDocument.objects.filter(visible)


@tenancy.rule(Membership)
def membership_visible(user: User) -> QuerySet[Membership]:
    """Members of one's own organizations; lender staff also those of the organizations known to the lender."""
    if user.is_superuser:
        return Membership.objects.all()
    visible = Q(organization_id__in=user_organization_ids(user))
    lender_ids = user_lender_ids(user)
    if lender_ids:
        visible |= Q(organization_id__in=lender_known_ids(lender_ids))
    return Membership.objects.filter(visible)


def organization_list(*, user: User, role: str | None = None, search: str = "") -> QuerySet[Organization]:
    """Return the organizations the user may see, optionally by role and name or code."""
    qs = tenancy.visible(Organization, user)
    if role:
        qs = qs.filter(**{Organization.role_field(role): True})
    if search:
        qs = qs.filter(Q(legal_name__icontains=search) | Q(legal_name_en__icontains=search) | Q(uscc__icontains=search.upper()))
    return qs


def kyc_review_queue(user: User) -> QuerySet[Organization]:
    """Return the organizations waiting for a KYC review that the user may see (a lender's own clients)."""
    return (tenancy.visible(Organization, user).filter(kyc_state=Organization.KycState.SUBMITTED)
            .order_by("created_at"))

