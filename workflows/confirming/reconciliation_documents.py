"""The delivery reconciliation statement (发货对账单): the month's release notices against the goods delivered.

Issued when operations mark the reconciliation reviewed, from its stored lines, so the statement prints the
figures that were reviewed. The lender's own statement to the parties of the agreement: nobody signs it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from documents import registry
from documents.context import amount

from .documents import PARTIES_REQUIRED, agreement_context, quantity
from .models import ConfirmingAgreement, DeliveryReconciliation

RECONCILIATION_STATEMENT = "confirming_delivery_reconciliation"


def reconciliation_context(reconciliation: DeliveryReconciliation) -> dict:
    """Return what the statement prints: the agreement's parties, the month, each line and the totals."""
    context = agreement_context(reconciliation.agreement)
    currency = reconciliation.currency
    context["reconciliation"] = {
        "month": f"{reconciliation.period:%Y-%m}",
        "currency": currency,
        "release_count": reconciliation.release_count,
        "notified": amount(reconciliation.notified_value, currency),
        "delivered": amount(reconciliation.delivered_value, currency),
        "short": amount(reconciliation.difference_value, currency),
        "awaiting": amount(reconciliation.awaiting_value, currency),
        "has_differences": reconciliation.has_differences,
        "reviewed_at": reconciliation.reviewed_at,
        "review_comment": reconciliation.review_comment,
    }
    context["lines"] = [{
        "release": line.release_reference, "order": line.order_reference, "noticed_on": line.noticed_on,
        "delivered_on": line.delivered_on, "description": line.description, "unit": line.unit,
        "unit_price": f"{line.unit_price:,.2f}" if line.unit_price is not None else "",
        "quantity_notified": quantity(line.quantity_notified) if line.quantity_notified is not None else "",
        "quantity_delivered": quantity(line.quantity_delivered) if line.quantity_delivered is not None else "",
        "quantity_difference": quantity(line.quantity_difference) if line.quantity_difference is not None else "",
        "value_notified": f"{line.value_notified:,.2f}", "value_delivered": f"{line.value_delivered:,.2f}",
        "value_difference": f"{line.value_difference:,.2f}", "status": line.status,
    } for line in reconciliation.lines.order_by("noticed_on", "release_id", "order_line_id", "pk")]
    return context


def reconciliation_parties(reconciliation: DeliveryReconciliation) -> list[registry.SigningParty]:
    """The parties the statement names: lender, seller, distributor, and the warehouse in the four-party form."""
    agreement = reconciliation.agreement
    parties = [("lender", agreement.lender), ("seller", agreement.seller), ("distributor", agreement.distributor)]
    if agreement.form == ConfirmingAgreement.Form.FOUR_PARTY:
        parties.append(("warehouse", agreement.warehouse))
    return [registry.SigningParty(org, role, must_sign=False) for role, org in parties]


STATEMENT = registry.DocumentKind(
    code=RECONCILIATION_STATEMENT, prefix="CWDR", title=_("Delivery Reconciliation Statement"),
    model=DeliveryReconciliation, build_context=reconciliation_context, parties=reconciliation_parties,
    required=[*PARTIES_REQUIRED, "agreement.reference", "reconciliation.month", "reconciliation.notified"],
    sample=None, related=("agreement__lender", "agreement__seller", "agreement__distributor",
                          "agreement__warehouse", "agreement__facility", "agreement__guarantee_facility"),
)


def register() -> None:
    registry.register(STATEMENT)
