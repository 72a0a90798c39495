"""Confirming-warehouse (保兑仓) documents: the agreement, release and delivery notices, refund notice, margin receipt.

The agreement (three- or four-party, one kind whose templates branch on the form) is signed by every
party it names. The release notice (提货通知书), the refund notice (差额退款通知书) and the margin deposit
receipt (保证金缴存回单) are the lender's own statements: nobody signs them, the lender seals them when they
are issued. The delivery notice (发货通知书) is the seller's answer to a release notice: the seller signs it.

Every kind builds on the agreement's facts (`agreement_context`) and, from the order on, on the order's
(`order_context`); each adds what it alone prints under a key of its own (`release`, `delivery`,
`refund`, `receipt`). Every value a reader relies on is in the kind's `required`, so a missing one stops
generation with an error naming it rather than printing a blank.

`custodian` is whoever holds the goods for the lender and delivers them against its release notice: the
seller in the three-party form, the warehouse in the four-party one.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from documents import registry
from documents.context import amount, party, percent
from scf.parties.accounts import printed_account, settlement_account_for

from .calculations import ONE, allowance
from .models import ConfirmingAgreement, MarginPayment, PurchaseOrder, RefundDemand, ReleaseRequest

ZERO = Decimal("0.00")

# What the contexts and the parties read, loaded with the business object.
AGREEMENT_RELATED = ("lender", "seller", "distributor", "warehouse", "facility", "guarantee_facility")
ORDER_RELATED = tuple(f"order__agreement__{name}" for name in AGREEMENT_RELATED)

PARTIES_REQUIRED = [
    "lender.legal_name", "lender.uscc", "seller.legal_name", "seller.uscc", "distributor.legal_name",
    "distributor.uscc", "custodian.legal_name", "custodian.uscc",
]
LENDER_ACCOUNT_REQUIRED = ["lender_account.bank", "lender_account.name", "lender_account.number"]
ORDER_REQUIRED = [
    "agreement.reference", "order.reference", "amounts.order", "amounts.initial_margin", "amounts.margin_paid",
    "agreement.margin_ratio", "agreement.release_mode",
]


# --- the agreement ---------------------------------------------------------------------------------

def agreement_context(agreement: ConfirmingAgreement) -> dict:
    """Return what every confirming-warehouse document prints about the agreement and its parties."""
    four_party = agreement.form == ConfirmingAgreement.Form.FOUR_PARTY
    facility = agreement.facility
    return {
        "lender": party(agreement.lender),
        "seller": party(agreement.seller),
        "distributor": party(agreement.distributor),
        "warehouse": party(agreement.warehouse) if four_party else None,
        "custodian": party(agreement.warehouse if four_party else agreement.seller),
        "lender_account": printed_account(settlement_account_for(agreement.lender, agreement.currency)),
        "agreement": {
            "reference": agreement.reference,
            "four_party": four_party,
            "currency": agreement.currency,
            "limit": amount(agreement.limit_amount, agreement.currency),
            "revolving": agreement.revolving,
            "margin_ratio": percent(agreement.margin_ratio),
            "financed_ratio": percent(ONE - agreement.margin_ratio),
            "release_mode": agreement.release_mode,
            "tenor_days": agreement.tenor_days,
            "refund_notice_days": agreement.refund_notice_days,
            "allows_loan": agreement.allows_loan,
            "allows_acceptance_bill": agreement.allows_acceptance_bill,
            "annual_rate": percent(agreement.annual_rate),
            "penalty_multiplier": facility.penalty_multiplier.normalize(),
            "penalty_rate": percent(agreement.annual_rate * facility.penalty_multiplier),
            "refund_undertaking": agreement.refund_undertaking.strip(),
            "start_date": agreement.start_date,
            "end_date": agreement.end_date,
            "facility": facility.reference,
            "guarantee_facility": agreement.guarantee_facility.reference,
        },
    }


# Who signs the agreement: every party it names (the warehouse only in the four-party form).
AGREEMENT_SIGNERS = ("lender", "seller", "distributor", "warehouse")


def agreement_parties(agreement: ConfirmingAgreement) -> list[registry.SigningParty]:
    parties = [registry.SigningParty(agreement.lender, "lender"), registry.SigningParty(agreement.seller, "seller"),
               registry.SigningParty(agreement.distributor, "distributor")]
    if agreement.form == ConfirmingAgreement.Form.FOUR_PARTY:
        parties.append(registry.SigningParty(agreement.warehouse, "warehouse"))
    return parties


AGREEMENT_REQUIRED = PARTIES_REQUIRED + [
    "agreement.reference", "agreement.limit", "agreement.margin_ratio", "agreement.release_mode",
    "agreement.tenor_days", "agreement.refund_notice_days", "agreement.annual_rate", "agreement.start_date",
    "agreement.end_date", "agreement.facility", "agreement.guarantee_facility",
]


def demo_agreement() -> ConfirmingAgreement | None:
    return ConfirmingAgreement.objects.order_by("id").first()


def quantity(value: Decimal) -> str:
    """Return a quantity as printed: grouped, without trailing zeros (250.000 → 250, 120.500 → 120.5)."""
    text = f"{value.normalize():,f}"
    return "0" if text in ("-0", "0") else text


def unit_price(value: Decimal) -> str:
    """Return a unit price to the cent, or to every decimal it has beyond the cent (3,856.50; 12.3456)."""
    if value == value.quantize(Decimal("0.01")):
        return f"{value:,.2f}"
    return f"{value.normalize():,f}"


# --- the order -------------------------------------------------------------------------------------

def order_context(order: PurchaseOrder) -> dict:
    """Return the agreement's facts and what every order document prints about the order and its goods."""
    agreement = order.agreement
    context = agreement_context(agreement)
    currency = order.currency
    lines = list(order.lines.order_by("id"))
    context["order"] = {
        "reference": order.reference,
        "seller_order_number": order.seller_order_number,
        "currency": currency,
        "route": order.route,
        "by_bill": order.route == PurchaseOrder.Route.ACCEPTANCE_BILL,
        "bill_number": order.bill_number,
        "funded_on": order.funded_on,
        "maturity_date": order.maturity_date,
    }
    context["amounts"] = {
        "order": amount(order.order_amount, currency),
        "initial_margin": amount(order.initial_margin, currency),
        "margin_paid": amount(order.margin_paid, currency),
        "allowed": amount(order.allowed_value, currency),
        "released": amount(order.released_value, currency),
        "releasable": amount(order.releasable_value, currency),
        "exposure": amount(order.exposure, currency),
        "unreleased": amount(order.order_amount - order.released_value, currency),
        "beyond_initial": amount(max(order.margin_paid - order.initial_margin, ZERO), currency),
    }
    context["order"]["paid_in_full"] = order.margin_paid >= order.order_amount
    context["lines"] = [
        {
            "description": line.description,
            "unit": line.unit,
            "quantity": quantity(line.quantity),
            "unit_price": unit_price(line.unit_price),
            "amount": amount(line.amount, currency),
            "delivered": quantity(line.delivered_quantity),
        }
        for line in lines
    ]
    context["lines_total"] = amount(sum((line.amount for line in lines), start=ZERO), currency)
    return context


