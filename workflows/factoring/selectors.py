"""Reads for factoring, and its tenancy rules."""

from django.db.models import Q, QuerySet

from scf.core import tenancy
from scf.facilities.models import CreditFacility
from scf.parties.models import Organization, User
from scf.parties.selectors import user_lender_ids, user_organization_ids, user_organizations
from scf.parties.validators import normalize_uscc

from .models import FactoringFinancing, Receivable


@tenancy.rule(Receivable)
def receivable_visible(user: User) -> QuerySet[Receivable]:
    """The supplier and the debtor see a receivable; lender staff see their own lender's business.

    That is the receivables of its clients (the obligors of its facilities: the supplier, or the
    core enterprise in reverse factoring) and any receivable in a financing it granted. Another
    lender's clients stay out of sight, as their facilities and financings do.
    """
    if user.is_superuser:
        return Receivable.objects.all()
    own = user_organization_ids(user)
    visible = Q(supplier_id__in=own) | Q(debtor_id__in=own)
    lenders = user_lender_ids(user)
    if lenders:
        clients = CreditFacility.objects.filter(lender_id__in=lenders).values("obligor_id")
        financed = FactoringFinancing.receivables.through.objects.filter(
            factoringfinancing__lender_id__in=lenders).values("receivable_id")
        visible |= Q(supplier_id__in=clients) | Q(debtor_id__in=clients) | Q(pk__in=financed)
    return Receivable.objects.filter(visible)


@tenancy.rule(FactoringFinancing)
def financing_visible(user: User) -> QuerySet[FactoringFinancing]:
    """Supplier, debtor and the lending lender's staff see a financing."""
    if user.is_superuser:
        return FactoringFinancing.objects.all()
    own = user_organization_ids(user)
    return FactoringFinancing.objects.filter(
        Q(supplier_id__in=own) | Q(debtor_id__in=own) | Q(lender_id__in=user_lender_ids(user))
    )


def acting_cores(*, user: User, uscc: str | None = None) -> list[Organization]:
    """Return up to two core enterprises of the user, narrowed to `uscc` when given (as acting_suppliers)."""
    qs = user_organizations(user).filter(is_core=True).order_by("pk")
    if uscc:
        qs = qs.filter(uscc=normalize_uscc(uscc))
    return list(qs[:2])


def acting_suppliers(*, user: User, uscc: str | None = None) -> list[Organization]:
    """Return up to two supplier organizations of the user, narrowed to `uscc` when given.

    Callers act for the supplier only when exactly one is returned.
    """
    qs = user_organizations(user).filter(is_supplier=True).order_by("pk")
    if uscc:
        qs = qs.filter(uscc=normalize_uscc(uscc))
    return list(qs[:2])
