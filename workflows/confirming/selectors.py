"""Reads for confirming-warehouse financing, and its tenancy rules."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from scf.core import tenancy
from scf.parties.models import User
from scf.parties.selectors import user_lender_ids, user_organization_ids

from .models import ConfirmingAgreement, PurchaseOrder, RefundDemand


def agreement_party_q(user: User, prefix: str = "") -> Q:
    """The agreements a user is a party to: its lender's staff, the distributor's, seller's and warehouse's members."""
    own = user_organization_ids(user)
    return (Q(**{f"{prefix}lender_id__in": user_lender_ids(user)}) | Q(**{f"{prefix}distributor_id__in": own})
            | Q(**{f"{prefix}seller_id__in": own}) | Q(**{f"{prefix}warehouse_id__in": own}))


@tenancy.rule(ConfirmingAgreement)
def agreement_visible(user: User) -> QuerySet[ConfirmingAgreement]:
    """The lender's staff and the members of the distributor, the seller and the warehouse see an agreement."""
    if user.is_superuser:
        return ConfirmingAgreement.objects.all()
    return ConfirmingAgreement.objects.filter(agreement_party_q(user))


def agreement_list(*, user: User, state: str | None = None) -> QuerySet[ConfirmingAgreement]:
    """Return the agreements the user sees, newest first, optionally in one state."""
    agreements = tenancy.visible(ConfirmingAgreement, user).select_related(
        "lender", "seller", "distributor", "warehouse", "facility", "guarantee_facility")
    if state:
        agreements = agreements.filter(state=state)
    return agreements.order_by("-created_at", "-pk")


@tenancy.rule(PurchaseOrder)
def order_visible(user: User) -> QuerySet[PurchaseOrder]:
    """An order is seen by whoever sees its agreement: the lender's staff, the distributor, the seller, the warehouse."""
    if user.is_superuser:
        return PurchaseOrder.objects.all()
    return PurchaseOrder.objects.filter(agreement_party_q(user, prefix="agreement__"))


@tenancy.rule(RefundDemand)
def refund_demand_visible(user: User) -> QuerySet[RefundDemand]:
    """A refund demand is seen by whoever sees its order."""
    if user.is_superuser:
        return RefundDemand.objects.all()
    return RefundDemand.objects.filter(agreement_party_q(user, prefix="order__agreement__"))


def order_list(*, user: User, agreement: ConfirmingAgreement | None = None,
               state: str | None = None) -> QuerySet[PurchaseOrder]:
    """Return the orders the user sees, newest first, optionally under one agreement or in one state."""
    orders = tenancy.visible(PurchaseOrder, user).select_related(
        "agreement__lender", "agreement__seller", "agreement__distributor", "agreement__warehouse")
    if agreement is not None:
        orders = orders.filter(agreement=agreement)
    if state:
        orders = orders.filter(state=state)
    return orders.order_by("-created_at", "-pk")