def _order_parties(order: PurchaseOrder, *roles_signing: str) -> list[registry.SigningParty]:
    """The parties an order document names: lender, seller, distributor, and the warehouse in the four-party form."""
    agreement = order.agreement
    parties = [("lender", agreement.lender), ("seller", agreement.seller), ("distributor", agreement.distributor)]
    if agreement.form == ConfirmingAgreement.Form.FOUR_PARTY:
        parties.append(("warehouse", agreement.warehouse))
    return [registry.SigningParty(org, role, must_sign=role in roles_signing) for role, org in parties]


def _noticed(release: ReleaseRequest) -> Q:
    """The order's releases noticed by the lender up to and including `release`, in the order they were asked."""
    return (Q(order_id=release.order_id)
            & Q(state__in=[ReleaseRequest.State.NOTICE_ISSUED, ReleaseRequest.State.DELIVERY_NOTIFIED,
                           ReleaseRequest.State.DELIVERED])
            & (Q(requested_at__lt=release.requested_at) | Q(requested_at=release.requested_at, id__lt=release.id)))


# --- the release notice (提货通知书) and the delivery notice (发货通知书) --------------------------------

def release_context(release: ReleaseRequest) -> dict:
    """Return what the release and the delivery notices print: this release and the order's releases so far.

    `release.live` is None for a withdrawn request: no notice is given for goods nobody may take out.
    """
    order = release.order
    context = order_context(order)
    currency = order.currency
    before = ReleaseRequest.objects.filter(_noticed(release)).aggregate(total=Sum("value"))["total"] or ZERO
    context["release"] = {
        "reference": release.reference,
        "live": None if release.state == ReleaseRequest.State.WITHDRAWN else True,
        "requested_at": release.requested_at,
        "value": amount(release.value, currency),
        "released_before": amount(before, currency),
        "cumulative": amount(before + release.value, currency),
    }
    # The goods the seller's delivery notice names, line by line (none before the delivery notice).
    rows = list(release.lines.select_related("order_line").order_by("order_line_id"))
    goods_total = sum((row.value for row in rows), start=ZERO)
    context["delivery"] = {
        "lines": [{"description": row.order_line.description, "unit": row.order_line.unit,
                   "quantity": quantity(row.quantity), "unit_price": unit_price(row.order_line.unit_price),
                   "value": amount(row.value, currency)} for row in rows],
        "total": amount(goods_total, currency) if rows else None,
    }
    return context


