"""Pledge's document kinds, each in English and Chinese through the documents engine."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from documents import registry
from documents.context import amount, party, percent

from .models import PledgeAgreement

# --- the agreement's three contracts ---------------------------------------------------------------
# The loan agreement and the maximum-amount pledge contract are between the lender and the pledgor;
# the tripartite supervision agreement adds the warehouse, which holds the goods for the lender.

AGREEMENT_RELATED = ("lender", "pledgor", "warehouse", "facility")

AGREEMENT_REQUIRED = [
    "lender.legal_name", "lender.uscc", "pledgor.legal_name", "pledgor.uscc", "warehouse.legal_name",
    "warehouse.uscc", "amounts.maximum", "agreement.reference", "agreement.start_date", "agreement.end_date",
    "agreement.pledge_rate", "agreement.warning_ltv", "agreement.call_ltv", "agreement.liquidation_ltv",
    "agreement.annual_rate", "facility.reference",
]

AGREEMENT_SIGNERS: dict[str, tuple[str, ...]] = {
    "pledge_loan_agreement": ("pledgor", "lender"),
    "pledge_contract": ("pledgor", "lender"),
    "pledge_supervision_agreement": ("pledgor", "lender", "warehouse"),
}


def agreement_context(agreement: PledgeAgreement) -> dict:
    """Return what the three contracts print about an agreement."""
    currency = agreement.currency
    basis = 365 if agreement.day_count == "ACT/365" else 360
    return {
        "lender": party(agreement.lender),
        "pledgor": party(agreement.pledgor),
        "warehouse": party(agreement.warehouse),
        "facility": {
            "reference": agreement.facility.reference,
            "limit": amount(agreement.facility.limit_amount, agreement.facility.currency),
            "valid_to": agreement.facility.valid_to,
        },
        "agreement": {
            "reference": agreement.reference,
            "kind": agreement.kind,
            "dynamic": agreement.kind == PledgeAgreement.Kind.DYNAMIC,
            "currency": currency,
            "start_date": agreement.start_date,
            "end_date": agreement.end_date,
            "pledge_rate": percent(agreement.pledge_rate),
            "warning_ltv": percent(agreement.warning_ltv),
            "call_ltv": percent(agreement.call_ltv),
            "liquidation_ltv": percent(agreement.liquidation_ltv),
            "cure_days": agreement.cure_days,
            "price_max_age_days": agreement.price_max_age_days,
            "annual_rate": percent(agreement.annual_rate),
            "penalty_rate": percent(agreement.annual_rate * agreement.facility.penalty_multiplier),
            "penalty_multiplier": agreement.facility.penalty_multiplier.normalize(),
            "day_count": agreement.day_count,
            "basis": basis,
        },
        "amounts": {
            "maximum": amount(agreement.maximum_amount, currency),
            "floor_minimum": amount(agreement.floor_value_minimum, currency),
        },
    }


def _agreement_parties(kind: str, roles: tuple[str, ...]):
    def parties(agreement: PledgeAgreement) -> list[registry.SigningParty]:
        return [registry.SigningParty(getattr(agreement, role), role, must_sign=role in AGREEMENT_SIGNERS[kind])
                for role in roles]

    return parties


def demo_agreement() -> PledgeAgreement | None:
    return PledgeAgreement.objects.order_by("id").first()


PLEDGE_LOAN_AGREEMENT = registry.DocumentKind(
    code="pledge_loan_agreement", prefix="PLN", title=_("Loan Agreement (Pledge Financing)"), model=PledgeAgreement,
    build_context=agreement_context, parties=_agreement_parties("pledge_loan_agreement", ("lender", "pledgor")),
    required=AGREEMENT_REQUIRED, sample=demo_agreement, related=AGREEMENT_RELATED,
)
PLEDGE_CONTRACT = registry.DocumentKind(
    code="pledge_contract", prefix="PMC", title=_("Maximum Amount Pledge Contract"), model=PledgeAgreement,
    build_context=agreement_context, parties=_agreement_parties("pledge_contract", ("lender", "pledgor")),
    required=AGREEMENT_REQUIRED, sample=demo_agreement, related=AGREEMENT_RELATED,
)
PLEDGE_SUPERVISION_AGREEMENT = registry.DocumentKind(
    code="pledge_supervision_agreement", prefix="PSA", title=_("Tripartite Pledged Goods Supervision Agreement"),
    model=PledgeAgreement, build_context=agreement_context,
    parties=_agreement_parties("pledge_supervision_agreement", ("lender", "pledgor", "warehouse")),
    required=AGREEMENT_REQUIRED, sample=demo_agreement, related=AGREEMENT_RELATED,
)
AGREEMENT_KINDS = (PLEDGE_LOAN_AGREEMENT, PLEDGE_CONTRACT, PLEDGE_SUPERVISION_AGREEMENT)
