"""Factoring's letters and advices: the debtor's confirmation, the disbursement and the settlement advice.

Each kind reuses what the agreement and the notice print about a financing (`financing_context`) and
adds its own facts under one key of its own (`confirmation`, `disbursement`, `settlement`), plus the
supplier's settlement account. Every value a reader relies on is listed in the kind's `required`, so a
missing one stops generation with an error naming it rather than printing a blank.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from documents import registry
from documents.context import amount
from scf.collections.models import Receipt
from scf.parties.accounts import printed_account

from .documents import RELATED, context_reads, demo_financing, financing_context, named_parties, shared_context_reads
from .models import FactoringFinancing

ZERO = Decimal("0.00")

PARTIES_REQUIRED = [
    "lender.legal_name", "lender.uscc", "supplier.legal_name", "supplier.uscc", "debtor.legal_name", "debtor.uscc",
]
COLLECTION_ACCOUNT_REQUIRED = ["collection_account.bank", "collection_account.name", "collection_account.number"]
SUPPLIER_ACCOUNT_REQUIRED = ["supplier_account.bank", "supplier_account.name", "supplier_account.number"]

# The columns of the settlement advice's receipt table, as Receipt fields, in the order of the waterfall.
RECEIPT_COLUMNS = {
    "amount": "amount",
    "penalty": "applied_penalty",
    "interest": "applied_interest",
    "fees": "applied_fees",
    "advance": "applied_advance",
    "rebate": "rebate",
    "suspense": "suspense",
}


def supplier_account(financing: FactoringFinancing) -> dict | None:
    """Return the supplier's settlement account the financing pays into, as printed, or None when it has none.

    A demo sample may carry a marked placeholder in memory (`demo_supplier_account`), never saved.
    """
    placeholder = getattr(financing, "demo_supplier_account", None)
    if placeholder is not None:
        return placeholder
    return printed_account(financing.payout_account())


def _positive(value: Decimal, currency: str) -> dict | None:
    return amount(value, currency) if value and value > 0 else None


# --- the debtor's confirmation letter ---------------------------------------------------------

def confirmation_letter_context(financing: FactoringFinancing) -> dict:
    """Return what the debtor's confirmation letter prints: each receivable as confirmed, with its note.

    `confirmation.total_confirmed` is None while any receivable of the financing is unconfirmed: a
    confirmation letter cannot confirm an amount the debtor never confirmed.
    """
    with shared_context_reads(financing):
        context = financing_context(financing)
        receivables = context_reads(financing)[0]
    currency = financing.currency
    rows = []
    for receivable in receivables:
        confirmed = receivable.confirmed_amount
        shortfall = receivable.face_amount - confirmed if confirmed is not None else None
        reduced = shortfall is not None and shortfall > 0
        rows.append({
            "invoice_number": receivable.invoice_number,
            "issue_date": receivable.issue_date,
            "due_date": receivable.due_date,
            "face": amount(receivable.face_amount, receivable.currency),
            "confirmed": amount(confirmed, receivable.currency),
            # The debtor's note is printed only where it confirmed less than face: it explains the difference.
            "shortfall": amount(shortfall, receivable.currency) if reduced else None,
            "note": receivable.confirmation_note.strip() if reduced else "",
        })
    all_confirmed = bool(receivables) and all(r.confirmed_amount is not None for r in receivables)
    due_dates = sorted({r.due_date for r in receivables})
    context["confirmation"] = {
        "receivables": rows,
        "count": len(rows),
        "total_face": amount(sum((r.face_amount for r in receivables), start=ZERO), currency),
        "total_confirmed": amount(sum((r.confirmed_amount for r in receivables), start=ZERO), currency)
        if all_confirmed else None,
        "reduced": [row for row in rows if row["shortfall"]],
        "single_due_date": due_dates[0] if len(due_dates) == 1 else None,
    }
    return context


def confirmation_letter_parties(financing: FactoringFinancing) -> list[registry.SigningParty]:
    # The debtor gives the confirmation; the lender, to whom it is addressed, and the supplier are named.
    return named_parties(financing, "debtor_confirmation_letter", ("debtor", "supplier", "lender"))


CONFIRMATION_LETTER_REQUIRED = PARTIES_REQUIRED + [
    "financing.reference", "receivables", "confirmation.total_confirmed", *COLLECTION_ACCOUNT_REQUIRED,
]


# --- the disbursement advice -------------------------------------------------------------------

def disbursement_advice_context(financing: FactoringFinancing) -> dict:
    """Return what the disbursement advice prints: the quote as paid, the day it was paid and where to."""
    context = financing_context(financing)
    context["supplier_account"] = supplier_account(financing)
    context["disbursement"] = {
        # Demo and older financings may not carry the day of payment: the value date is the day it is due.
        "date": financing.disbursed_on or financing.value_date,
        "interest_in_advance": financing.interest_mode == "advance",
        "basis": 365 if financing.day_count == "ACT/365" else 360,
    }
    return context


def advice_parties(financing: FactoringFinancing) -> list[registry.SigningParty]:
    # An advice is the lender's statement to the supplier: nobody signs it.
    return [
        registry.SigningParty(financing.lender, "lender", must_sign=False),
        registry.SigningParty(financing.supplier, "supplier", must_sign=False),
    ]


DISBURSEMENT_ADVICE_REQUIRED = PARTIES_REQUIRED + [
    "financing.reference", "financing.value_date", "financing.due_date", "financing.tenor_days",
    "financing.advance_rate", "financing.annual_rate", "financing.all_in_rate", "disbursement.date",
    "amounts.confirmed", "amounts.advance", "amounts.interest", "amounts.fee", "amounts.net", "amounts.rebate",
    *SUPPLIER_ACCOUNT_REQUIRED,
]


# --- the settlement advice ---------------------------------------------------------------------

def _kind_label(receipt: Receipt):
    # The lazy label, so that it is translated when the template renders in the document's language
    # (get_kind_display() would fix it in whatever language is active while the context is built).
    try:
        return Receipt.Kind(receipt.kind).label
    except ValueError:
        return receipt.get_kind_display()


CLOSING_STATES = (FactoringFinancing.State.SETTLED, FactoringFinancing.State.BOUGHT_BACK,
                  FactoringFinancing.State.WRITTEN_OFF, FactoringFinancing.State.CLOSED)


def settlement_advice_context(financing: FactoringFinancing) -> dict:
    """Return what the settlement advice prints: every receipt and how it was applied, the rebate, any loss.

    `settlement.closed` is None until the financing is settled, bought back, written off or closed: an
    advice closing a financing that is still running would tell the supplier it owes nothing.
    """
    context = financing_context(financing)
    currency = financing.currency
    receipts = list(financing.receipts.order_by("value_date", "id"))
    rows = []
    for receipt in receipts:
        row = {
            "value_date": receipt.value_date,
            "payer_name": receipt.payer_name,
            "bank_reference": receipt.bank_reference,
            "kind": receipt.kind,
            "kind_display": _kind_label(receipt),
        }
        row.update({column: amount(getattr(receipt, name), receipt.currency)
                    for column, name in RECEIPT_COLUMNS.items()})
        rows.append(row)
    totals = {column: amount(sum((getattr(r, name) for r in receipts), start=ZERO), currency)
              for column, name in RECEIPT_COLUMNS.items()}
    suspense_held = sum((r.suspense for r in receipts if r.status == Receipt.Status.SUSPENSE), start=ZERO)
    suspense_returned = sum((r.suspense for r in receipts if r.status == Receipt.Status.RETURNED), start=ZERO)
    context["supplier_account"] = supplier_account(financing)
    context["settlement"] = {
        "closed": True if financing.state in CLOSING_STATES else None,
        "disbursed_on": financing.disbursed_on or financing.value_date,
        "receipts": rows,
        "count": len(rows),
        "totals": totals,
        "bought_back": any(r.kind == Receipt.Kind.BUY_BACK for r in receipts),
        "penalty_posted": amount(financing.penalty_accrued, currency),
        "rebate_paid": amount(financing.rebate_paid, currency),
        "rebate_unpaid": _positive(financing.rebate_due - financing.rebate_paid, currency),
        "written_off": _positive(financing.written_off_amount, currency),
        "outstanding": _positive(financing.lender_owed, currency),
        "suspense_held": _positive(suspense_held, currency),
        "suspense_returned": _positive(suspense_returned, currency),
    }
    return context


SETTLEMENT_ADVICE_REQUIRED = PARTIES_REQUIRED + [
    "financing.reference", "financing.value_date", "financing.due_date", "amounts.confirmed", "amounts.advance",
    "settlement.closed", "settlement.totals.amount", "settlement.penalty_posted", "settlement.rebate_paid",
    *SUPPLIER_ACCOUNT_REQUIRED,
]


# --- demo and registration ---------------------------------------------------------------------

DEMO_ACCOUNT = {"bank": "示例银行 Sample Bank (demo placeholder)", "number": "DEMO-0000-0000"}


def _demo_sample(*filters) -> FactoringFinancing | None:
    """Return the first demo financing matching `filters` (else the demo financing), for `demo_documents`.

    When the supplier has no verified settlement account, a marked placeholder is put on the object in
    memory (never saved) so that the advice templates can be looked at. A real advice still needs the
    supplier's own verified account: it is in the kinds' `required`.
    """
    financing = (FactoringFinancing.objects.filter(*filters).select_related("supplier").order_by("id").first()
                 or demo_financing())
    if financing is not None and financing.payout_account() is None:
        financing.demo_supplier_account = {**DEMO_ACCOUNT, "name": financing.supplier.legal_name}
    return financing


def demo_disbursed_financing() -> FactoringFinancing | None:
    return _demo_sample(Q(disbursed_on__isnull=False))


def demo_settled_financing() -> FactoringFinancing | None:
    return _demo_sample(Q(state__in=CLOSING_STATES))


DEBTOR_CONFIRMATION_LETTER = registry.DocumentKind(
    code="debtor_confirmation_letter", prefix="DCL", title=_("Confirmation of Receivables"),
    model=FactoringFinancing, build_context=confirmation_letter_context, parties=confirmation_letter_parties,
    required=CONFIRMATION_LETTER_REQUIRED, sample=demo_financing, related=RELATED,
    shared_reads=shared_context_reads,
)
DISBURSEMENT_ADVICE = registry.DocumentKind(
    code="disbursement_advice", prefix="DAV", title=_("Disbursement Advice"), model=FactoringFinancing,
    build_context=disbursement_advice_context, parties=advice_parties, required=DISBURSEMENT_ADVICE_REQUIRED,
    sample=demo_disbursed_financing, related=RELATED,
)
SETTLEMENT_ADVICE = registry.DocumentKind(
    code="settlement_advice", prefix="SAV", title=_("Settlement Advice"), model=FactoringFinancing,
    build_context=settlement_advice_context, parties=advice_parties, required=SETTLEMENT_ADVICE_REQUIRED,
    # Produced only for a closed financing (`settlement.closed`), and the demo seeds none yet: with a sample,
    # demo_documents would stop on it. Once the demo seeds a settled case: sample=demo_settled_financing.
    sample=None, related=RELATED,
)
