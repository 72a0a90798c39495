"""Factoring's document kinds: the factoring agreement and the notice of assignment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.utils.translation import gettext_lazy as _

from documents import registry
from documents.context import amount, party, percent
from scf.parties.accounts import printed_account

from .models import FactoringFinancing

# What the contexts and the parties read of a financing, loaded with it. Joined to the statement that locks the
# financing, these rows are read as they were when that statement began (PostgreSQL re-reads only the locked row
# after a wait): an account verified or changed while it waited is as if changed just after the read, as with any
# read; the next document reads it again. Nothing that changes an account waits for a financing's lock.
RELATED = ("lender", "supplier", "debtor", "facility", "settlement_account", "collection_account")

REQUIRED = [
    "lender.legal_name", "lender.uscc", "supplier.legal_name", "supplier.uscc", "debtor.legal_name", "debtor.uscc",
    "amounts.confirmed", "amounts.advance", "amounts.net", "financing.value_date", "financing.due_date",
    "receivables",
]


@contextmanager
def shared_context_reads(financing: FactoringFinancing) -> Iterator[None]:
    """Within the block, the contexts of `financing` read its receivables and the lender's account once.

    For documents generated together in one transaction: their contexts print the same rows.
    """
    if getattr(financing, "_context_reads", None) is not None:  # an enclosing block shares them already
        yield
        return
    financing._context_reads = context_reads(financing)
    try:
        yield
    finally:
        del financing._context_reads


def context_reads(financing: FactoringFinancing) -> tuple[list, object]:
    """Return the receivables (by due date and invoice) and the lender's collection account of the contexts."""
    shared = getattr(financing, "_context_reads", None)
    if shared is not None:
        return shared
    # The invoices as the caller has just read them, in this order, when it has (closing the file locks them all).
    receivables = getattr(financing, "_receivables_read", None)
    return (list(financing.receivables.order_by("due_date", "invoice_number")) if receivables is None else receivables,
            financing.debtor_pays_into())


def financing_context(financing: FactoringFinancing) -> dict:
    """Return what the factoring agreement and the notice print about a financing."""
    currency = financing.currency
    receivables, collection_account = context_reads(financing)
    return {
        "lender": party(financing.lender),
        "supplier": party(financing.supplier),
        "debtor": party(financing.debtor),
        "collection_account": printed_account(collection_account),
        "facility": {
            "reference": financing.facility.reference,
            "limit": amount(financing.facility.limit_amount, financing.facility.currency),
            "valid_to": financing.facility.valid_to,
        },
        "financing": {
            "reference": financing.reference,
            "currency": currency,
            "value_date": financing.value_date,
            "due_date": financing.due_date,
            "tenor_days": financing.tenor_days,
            "day_count": financing.day_count,
            "interest_mode": financing.interest_mode,
            "with_recourse": financing.with_recourse,
            "reverse": financing.reverse,
            "recourse_days": financing.facility.recourse_days,
            "grace_days": financing.facility.grace_days,
            "penalty_multiplier": financing.facility.penalty_multiplier.normalize(),
            "advance_rate": percent(financing.advance_rate),
            "annual_rate": percent(financing.annual_rate),
            "penalty_rate": percent(financing.annual_rate * financing.facility.penalty_multiplier),
            "fee_rate": percent(financing.fee_rate),
            "all_in_rate": percent(financing.all_in_rate),
        },
        "amounts": {
            "confirmed": amount(financing.confirmed_amount, currency),
            "advance": amount(financing.advance_amount, currency),
            "interest": amount(financing.interest_amount, currency),
            "fee": amount(financing.fee_amount, currency),
            "net": amount(financing.net_disbursement, currency),
            "rebate": amount(financing.confirmed_amount - financing.advance_amount
                             - (financing.interest_amount if financing.interest_mode == "arrears" else 0), currency),
        },
        "receivables": [
            {
                "invoice_number": r.invoice_number,
                "issue_date": r.issue_date,
                "due_date": r.due_date,
                "face": amount(r.face_amount, r.currency),
                "confirmed": amount(r.confirmed_amount, r.currency),
            }
            for r in receivables
        ],
        "receivables_total": {
            "face": amount(sum((r.face_amount for r in receivables), start=0), currency),
            "confirmed": amount(sum((r.financeable_amount for r in receivables), start=0), currency),
            "count": len(receivables),
        },
    }


# Who signs what, once each: the agreement is between the supplier and the lender only (it prices the
# advance, which the debtor does not see); the supplier gives the notice of assignment and the debtor
# acknowledges it; the debtor alone gives the confirmation letter. The debtor is never asked to sign
# the agreement, and the agreement has no block for it.
SIGNERS: dict[str, tuple[str, ...]] = {
    "factoring_agreement": ("supplier", "lender"),
    "notice_of_assignment": ("supplier", "debtor"),
    "debtor_confirmation_letter": ("debtor",),
}


def named_parties(financing: FactoringFinancing, kind: str, roles: tuple[str, ...]) -> list[registry.SigningParty]:
    """The parties a document names, in order; those its kind's signers list must sign."""
    return [registry.SigningParty(getattr(financing, role), role, must_sign=role in SIGNERS[kind]) for role in roles]


def agreement_parties(financing: FactoringFinancing) -> list[registry.SigningParty]:
    return named_parties(financing, "factoring_agreement", ("supplier", "lender"))


def notice_parties(financing: FactoringFinancing) -> list[registry.SigningParty]:
    # The lender, to which the debtor is told to pay, is named and does not sign.
    return named_parties(financing, "notice_of_assignment", ("supplier", "debtor", "lender"))


def demo_financing() -> FactoringFinancing | None:
    return FactoringFinancing.objects.order_by("id").first()


FACTORING_AGREEMENT = registry.DocumentKind(
    code="factoring_agreement", prefix="FAC", title=_("Factoring Agreement"), model=FactoringFinancing,
    build_context=financing_context, parties=agreement_parties, required=REQUIRED, sample=demo_financing,
    related=RELATED, shared_reads=shared_context_reads, languages=("en", "zh-hans", "bilingual"),
)
NOTICE_OF_ASSIGNMENT = registry.DocumentKind(
    code="notice_of_assignment", prefix="NOA", title=_("Notice of Assignment of Receivables"),
    model=FactoringFinancing, build_context=financing_context, parties=notice_parties,
    required=REQUIRED + ["collection_account.bank", "collection_account.name", "collection_account.number"],
    sample=demo_financing, related=RELATED, shared_reads=shared_context_reads,
)
