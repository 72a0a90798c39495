"""The default notice (违约通知书) and the disposal settlement statement (处置结算单), EN and ZH.

Both go from the lender to the pledgor and need no signature: the notice says the agreement is in
default and the goods will be sold; the statement shows how the sale's proceeds were applied
(DESIGN §5 "Default": costs of sale, then interest, then principal; surplus back to the pledgor).
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from documents import registry
from documents.context import amount, party

from .models import PledgeAgreement, PledgeDisposal

DEFAULT_NOTICE = "pledge_default_notice"
SETTLEMENT_STATEMENT = "pledge_disposal_statement"


def _parties(agreement: PledgeAgreement) -> dict:
    return {"lender": party(agreement.lender), "pledgor": party(agreement.pledgor),
            "warehouse": party(agreement.warehouse)}


def default_notice_context(agreement: PledgeAgreement) -> dict:
    """Return what the default notice prints: the agreement, the reason, what is owed, the goods to be sold."""
    disposal = agreement.disposals.order_by("-pk").first()
    defaulted_on = timezone.localtime(agreement.defaulted_at).date() if agreement.defaulted_at else None
    return {
        **_parties(agreement),
        "agreement": {"reference": agreement.reference, "reason": agreement.default_reason,
                      "defaulted_on": defaulted_on},
        "disposal": {"reference": disposal.reference if disposal else ""},
        "principal": amount(agreement.principal_outstanding, agreement.currency),
        "interest": amount(sum((d.interest_outstanding for d in agreement.drawdowns.filter(state="disbursed")),
                               Decimal("0.00")), agreement.currency),
    }


def statement_context(disposal: PledgeDisposal) -> dict:
    """Return what the settlement statement prints: the sale and the application of its proceeds."""
    agreement = disposal.agreement
    currency = disposal.currency
    return {
        **_parties(agreement),
        "agreement": {"reference": agreement.reference},
        "disposal": {"reference": disposal.reference, "method_en": _method(disposal, "en"),
                     "method_zh": _method(disposal, "zh"), "buyer": disposal.buyer, "sale_date": disposal.sale_date},
        "proceeds": amount(disposal.gross_proceeds, currency),
        "costs": amount(disposal.applied_costs, currency),
        "interest": amount(disposal.applied_interest, currency),
        "principal": amount(disposal.applied_principal, currency),
        "surplus": amount(disposal.surplus, currency),
        "shortfall": amount(disposal.shortfall, currency),
        "interest_due": amount(disposal.interest_due, currency),
        "principal_due": amount(disposal.principal_due, currency),
    }


METHODS_EN = {"negotiated": "negotiated sale", "auction": "auction", "agreed": "sale agreed with the pledgor"}
METHODS_ZH = {"negotiated": "协议转让", "auction": "拍卖", "agreed": "经出质人同意的变卖"}


def _method(disposal: PledgeDisposal, language: str) -> str:
    return (METHODS_ZH if language == "zh" else METHODS_EN).get(disposal.method, disposal.method)


def _notice_parties(agreement: PledgeAgreement) -> list[registry.SigningParty]:
    return [registry.SigningParty(agreement.lender, "lender", must_sign=False),
            registry.SigningParty(agreement.pledgor, "pledgor", must_sign=False),
            registry.SigningParty(agreement.warehouse, "warehouse", must_sign=False)]


def _statement_parties(disposal: PledgeDisposal) -> list[registry.SigningParty]:
    agreement = disposal.agreement
    return [registry.SigningParty(agreement.lender, "lender", must_sign=False),
            registry.SigningParty(agreement.pledgor, "pledgor", must_sign=False)]


REQUIRED = ["lender.legal_name", "lender.uscc", "pledgor.legal_name", "agreement.reference"]

DEFAULT_NOTICE_KIND = registry.DocumentKind(
    code=DEFAULT_NOTICE, prefix="PDN", title=_("Default Notice"), model=PledgeAgreement,
    build_context=default_notice_context, parties=_notice_parties, required=REQUIRED,
    related=("lender", "pledgor", "warehouse"),
)
SETTLEMENT_STATEMENT_KIND = registry.DocumentKind(
    code=SETTLEMENT_STATEMENT, prefix="PDS", title=_("Disposal Settlement Statement"), model=PledgeDisposal,
    build_context=statement_context, parties=_statement_parties,
    required=[*REQUIRED, "disposal.reference", "proceeds.figures"],
    related=("agreement__lender", "agreement__pledgor", "agreement__warehouse"),
)


def register() -> None:
    registry.register(DEFAULT_NOTICE_KIND, SETTLEMENT_STATEMENT_KIND)
