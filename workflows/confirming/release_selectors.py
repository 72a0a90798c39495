"""Reads for releases, and the release's tenancy rule: the lender's staff and the members of every party see it."""

from __future__ import annotations

from django.db.models import QuerySet

from scf.core import tenancy
from scf.parties.models import User

from .models import PurchaseOrder, ReleaseRequest
from .selectors import agreement_party_q

RELEASE_RELATED = ("order__agreement__lender", "order__agreement__seller", "order__agreement__distributor",
                   "order__agreement__warehouse", "requested_by", "noticed_by", "delivery_notified_by",
                   "delivered_by")


@tenancy.rule(ReleaseRequest)
def release_visible(user: User) -> QuerySet[ReleaseRequest]:
    """A release is seen by the lender's staff and the members of the distributor, the seller and the warehouse."""
    if user.is_superuser:
        return ReleaseRequest.objects.all()
    return ReleaseRequest.objects.filter(agreement_party_q(user, "order__agreement__"))


def release_orders(user: User) -> QuerySet[PurchaseOrder]:
    """Return the orders whose releases the user sees: those of agreements the user is a party to."""
    orders = PurchaseOrder.objects.select_related("agreement__lender", "agreement__seller",
                                                  "agreement__distributor", "agreement__warehouse")
    if not getattr(user, "is_authenticated", False):
        return orders.none()
    if user.is_superuser:
        return orders
    return orders.filter(agreement_party_q(user, "agreement__"))


def release_visible_list(user: User) -> QuerySet[ReleaseRequest]:
    """Return the releases the user sees, with what their pages read."""
    return tenancy.visible(ReleaseRequest, user).select_related(*RELEASE_RELATED)


def release_list(*, user: User, order: PurchaseOrder | None = None, state: str | None = None
                 ) -> QuerySet[ReleaseRequest]:
    """Return the releases the user sees, newest first, of one order and in one state when given."""
    releases = release_visible_list(user)
    if order is not None:
        releases = releases.filter(order=order)
    if state:
        releases = releases.filter(state=state)
    return releases.order_by("-requested_at", "-pk")