def release_notice_parties(release: ReleaseRequest) -> list[registry.SigningParty]:
    # The lender's notice: nobody signs it, the lender seals it when it is issued.
    return _order_parties(release.order)


def delivery_notice_parties(release: ReleaseRequest) -> list[registry.SigningParty]:
    # The seller's answer: the seller alone signs it.
    return _order_parties(release.order, "seller")


RELEASE_REQUIRED = PARTIES_REQUIRED + ORDER_REQUIRED + [
    "amounts.allowed", "release.reference", "release.live", "release.value", "release.released_before",
    "release.cumulative",
]
DELIVERY_REQUIRED = RELEASE_REQUIRED + ["lines"]


def demo_release() -> ReleaseRequest | None:
    return (ReleaseRequest.objects.exclude(state=ReleaseRequest.State.WITHDRAWN).order_by("id").first())


# --- the refund notice (差额退款通知书) ------------------------------------------------------------------

def refund_context(demand: RefundDemand) -> dict:
    """Return what the refund notice prints: S = P − M as the demand fixed it, the due date, where to pay.

    The margin is printed as the demand computed it (P − S): margin received after the notice lowers
    what the seller pays, which the notice says, but does not change the notice.
    """
    order = demand.order
    context = order_context(order)
    currency = order.currency
    context["refund"] = {
        "notice_date": demand.notice_date,
        "due_date": demand.due_date,
        "margin_at_notice": amount(order.order_amount - demand.amount, currency),
        "shortfall": amount(demand.amount, currency),
    }
    return context


def refund_notice_parties(demand: RefundDemand) -> list[registry.SigningParty]:
    return _order_parties(demand.order)


REFUND_REQUIRED = PARTIES_REQUIRED + ORDER_REQUIRED + [
    "refund.notice_date", "refund.due_date", "refund.margin_at_notice", "refund.shortfall", *LENDER_ACCOUNT_REQUIRED,
]


def demo_refund() -> RefundDemand | None:
    return RefundDemand.objects.order_by("id").first()


# --- the margin deposit receipt (保证金缴存回单) ---------------------------------------------------------

