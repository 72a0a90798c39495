"""The order's disbursement advice (放款通知书): what the lender paid the seller, or the bill it issued.

The lender's own statement to the distributor, with the seller named as payee: nobody signs it. What it
prints is fixed when the order was funded: the route, the date, the maturity, and for a loan how P was
paid (M0 out of the margin account, P − M0 lent), for a bill its number, face and the margin frozen.
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

from documents import registry
from documents.context import amount
from scf.parties.accounts import printed_account, settlement_account_for

from .documents import ORDER_RELATED, ORDER_REQUIRED, PARTIES_REQUIRED, _order_parties, order_context
from .models import PurchaseOrder

DISBURSEMENT_ADVICE = "confirming_disbursement_advice"
SETTLEMENT_ADVICE = "confirming_settlement_advice"


def disbursement_context(order: PurchaseOrder) -> dict:
    """Return what the advice prints: the order and its goods, and how it was funded."""
    context = order_context(order)
    currency = order.currency
    by_bill = order.route == PurchaseOrder.Route.ACCEPTANCE_BILL
    context["funding"] = {
        "by_bill": by_bill,
        "funded_on": order.funded_on,
        "maturity_date": order.maturity_date,
        "bill_number": order.bill_number,
        "face": amount(order.order_amount, currency),
        "margin_applied": amount(order.initial_margin, currency),
        "loan": amount(order.loan_principal, currency) if not by_bill else None,
        "margin_frozen": amount(order.initial_margin, currency) if by_bill else None,
        "exposure": amount(order.order_amount - order.margin_paid, currency),
    }
    # The account the funding's check found on this order (orders.seller_account_require), else as it is now.
    found = getattr(order, "_seller_account", None)
    context["seller_account"] = (None if by_bill else printed_account(
        found if found is not None else settlement_account_for(order.agreement.seller, currency)))
    return context


def disbursement_parties(order: PurchaseOrder) -> list[registry.SigningParty]:
    return _order_parties(order)


def demo_funded_order() -> PurchaseOrder | None:
    return PurchaseOrder.objects.filter(funded_on__isnull=False).order_by("id").first()


DISBURSEMENT = registry.DocumentKind(
    code=DISBURSEMENT_ADVICE, prefix="CWDA", title=pgettext_lazy("confirming-warehouse", "Disbursement Advice"), model=PurchaseOrder,
    build_context=disbursement_context, parties=disbursement_parties,
    required=[*PARTIES_REQUIRED, *ORDER_REQUIRED, "funding.funded_on", "funding.maturity_date", "funding.face"],
    sample=None, related=tuple(name.removeprefix("order__") for name in ORDER_RELATED),
)


# --- the settlement advice (结清通知书), at closing --------------------------------------------------------

def settlement_context(order: PurchaseOrder) -> dict:
    """Return what the settlement advice prints: how P was paid (margin, refund), the goods, the settlement."""
    context = order_context(order)
    currency = order.currency
    by_bill = order.route == PurchaseOrder.Route.ACCEPTANCE_BILL
    context["settlement"] = {
        "by_bill": by_bill,
        "bill_number": order.bill_number,
        "funded_on": order.funded_on,
        "maturity_date": order.maturity_date,
        "settled_on": order.settled_on,
        "face": amount(order.order_amount, currency),
        "margin_paid": amount(order.margin_paid, currency),
        "initial_margin": amount(order.initial_margin, currency),
        "refund_paid": amount(order.refund_paid, currency) if order.refund_paid else None,
        "goods_kept": amount(order.goods_kept_value, currency) if order.goods_kept_value else None,
        "delivered": amount(order.delivered_value, currency),
        "loan": amount(order.loan_principal, currency) if not by_bill else None,
    }
    return context


def demo_settled_order() -> PurchaseOrder | None:
    return PurchaseOrder.objects.filter(settled_on__isnull=False).order_by("id").first()


SETTLEMENT = registry.DocumentKind(
    code=SETTLEMENT_ADVICE, prefix="CWSA", title=pgettext_lazy("confirming-warehouse", "Settlement Advice"),
    model=PurchaseOrder,
    build_context=settlement_context, parties=disbursement_parties,
    required=[*PARTIES_REQUIRED, *ORDER_REQUIRED, "settlement.settled_on", "settlement.face",
              "settlement.margin_paid"],
    sample=demo_settled_order, related=tuple(name.removeprefix("order__") for name in ORDER_RELATED),
)


def register() -> None:
    registry.register(DISBURSEMENT, SETTLEMENT)
