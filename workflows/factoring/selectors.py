"""Reads for factoring, and its tenancy rules."""

from django.db.models import Q, QuerySet

from scf.core import tenancy
from scf.parties.models import User
from scf.parties.selectors import user_lender_ids, user_organization_ids

from .models import FactoringFinancing, Receivable


@tenancy.rule(Receivable)
def receivable_visible(user: User) -> QuerySet[Receivable]:
    """The supplier and the debtor see a receivable; lender staff see all of them."""
    if user.is_superuser or user.is_lender_staff:
        return Receivable.objects.all()
    own = user_organization_ids(user)
    return Receivable.objects.filter(Q(supplier_id__in=own) | Q(debtor_id__in=own))


@tenancy.rule(FactoringFinancing)
def financing_visible(user: User) -> QuerySet[FactoringFinancing]:
    """Supplier, debtor and the lending lender's staff see a financing."""
    if user.is_superuser:
        return FactoringFinancing.objects.all()
    own = user_organization_ids(user)
    return FactoringFinancing.objects.filter(
        Q(supplier_id__in=own) | Q(debtor_id__in=own) | Q(lender_id__in=user_lender_ids(user))
    )
