"""The advance's documents: the advance notice (垫款通知书) and the advance settlement advice (垫款结清通知书).

The lender's own statements, sealed when issued; nobody signs them. The notice goes to the distributor and the
core enterprise when the lender advances at maturity: the amount, the date, the penalty rate, the claim on the
core enterprise. The settlement advice, when the advance and its penalty interest are repaid, says how.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from documents import registry
from documents.context import amount, percent
from scf.collections.models import Receipt

from .documents import ORDER_RELATED, ORDER_REQUIRED, PARTIES_REQUIRED, _order_parties, order_context
from .models import PurchaseOrder

ADVANCE_NOTICE = "confirming_advance_notice"
ADVANCE_SETTLEMENT = "confirming_advance_settlement"


def advance_context(order: PurchaseOrder) -> dict:
    """Return what both advance documents print: how S = P − M − R was advanced, the rate, the claim, the repayments."""
    from .advances import REPAYMENT_KIND, penalty_rate

    context = order_context(order)
    currency = order.currency
    last = Receipt.objects.for_case(order).filter(kind=REPAYMENT_KIND).order_by("-value_date", "-pk").first()
    context["advance"] = {
        "advanced_on": order.advanced_on,
        "amount": amount(order.advance_amount, currency),
        "refund_paid": amount(order.refund_paid, currency),
        "core_claim": amount(order.core_claim_amount, currency),
        "penalty_rate": percent(penalty_rate(order)),
        "outstanding": amount(order.advance_outstanding, currency),
        "penalty_accrued": amount(order.penalty_accrued, currency),
        "repaid_advance": amount(order.advance_amount - order.advance_outstanding, currency),
        "repaid_penalty": amount(order.penalty_accrued - order.penalty_outstanding, currency),
        # The last repayment's day; an order without receipts (the demo's sample rows): the accrual's last day.
        "repaid_on": (last.value_date if last is not None else
                      order.penalty_accrued_to if order.advance_outstanding == 0 else None),
    }
    return context


def advance_parties(order: PurchaseOrder) -> list[registry.SigningParty]:
    return _order_parties(order)


def demo_advanced_order() -> PurchaseOrder | None:
    return PurchaseOrder.objects.filter(advanced_on__isnull=False).order_by("id").first()


def demo_advance_repaid() -> PurchaseOrder | None:
    return (PurchaseOrder.objects.filter(advanced_on__isnull=False, advance_outstanding=0, penalty_outstanding=0)
            .order_by("id").first())


RELATED = tuple(name.removeprefix("order__") for name in ORDER_RELATED)
ADVANCE_REQUIRED = [*PARTIES_REQUIRED, *ORDER_REQUIRED, "order.maturity_date", "advance.advanced_on", "advance.amount",
                    "advance.core_claim", "advance.penalty_rate"]

NOTICE = registry.DocumentKind(
    code=ADVANCE_NOTICE, prefix="CWAN", title=_("Advance Notice"),
    model=PurchaseOrder, build_context=advance_context, parties=advance_parties, required=ADVANCE_REQUIRED,
    sample=demo_advanced_order, related=RELATED,
)
SETTLEMENT = registry.DocumentKind(
    code=ADVANCE_SETTLEMENT, prefix="CWAS", title=_("Advance Settlement Advice"),
    model=PurchaseOrder, build_context=advance_context, parties=advance_parties,
    required=[*ADVANCE_REQUIRED, "advance.repaid_on", "advance.repaid_advance"],
    sample=demo_advance_repaid, related=RELATED,
)


def register() -> None:
    registry.register(NOTICE, SETTLEMENT)
