"""Money that comes in: record receipts, apply them through the product owning the case, keep and return suspense.

A receipt is identified by its lender and the bank's reference: recording it again answers the
first receipt and posts nothing. Applying money to a case is the product's business (its
handler in `registry`); collections records how the money was split and keeps what is
unmatched, or more than owed, in suspense until operations apply or return it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models
from django.utils import timezone
from django.utils.translation import gettext as _

from scf.audit.services import audit_record, audited
from scf.core.exceptions import IdempotencyConflict, IllegalTransition
from scf.core.races import insert_once, insert_unless_taken
from scf.ledger.models import Account
from scf.ledger.services import entry_key, house_account, house_key, ledger_post, lines
from scf.money import MAX_AMOUNT_IN_WORDS
from scf.parties.models import Organization, User

from .models import ALLOCATION_FIELDS, Receipt
from .permissions import require_receipts_staff
from .registry import Applied, handler_for

P = Account.Purpose


def receipt_input_clean(*, amount: Decimal | None, value_date: datetime.date | None,
                        bank_reference: str | None) -> tuple[Decimal, str]:
    """Return the amount and the bank reference as recorded, or raise ValidationError naming each bad field."""
    errors = {}
    # Bank statements print references in either case: B1 and b1 are one payment.
    bank_reference = (bank_reference or "").strip().upper()
    if not bank_reference:
        errors["bank_reference"] = _("Enter the bank's reference for the payment.")
    if amount is None or amount <= 0:
        errors["amount"] = _("The amount must be greater than zero.")
    elif amount > MAX_AMOUNT_IN_WORDS:
        # Every advice writes the amount in words, and no payment of a financing comes near it.
        errors["amount"] = _("The amount cannot be more than %(max)s.") % {"max": f"{MAX_AMOUNT_IN_WORDS:,}"}
    elif amount != amount.quantize(Decimal("0.01")):
        errors["amount"] = _("Amounts are recorded to the cent.")
    if value_date is None:
        errors["value_date"] = _("Enter the value date.")
    elif value_date > timezone.localdate():
        errors["value_date"] = _("The value date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    return amount, bank_reference


def receipt_existing(*, lender: Organization, bank_reference: str, amount: Decimal,
                     case: models.Model | None = None) -> Receipt | None:
    """Return the lender's receipt with this bank reference, if recorded (another bank may use the same string).

    The same reference for another amount, or recorded for another case, is a conflict; one
    waiting in suspense unmatched is applied on the Suspense page, not recorded again for a case.
    """
    receipt = Receipt.objects.filter(lender=lender, bank_reference=bank_reference).first()
    if receipt is None:
        return None
    if case is not None and receipt.kind == Receipt.Kind.UNMATCHED and receipt.case_id is None:
        raise IdempotencyConflict(
            _("Bank reference %(ref)s is waiting in suspense as an unmatched receipt; apply it to the financing "
              "on the Suspense page.") % {"ref": bank_reference})
    if receipt.amount != amount or (case is not None and not receipt.pays(case)):
        raise IdempotencyConflict(
            _("Bank reference %(ref)s was already recorded for %(amount)s; nothing was recorded.")
            % {"ref": bank_reference, "amount": f"{receipt.amount:,}"}
        )
    return receipt


def _allocation(applied: Applied, amount: Decimal) -> dict:
    unknown = set(applied.allocation) - set(ALLOCATION_FIELDS)
    if unknown:
        raise ValueError(f"Unknown allocation columns {sorted(unknown)}.")
    fields = {name: applied.allocation.get(name, Decimal("0.00")) for name in ALLOCATION_FIELDS}
    if sum(fields.values()) != amount:
        raise ValueError(f"The allocation {fields} does not add up to {amount}.")
    fields["status"] = Receipt.Status.SUSPENSE if fields["suspense"] else Receipt.Status.APPLIED
    return fields


def receipt_apply(*, case: models.Model, amount: Decimal, value_date: datetime.date, bank_reference: str,
                  acting_user: User, payer: Organization | None = None) -> tuple[Receipt, bool]:
    """Apply money received for a case through its product's handler, and record the receipt.

    Return the receipt and whether it is new: the same bank reference of the case's lender
    answers the first receipt and applies nothing. Run inside the product's service, which holds
    the case's lock (so concurrent retries queue and all but the first find the receipt) and has
    cleaned the input and checked the user.
    """
    existing = receipt_existing(lender=case.lender, bank_reference=bank_reference, amount=amount, case=case)
    if existing is not None:
        return existing, False

    applied = handler_for(case).apply(case, amount=amount, value_date=value_date, bank_reference=bank_reference,
                                      payer=payer, debit=house_key(P.DEBTOR_COLLECTION, case.currency, lender=case.lender),
                                      acting_user=acting_user)
    receipt = Receipt(
        case=case, case_reference=case.reference, lender=case.lender, kind=applied.kind, payer=applied.payer,
        payer_name=applied.payer.legal_name, bank_reference=bank_reference, value_date=value_date,
        currency=case.currency, amount=amount, entry=applied.entry, recorded_by=acting_user,
        **_allocation(applied, amount),
    )
    # Inserted unless the bank line was recorded at this very moment elsewhere (the Suspense page, another system):
    # one statement, no savepoint. The winner's receipt refuses this one, and what this unit of work applied is
    # rolled back with it (retries of this case queue on its lock and find the receipt before applying anything).
    # The refusal must end the caller's transaction: a caller that caught it and went on would keep the posting.
    if insert_unless_taken(receipt):
        return receipt, True
    if receipt_existing(lender=case.lender, bank_reference=bank_reference, amount=amount, case=case) is None:
        raise IntegrityError(f"Receipt {bank_reference} of lender {case.lender_id} could not be inserted.")
    raise IdempotencyConflict(_("Bank reference %(ref)s was recorded for this case at this moment by someone else; "
                                "nothing more was recorded.") % {"ref": bank_reference})


def receipt_apply_from_suspense(*, receipt: Receipt, case: models.Model, acting_user: User,
                                payer: Organization | None = None) -> tuple[Receipt, bool]:
    """Apply an unmatched receipt waiting in suspense to the case it turned out to pay.

    Return the receipt and whether it was applied now (applied to this case before: nothing
    more is done). Run inside the product's service, which holds the case's lock and has checked
    the user; money is never moved to a case of another lender or currency.
    """
    receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
    if receipt.pays(case) and receipt.status != Receipt.Status.SUSPENSE:
        return receipt, False
    if receipt.lender_id != case.lender_id:
        raise ValidationError({"financing": _("Receipt %(ref)s came into the collection account of %(lender)s; it "
                                              "cannot pay a financing of another lender.")
                               % {"ref": receipt.bank_reference, "lender": receipt.lender}})
    if receipt.kind != Receipt.Kind.UNMATCHED or receipt.status != Receipt.Status.SUSPENSE:
        raise IllegalTransition(_("Receipt %(ref)s is not an unmatched receipt waiting in suspense.")
                                % {"ref": receipt.bank_reference})
    if receipt.currency != case.currency:
        raise ValidationError({"financing": _("The receipt is in %(cur)s; the financing is not.")
                               % {"cur": receipt.currency}})
    applied = handler_for(case).apply(case, amount=receipt.amount, value_date=receipt.value_date,
                                      bank_reference=receipt.bank_reference, payer=payer,
                                      debit=house_key(P.SUSPENSE, receipt.currency, lender=receipt.lender), acting_user=acting_user)
    receipt.case, receipt.case_reference = case, case.reference
    receipt.kind, receipt.payer = applied.kind, applied.payer
    for field, value in _allocation(applied, receipt.amount).items():
        setattr(receipt, field, value)
    receipt.save()
    return receipt, True


def receipt_unmatched_check(*, lender: Organization, amount: Decimal, value_date: datetime.date,
                            bank_reference: str, acting_user: User) -> tuple[Decimal, str]:
    """Raise what recording an unmatched receipt refuses; record nothing. Return the amount and reference as kept.

    Recording calls it first, and so does its preparation (scf.releases).
    """
    require_receipts_staff(acting_user, action=_("record receipts"), lender=lender)
    return receipt_input_clean(amount=amount, value_date=value_date, bank_reference=bank_reference)


@audited
def receipt_record_unmatched(*, lender: Organization, amount: Decimal, value_date: datetime.date,
                             bank_reference: str, payer_name: str, acting_user: User,
                             currency: str = "CNY") -> Receipt:
    """Record money the lender received that matches no case: it waits in suspense, never kept or dropped."""
    amount, bank_reference = receipt_unmatched_check(lender=lender, amount=amount, value_date=value_date,
                                                     bank_reference=bank_reference, acting_user=acting_user)
    existing = receipt_existing(lender=lender, bank_reference=bank_reference, amount=amount)
    if existing is not None:
        return existing

    def record() -> Receipt:
        entry = ledger_post(
            idempotency_key=entry_key("receipt", lender.uscc, bank_reference),
            lines=lines((house_account(P.DEBTOR_COLLECTION, currency, lender=lender), amount),
                        (house_account(P.SUSPENSE, currency, lender=lender), -amount)),
            description=_("Unmatched receipt %(bank)s from %(payer)s") % {"bank": bank_reference, "payer": payer_name},
            acting_user=acting_user, value_date=value_date,
        )
        return Receipt.objects.create(
            lender=lender, kind=Receipt.Kind.UNMATCHED, status=Receipt.Status.SUSPENSE, payer_name=payer_name[:200],
            bank_reference=bank_reference, value_date=value_date, currency=currency, amount=amount, suspense=amount,
            entry=entry, recorded_by=acting_user,
        )

    # Recorded at once by someone else (five clicks, the payment task): the first receipt answers them all.
    receipt, _new = insert_once(record, lambda: receipt_existing(lender=lender, bank_reference=bank_reference,
                                                                 amount=amount))
    return receipt


def suspense_return_check(*, receipt: Receipt, acting_user: User, note: str) -> bool:
    """Raise what returning the receipt's suspense refuses; move nothing. Return False when it was returned already.

    The return calls it under the receipt's lock, its preparation (scf.releases) on a read.
    """
    require_receipts_staff(acting_user, action=_("return money in suspense"), lender=receipt.lender)
    if receipt.status == Receipt.Status.RETURNED:
        return False
    if receipt.status != Receipt.Status.SUSPENSE or not receipt.suspense:
        raise IllegalTransition(_("Nothing of receipt %(ref)s is in suspense.") % {"ref": receipt.bank_reference})
    if not (note or "").strip():
        raise ValidationError({"note": _("Say why the money is returned.")})
    return True


@audited
def suspense_return(*, receipt: Receipt, acting_user: User, note: str) -> Receipt:
    """Pay back what a receipt left in suspense to whoever paid it."""
    receipt = Receipt.objects.select_for_update().select_related("lender").get(pk=receipt.pk)
    if not suspense_return_check(receipt=receipt, acting_user=acting_user, note=note):
        return receipt
    currency = receipt.currency
    ledger_post(
        idempotency_key=entry_key("receipt", receipt.lender.uscc, receipt.bank_reference, "return"),
        lines=lines((house_account(P.SUSPENSE, currency, lender=receipt.lender), receipt.suspense),
                    (house_account(P.DEBTOR_COLLECTION, currency, lender=receipt.lender), -receipt.suspense)),
        description=_("Return of %(amount)s in suspense from receipt %(bank)s: %(note)s")
        % {"amount": receipt.suspense, "bank": receipt.bank_reference, "note": note},
        acting_user=acting_user,
    )
    receipt.status = Receipt.Status.RETURNED
    receipt.save(update_fields=["status"])
    audit_record(action="collections.receipt.return", target=receipt, actor=acting_user, note=note)
    return receipt
