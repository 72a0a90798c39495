"""Confirming-warehouse money under maker-checker: an order's funding is prepared by one operations user and
released by a second.

The task page, the order's page and the API prepare it; the release (scf.releases) runs `order_fund` for
real with the releaser as the acting user. Its checks (the margin paid, the agreement active, the facilities
open, the seller's account, the bill's number: `order_funding_check`, which the funding runs first) run alone
when it is prepared, so a refusal comes at once.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scf.core.exceptions import IllegalTransition
from scf.parties.models import User
from scf.releases.models import Release
from scf.releases.registry import ReleaseAction
from scf.releases.services import release_prepare

from . import orders
from .models import PurchaseOrder
from .permissions import FUND_ORDER

FUNDING = "confirming.fund"


def order_funding_prepare(*, order: PurchaseOrder, acting_user: User, bill_number: str = "") -> Release:
    """Prepare the funding of an order whose margin is paid; a second operations user releases it."""
    order = PurchaseOrder.objects.select_related("agreement__lender", "agreement__distributor",
                                                 "agreement__seller", "agreement__warehouse").get(pk=order.pk)
    if order.funded_on is not None:
        raise IllegalTransition(_("%(ref)s is already funded.") % {"ref": order.reference})
    agreement = order.agreement
    return release_prepare(action=FUNDING, lender=agreement.lender, key=f"fund:{order.reference}",
                           reference=order.reference, amount=order.order_amount, currency=order.currency,
                           case=order, parties=(agreement.distributor, agreement.seller, agreement.warehouse),
                           payload={"bill_number": (bill_number or "").strip().upper()}, acting_user=acting_user)


def _fund_check(release: Release, acting_user: User) -> None:
    orders.order_funding_check(order=release.case, acting_user=acting_user,
                               bill_number=release.payload.get("bill_number", ""), on=timezone.localdate())


def _fund(release: Release, acting_user: User) -> None:
    orders.order_fund(order=release.case, acting_user=acting_user, bill_number=release.payload.get("bill_number", ""))


def _details(release: Release) -> list:
    bill = release.payload.get("bill_number")
    return [(gettext_lazy("Acceptance bill"), bill)] if bill else []


ACTIONS = (ReleaseAction(FUNDING, gettext_lazy("Order funding"), _fund, FUND_ORDER, check=_fund_check,
                         details=_details),)
