"""The loan's advices to the pledgor: the disbursement advice (放款通知书) and a repayment advice (还款通知书).

Both are the lender's statements and need no signature. The disbursement advice is about the drawdown
(one per loan); each repayment is its own business object, so each gets its own advice. What they
print is fixed when the event happened: the loan's amount and dates, a repayment's parts and the
principal left right after it (later repayments do not change an earlier advice).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from documents import registry
from documents.context import amount, party, percent
from scf.money import DayCount
from scf.parties.accounts import printed_account
from scf.parties.models import SettlementAccount

from .models import PledgeAgreement, PledgeDrawdown, PledgeDrawdownRepayment

DISBURSEMENT_ADVICE = "pledge_disbursement_advice"
REPAYMENT_ADVICE = "pledge_repayment_advice"
ZERO = Decimal("0.00")


def _loan(drawdown: PledgeDrawdown) -> dict:
    agreement = drawdown.agreement
    return {
        "reference": drawdown.reference, "amount": amount(drawdown.amount, agreement.currency),
        "disbursed_on": drawdown.disbursed_on, "maturity_date": drawdown.maturity_date,
    }


def _agreement(agreement: PledgeAgreement) -> dict:
    return {"reference": agreement.reference, "dynamic": agreement.kind == PledgeAgreement.Kind.DYNAMIC,
            "annual_rate": percent(agreement.annual_rate), "day_count": agreement.day_count,
            "basis": DayCount(agreement.day_count).basis}


def disbursement_context(drawdown: PledgeDrawdown) -> dict:
    """Return what the disbursement advice prints: the loan paid, when, at what rate, into which account."""
    agreement = drawdown.agreement
    return {
        "lender": party(agreement.lender), "pledgor": party(agreement.pledgor),
        "agreement": _agreement(agreement), "loan": _loan(drawdown),
        "pledgor_account": printed_account(SettlementAccount.objects.payout_for(agreement.pledgor_id,
                                                                                agreement.currency)),
    }


def principal_left_after(repayment: PledgeDrawdownRepayment) -> Decimal:
    """Return the loan's principal outstanding right after this repayment (repayments in value-date order)."""
    repaid = (PledgeDrawdownRepayment.objects.filter(drawdown_id=repayment.drawdown_id)
              .filter(Q(value_date__lt=repayment.value_date) | Q(value_date=repayment.value_date, pk__lte=repayment.pk))
              .aggregate(total=Sum("principal_part"))["total"]) or ZERO
    return repayment.drawdown.amount - repaid


def repayment_context(repayment: PledgeDrawdownRepayment) -> dict:
    """Return what a repayment advice prints: the amount received, its interest and principal parts, the principal left."""
    drawdown = repayment.drawdown
    agreement = drawdown.agreement
    currency = agreement.currency
    surplus = repayment.amount - repayment.interest_part - repayment.principal_part
    return {
        "lender": party(agreement.lender), "pledgor": party(agreement.pledgor),
        "agreement": _agreement(agreement), "loan": _loan(drawdown),
        "repayment": {
            "bank_reference": repayment.bank_reference, "value_date": repayment.value_date,
            "amount": amount(repayment.amount, currency),
            "interest": amount(repayment.interest_part, currency),
            "principal": amount(repayment.principal_part, currency),
            "surplus": amount(surplus, currency) if surplus > 0 else None,
            "principal_left": amount(principal_left_after(repayment), currency),
        },
    }


def _advice_parties(drawdown: PledgeDrawdown) -> list[registry.SigningParty]:
    agreement = drawdown.agreement
    return [registry.SigningParty(agreement.lender, "lender", must_sign=False),
            registry.SigningParty(agreement.pledgor, "pledgor", must_sign=False)]


REQUIRED = ["lender.legal_name", "lender.uscc", "pledgor.legal_name", "pledgor.uscc", "agreement.reference",
            "loan.reference", "loan.amount", "loan.disbursed_on"]

DISBURSEMENT = registry.DocumentKind(
    code=DISBURSEMENT_ADVICE, prefix="PDA", title=_("Loan Disbursement Advice"), model=PledgeDrawdown,
    build_context=disbursement_context, parties=_advice_parties,
    required=[*REQUIRED, "pledgor_account.bank", "pledgor_account.name", "pledgor_account.number"],
    related=("agreement__lender", "agreement__pledgor"),
)
REPAYMENT = registry.DocumentKind(
    code=REPAYMENT_ADVICE, prefix="PRA", title=_("Loan Repayment Advice"), model=PledgeDrawdownRepayment,
    build_context=repayment_context, parties=lambda repayment: _advice_parties(repayment.drawdown),
    required=[*REQUIRED, "repayment.value_date", "repayment.amount", "repayment.interest", "repayment.principal",
              "repayment.principal_left"],
    related=("drawdown__agreement__lender", "drawdown__agreement__pledgor"),
)


def register() -> None:
    registry.register(DISBURSEMENT, REPAYMENT)