def margin_receipt_context(payment: MarginPayment) -> dict:
    """Return what the margin receipt prints: this payment, the margin paid with it and what that lets out.

    The cumulative margin counts the order's payments up to and including this one (by day received, then
    as recorded), so a receipt printed again later says what it said on the day.
    """
    order = payment.order
    agreement = order.agreement
    context = order_context(order)
    currency = order.currency
    cumulative = MarginPayment.objects.filter(
        Q(order_id=order.pk) & (Q(received_on__lt=payment.received_on) | Q(received_on=payment.received_on,
                                                                             id__lte=payment.pk))
    ).aggregate(total=Sum("amount"))["total"] or ZERO
    allowed = allowance(agreement.release_mode, order=order.order_amount, margin_ratio=agreement.margin_ratio,
                        margin_paid=cumulative)
    context["receipt"] = {
        "received_on": payment.received_on,
        "bank_reference": payment.bank_reference,
        "amount": amount(payment.amount, currency),
        "cumulative": amount(cumulative, currency),
        "beyond_initial": amount(max(cumulative - order.initial_margin, ZERO), currency),
        "is_initial": cumulative <= order.initial_margin,
        "paid_in_full": cumulative >= order.order_amount,
        "allowed": amount(allowed, currency),
        "exposure": amount(max(order.order_amount - cumulative, ZERO), currency),
    }
    return context


def margin_receipt_parties(payment: MarginPayment) -> list[registry.SigningParty]:
    return _order_parties(payment.order)


MARGIN_RECEIPT_REQUIRED = PARTIES_REQUIRED + ORDER_REQUIRED + [
    "receipt.received_on", "receipt.bank_reference", "receipt.amount", "receipt.cumulative", "receipt.allowed",
]


def demo_margin_payment() -> MarginPayment | None:
    return MarginPayment.objects.order_by("id").first()


# --- registration ----------------------------------------------------------------------------------

# `demo_documents` prints each kind from its sample and stops on a sample that finds nothing. The demo seeds
# the agreements (demo.py), a release with its delivery notice's lines (release_demo.py), and margin payments
# and a refund demand (maturity_demo.py), with or without the life cycle.
SAMPLES = {
    "confirming_agreement": demo_agreement,
    "confirming_release_notice": demo_release,
    "confirming_delivery_notice": demo_release,
    "confirming_refund_notice": demo_refund,
    "confirming_margin_receipt": demo_margin_payment,
}

CONFIRMING_AGREEMENT = registry.DocumentKind(
    code="confirming_agreement", prefix="CWC", title=_("Confirming-Warehouse Financing Agreement"),
    model=ConfirmingAgreement, build_context=agreement_context, parties=agreement_parties,
    required=AGREEMENT_REQUIRED, sample=demo_agreement, related=AGREEMENT_RELATED,
    languages=("en", "zh-hans", "bilingual"),
)
CONFIRMING_RELEASE_NOTICE = registry.DocumentKind(
    code="confirming_release_notice", prefix="CWRN", title=_("Release Notice"), model=ReleaseRequest,
    build_context=release_context, parties=release_notice_parties, required=RELEASE_REQUIRED,
    sample=demo_release, related=("order", *ORDER_RELATED),
)
CONFIRMING_DELIVERY_NOTICE = registry.DocumentKind(
    code="confirming_delivery_notice", prefix="CWDN", title=_("Delivery Notice"), model=ReleaseRequest,
    build_context=release_context, parties=delivery_notice_parties, required=DELIVERY_REQUIRED,
    sample=demo_release, related=("order", *ORDER_RELATED),
)
CONFIRMING_REFUND_NOTICE = registry.DocumentKind(
    code="confirming_refund_notice", prefix="CWRF", title=_("Refund Notice"), model=RefundDemand,
    build_context=refund_context, parties=refund_notice_parties, required=REFUND_REQUIRED,
    sample=demo_refund, related=("order", *ORDER_RELATED),
)
CONFIRMING_MARGIN_RECEIPT = registry.DocumentKind(
    code="confirming_margin_receipt", prefix="CWMR", title=_("Margin Deposit Receipt"), model=MarginPayment,
    build_context=margin_receipt_context, parties=margin_receipt_parties, required=MARGIN_RECEIPT_REQUIRED,
    sample=demo_margin_payment, related=("order", *ORDER_RELATED),
)

KINDS = (CONFIRMING_AGREEMENT, CONFIRMING_RELEASE_NOTICE, CONFIRMING_DELIVERY_NOTICE, CONFIRMING_REFUND_NOTICE,
         CONFIRMING_MARGIN_RECEIPT)
