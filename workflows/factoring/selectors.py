"""Reads for factoring, and its tenancy rules."""

from django.db.models import Q, QuerySet

from scf.core import tenancy
from scf.facilities.models import CreditFacility, Product
from scf.parties.models import User
from scf.parties.selectors import user_lender_ids, user_organization_ids

from .models import FactoringFinancing, Receivable


@tenancy.rule(Receivable)
def receivable_visible(user: User) -> QuerySet[Receivable]:
    """The supplier and the debtor see a receivable; lender staff see their own lender's business.

    That is any receivable in a financing their lender granted, and the receivables of their
    lender's clients: a supplier holding one of its live factoring facilities, or a core
    enterprise holding a live reverse-factoring one (its approved payables). A client's
    receivable that another lender is financing stays out of sight, as that financing does.
    """
    if user.is_superuser:
        return Receivable.objects.all()
    own = user_organization_ids(user)
    visible = Q(supplier_id__in=own) | Q(debtor_id__in=own)
    lenders = user_lender_ids(user)
    if lenders:
        live = CreditFacility.objects.filter(lender_id__in=lenders, state__in=[CreditFacility.State.ACTIVE,
                                                                             CreditFacility.State.FROZEN])
        suppliers = live.filter(product=Product.FACTORING).values("obligor_id")
        cores = live.filter(product=Product.REVERSE_FACTORING).values("obligor_id")
        in_financings = FactoringFinancing.receivables.through.objects
        ours = in_financings.filter(factoringfinancing__lender_id__in=lenders).values("receivable_id")
        theirs = in_financings.exclude(factoringfinancing__lender_id__in=lenders).exclude(
            factoringfinancing__state__in=FINISHED_UNFUNDED).values("receivable_id")
        clients = Q(reverse=False, supplier_id__in=suppliers) | Q(reverse=True, debtor_id__in=cores)
        visible |= Q(pk__in=ours) | (clients & ~Q(pk__in=theirs))
    return Receivable.objects.filter(visible)


# A financing that ended before any money moved no longer ties its receivables to its lender.
FINISHED_UNFUNDED = ("rejected", "cancelled")


@tenancy.rule(FactoringFinancing)
def financing_visible(user: User) -> QuerySet[FactoringFinancing]:
    """Supplier, debtor and the lending lender's staff see a financing."""
    if user.is_superuser:
        return FactoringFinancing.objects.all()
    own = user_organization_ids(user)
    return FactoringFinancing.objects.filter(
        Q(supplier_id__in=own) | Q(debtor_id__in=own) | Q(lender_id__in=user_lender_ids(user))
    )
