"""Money of a factoring financing after approval: disbursement, receipts, penalty, settlement, write-off.

Every movement is one ledger entry under an idempotency key derived from the financing and
the event, so a pressed-twice button or a retried task posts nothing the second time. The
financing's running balances change under its row lock, in the same transaction as the entry.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, localcontext

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django_fsm import can_proceed

from documents.services import document_generate
from scf.audit.services import audit_record, audited
from scf.collections.models import Receipt
from scf.collections.permissions import require_receipts_staff
from scf.collections.registry import Applied
from scf.collections.services import receipt_apply, receipt_apply_from_suspense, receipt_input_clean
from scf.core.exceptions import IllegalTransition
from scf.facilities.exceptions import FacilityUnavailable
from scf.facilities.models import CreditFacility
from scf.facilities.services import facility_consume, facility_lock, facility_restore
from scf.ledger.models import Account
from scf.ledger.services import (
    AccountRef,
    Line,
    account_code,
    accounts_by_code,
    accrual_post,
    entry_key,
    house_account,
    house_key,
    ledger_post,
    lines,
    party_account,
    party_key,
)
from scf.money import DayCount, allocate_in_order, round_money
from scf.parties.exceptions import NoSettlementAccount
from scf.parties.models import Organization, SettlementAccount, User
from scf.parties.permissions import require
from workflows.inbox.services import complete_step

from . import permissions
from .models import FactoringFinancing
from .services import financing_kyc_require

ZERO = Decimal("0.00")
P = Account.Purpose
State = FactoringFinancing.State


def _lock(financing: FactoringFinancing) -> FactoringFinancing:
    return FactoringFinancing.objects.select_for_update(of=("self",)).select_related(
        "facility", "supplier", "debtor", "lender", "settlement_account", "collection_account").get(pk=financing.pk)


def _only_staff(financing: FactoringFinancing, action: str) -> str:
    return _("Only the staff of %(lender)s entitled to it may %(action)s.") % {
        "lender": financing.lender.legal_name, "action": action}


ACTIONS = {
    "disburse": pgettext_lazy("financing action", "disbursed"),
    "bought_back": pgettext_lazy("financing action", "bought back"),
    "settle": pgettext_lazy("financing action", "settled"),
    "write_off": pgettext_lazy("financing action", "written off"),
    "close": pgettext_lazy("financing action", "closed"),
}


def _require_transition(financing: FactoringFinancing, name: str) -> None:
    if not can_proceed(getattr(financing, name)):
        raise IllegalTransition(
            _("Financing %(ref)s is %(state)s; it cannot be %(action)s now.")
            % {"ref": financing.reference, "state": financing.get_state_display(), "action": ACTIONS[name]}
        )


def _fire(financing: FactoringFinancing, name: str, user: User | None, note: str = "") -> None:
    _require_transition(financing, name)
    getattr(financing, name)(by=user, note=note)


def _complete(node_name: str, financing: FactoringFinancing, user: User | None) -> None:
    """Complete the flow's open task for this step, when the work was done outside it."""
    complete_step(financing, node_name, user)


# --- disbursement ---------------------------------------------------------------------------

def payout_account_require(financing: FactoringFinancing) -> SettlementAccount:
    """Return the supplier's verified account the money goes to, or refuse (no_settlement_account, 409)."""
    account = financing.payout_account()
    if account is None:
        raise NoSettlementAccount(
            _("%(ref)s cannot be paid: %(org)s has no verified settlement account in %(currency)s.")
            % {"ref": financing.reference, "org": financing.supplier.legal_name, "currency": financing.currency},
            organization=financing.supplier_id, currency=financing.currency)
    return account


def disbursement_check(*, financing: FactoringFinancing, acting_user: User, on: datetime.date,
                       facility: Callable[[], CreditFacility]) -> SettlementAccount | None:
    """Raise what disbursing the financing on `on` refuses; moves nothing.

    Return the supplier's account the money goes to, or None when it was disbursed already (nothing
    to do). `facility` returns the financing's facility: locked by the disbursement, read by its
    preparation (scf.releases), which calls this same list of refusals.
    """
    require(permissions.can_disburse(acting_user, financing), _only_staff(financing, _("disburse")))
    if financing.state != State.SIGNED:
        if financing.disbursed_on is not None:
            return None
        raise IllegalTransition(
            _("Financing %(ref)s is %(state)s: it is disbursed only once every party has signed.")
            % {"ref": financing.reference, "state": financing.get_state_display()}
        )
    if on < financing.value_date:
        # Interest runs from the value date: paying earlier would lend days nobody is charged for.
        raise IllegalTransition(_("Financing %(ref)s is disbursed on its value date, %(date)s, not before.")
                                % {"ref": financing.reference, "date": financing.value_date.isoformat()})
    facility = facility()
    financing_kyc_require(supplier=financing.supplier, facility=facility, on=on)
    if facility.state == CreditFacility.State.FROZEN:
        # Its reservation stands, but no money goes out on a frozen line until a risk manager unfreezes it.
        raise FacilityUnavailable(
            _("Facility %(facility)s is frozen: %(ref)s is not disbursed until a risk manager unfreezes it.")
            % {"facility": facility.reference, "ref": financing.reference})
    return payout_account_require(financing)


@audited
def financing_disburse(*, financing: FactoringFinancing, acting_user: User,
                       on: datetime.date | None = None) -> FactoringFinancing:
    """Pay the net advance to the supplier: one entry, the facility's reservation drawn.

    Pressing it again after it was done changes nothing and answers the disbursed financing.
    """
    financing = _lock(financing)
    on = on or timezone.localdate()
    facility = None

    def locked_facility() -> CreditFacility:
        nonlocal facility
        facility = facility_lock(pk=financing.facility_id)
        return facility

    account = disbursement_check(financing=financing, acting_user=acting_user, on=on, facility=locked_facility)
    if account is None:
        return financing
    financing.settlement_account = account
    currency = financing.currency
    a, i, f = financing.advance_amount, financing.interest_amount, financing.fee_amount
    arrears = financing.interest_mode == "arrears"
    supplier, lender = financing.supplier, financing.lender
    # The accounts the entry moves, together (the first disbursement in a lender's books opens them).
    wanted = [(lender, supplier, P.ADVANCES, currency), (lender, None, P.LENDER_FUNDING, currency)]
    wanted += [(lender, None, purpose, currency) for purpose, amount in ((P.INTEREST_INCOME, i), (P.FEE_INCOME, f))
               if amount]
    if arrears and i:
        wanted.append((lender, supplier, P.INTEREST_RECEIVABLE, currency))
    accounts = accounts_by_code(wanted)

    def account(owner, purpose):
        return accounts[account_code(lender=lender, owner=owner, purpose=purpose, currency=currency)]

    postings = lines(
        (account(supplier, P.ADVANCES), a),
        (lambda: account(supplier, P.INTEREST_RECEIVABLE), i if arrears else ZERO),
        (account(None, P.LENDER_FUNDING), -financing.net_disbursement),
        (lambda: account(None, P.INTEREST_INCOME), -i),
        (lambda: account(None, P.FEE_INCOME), -f),
    )
    ledger_post(idempotency_key=entry_key("factoring", financing.reference, "disbursement"), lines=postings,
                description=_("Disbursement of %(ref)s to %(supplier)s")
                % {"ref": financing.reference, "supplier": supplier.legal_name},
                acting_user=acting_user, value_date=on)
    facility_consume(facility=facility, reference=financing.reference, acting_user=acting_user, locked=True)
    _fire(financing, "disburse", acting_user)
    financing.disbursed_on = on
    financing.advance_outstanding = a
    financing.interest_outstanding = i if arrears else ZERO
    financing.save(update_fields=["state", "settlement_account", "disbursed_on", "advance_outstanding",
                                  "interest_outstanding"])
    _advise(financing, "disbursement_advice")
    _complete("disburse", financing, acting_user)
    return financing


# --- penalty interest -----------------------------------------------------------------------

def overdue_from(financing: FactoringFinancing) -> datetime.date:
    """Return the first overdue day: the day after the grace days that follow the due date."""
    return financing.due_date + datetime.timedelta(days=financing.facility.grace_days + 1)


def penalty_exact(financing: FactoringFinancing, to_date: datetime.date) -> Decimal:
    """Return the exact (unrounded) penalty interest for the overdue days before `to_date`.

    Each day's unpaid advance is the advance less what receipts dated on or before that day
    repaid of it (the day of payment carries no interest: start inclusive, end exclusive).
    """
    start = overdue_from(financing)
    if to_date <= start:
        return Decimal("0")
    repayments = financing.receipts.filter(applied_advance__gt=0, value_date__lt=to_date).values_list(
        "value_date", "applied_advance")
    return penalty_accrual(advance=financing.advance_amount, annual_rate=financing.annual_rate,
                           multiplier=financing.facility.penalty_multiplier, day_count=financing.day_count,
                           start=start, to_date=to_date, repayments=repayments)


def penalty_accrual(*, advance: Decimal, annual_rate: Decimal, multiplier: Decimal, day_count: str,
                    start: datetime.date, to_date: datetime.date,
                    repayments) -> Decimal:
    """Return the exact penalty from `start` (the first overdue day) to `to_date` (exclusive), unrounded.

    `repayments` are (value date, amount repaid of the advance) pairs; those dated on or after
    `to_date` are left out. The nightly job computes a whole chunk's penalties with it.
    """
    if to_date <= start:
        return Decimal("0")
    repayments = sorted((paid_on, paid) for paid_on, paid in repayments if paid_on < to_date)
    basis = DayCount(day_count).basis
    with localcontext() as ctx:
        ctx.prec = 50
        daily_rate = annual_rate * multiplier / basis
        total = Decimal("0")
        unpaid = advance
        cursor = start
        # Walk the overdue period in stretches of constant unpaid advance.
        for paid_on, paid in repayments + [(to_date, ZERO)]:
            if paid_on > cursor:
                stretch_end = min(paid_on, to_date)
                total += unpaid * daily_rate * (stretch_end - cursor).days
                cursor = stretch_end
            unpaid -= paid
            if cursor >= to_date:
                break
        return total


def _accrue_penalty(financing: FactoringFinancing, to_date: datetime.date, acting_user: User | None) -> Decimal:
    """Post round(exact accrual to date) minus what is already posted; return what was posted."""
    currency = financing.currency
    due = accrual_post(
        exact=penalty_exact(financing, to_date), posted=financing.penalty_accrued,
        idempotency_key=entry_key("factoring", financing.reference, "penalty", to_date),
        debit=lambda: party_account(financing.supplier, P.PENALTY_RECEIVABLE, currency, lender=financing.lender),
        credit=lambda: house_account(P.PENALTY_INCOME, currency, lender=financing.lender),
        description=_("Penalty interest on %(ref)s to %(date)s") % {"ref": financing.reference, "date": to_date},
        acting_user=acting_user, value_date=to_date,
    )
    if not due:
        return ZERO
    financing.penalty_accrued += due
    financing.penalty_outstanding += due
    financing.penalty_accrued_to = to_date
    financing.save(update_fields=["penalty_accrued", "penalty_outstanding", "penalty_accrued_to"])
    return due


@audited
def financing_accrue_penalty(*, financing: FactoringFinancing, on: datetime.date) -> Decimal:
    """Bring the posted penalty interest up to the exact accrual for the days before `on`."""
    financing = _lock(financing)
    if financing.state not in (State.OVERDUE, State.RECOURSE_CLAIMED) or financing.advance_outstanding <= 0:
        return ZERO
    return _accrue_penalty(financing, on, None)


# --- receipts -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Allocation:
    penalty: Decimal
    interest: Decimal
    fees: Decimal
    advance: Decimal
    rebate: Decimal
    suspense: Decimal


def allocate(amount: Decimal, *, penalty: Decimal, interest: Decimal, fees: Decimal, advance: Decimal,
             rebate_room: Decimal) -> Allocation:
    """Apply a payment in order: penalty, interest, fees, advance; then the rebate; the rest waits in suspense."""
    taken, left = allocate_in_order(amount, [("penalty", penalty), ("interest", interest), ("fees", fees),
                                             ("advance", advance), ("rebate", rebate_room)])
    return Allocation(**taken, suspense=left)


def _apply_to_financing(financing: FactoringFinancing, amount: Decimal, *, kind: str, value_date: datetime.date,
                        acting_user: User | None) -> Allocation:
    """Accrue penalty to the value date, then split `amount` by the waterfall and update the balances."""
    if financing.state in (State.OVERDUE, State.RECOURSE_CLAIMED) and financing.advance_outstanding > 0:
        _accrue_penalty(financing, value_date, acting_user)
    rebate_room = financing.collectable_from_debtor if kind == Receipt.Kind.DEBTOR_PAYMENT else ZERO
    allocation = allocate(amount, penalty=financing.penalty_outstanding, interest=financing.interest_outstanding,
                          fees=financing.fees_outstanding, advance=financing.advance_outstanding,
                          rebate_room=max(rebate_room - financing.lender_owed, ZERO))
    financing.penalty_outstanding -= allocation.penalty
    financing.interest_outstanding -= allocation.interest
    financing.fees_outstanding -= allocation.fees
    financing.advance_outstanding -= allocation.advance
    financing.rebate_due += allocation.rebate
    if kind == Receipt.Kind.DEBTOR_PAYMENT:
        financing.collected_amount += amount - allocation.suspense
    return allocation


def _receipt_lines(financing: FactoringFinancing, debit: AccountRef, amount: Decimal, a: Allocation) -> list[Line]:
    currency, supplier = financing.currency, financing.supplier
    return lines(
        (debit, amount),
        (party_key(supplier, P.PENALTY_RECEIVABLE, currency, lender=financing.lender), -a.penalty),
        (party_key(supplier, P.INTEREST_RECEIVABLE, currency, lender=financing.lender), -a.interest),
        (party_key(supplier, P.ADVANCES, currency, lender=financing.lender), -(a.fees + a.advance)),
        (party_key(supplier, P.SUPPLIER_SETTLEMENT, currency, lender=financing.lender), -a.rebate),
        (house_key(P.SUSPENSE, currency, lender=financing.lender), -a.suspense),
    )


def receipt_check(*, financing: FactoringFinancing, amount: Decimal, value_date: datetime.date,
                  bank_reference: str, acting_user: User, payer: Organization | None = None,
                  fresh: bool = False) -> tuple[Decimal, str]:
    """Raise what recording the receipt refuses; moves nothing. Return the amount and bank reference as recorded.

    Recording calls it first; the financing's own refusals follow once the receipt is known to be new
    (the same bank reference again answers the first receipt). The receipt's preparation (scf.releases)
    calls it `fresh`, for a bank reference nobody recorded, so the financing's refusals are checked too.
    """
    amount, bank_reference = receipt_input_clean(amount=amount, value_date=value_date, bank_reference=bank_reference)
    require_receipts_staff(acting_user, lender=financing.lender, action=_("record receipts"))
    if fresh:
        financing_receipt_check(financing, value_date=value_date, payer=payer)
    return amount, bank_reference


@audited
def receipt_record(*, financing: FactoringFinancing, amount: Decimal, value_date: datetime.date, bank_reference: str,
                   acting_user: User, payer: Organization | None = None, payer_role: str = "") -> Receipt:
    """Record money received for a financing and apply it by the waterfall of DESIGN §5.

    The payer is `payer`, or the financing's party of `payer_role` ("supplier" or "debtor") as read under its lock.

    The debtor's payment goes to penalty interest, arrears interest, fees and the advance, then
    to the supplier's rebate up to the confirmed amount; the supplier's buy-back after a
    recourse claim covers what the lender is owed. More than that waits in suspense. The same
    bank reference recorded again answers the first receipt and posts nothing.
    """
    # Look for the receipt under the financing's lock, so that concurrent retries queue here and
    # all but the first find it recorded.
    financing = _lock(financing)
    if payer is None and payer_role:
        payer = {"supplier": financing.supplier, "debtor": financing.debtor}[payer_role]
    amount, bank_reference = receipt_check(financing=financing, amount=amount, value_date=value_date,
                                           bank_reference=bank_reference, acting_user=acting_user)
    receipt, new = receipt_apply(case=financing, amount=amount, value_date=value_date, bank_reference=bank_reference,
                                 acting_user=acting_user, payer=payer)
    if new:
        _after_receipt(financing, receipt, acting_user)
    return receipt


def _allocation_fields(allocation: Allocation) -> dict[str, Decimal]:
    return {"applied_penalty": allocation.penalty, "applied_interest": allocation.interest,
            "applied_fees": allocation.fees, "applied_advance": allocation.advance, "rebate": allocation.rebate,
            "suspense": allocation.suspense}


def financing_receipt_check(financing: FactoringFinancing, *, value_date: datetime.date,
                            payer: Organization | None) -> Organization:
    """Raise what applying money received on `value_date` to the financing refuses; return who paid.

    Applying a receipt (recorded or from suspense) calls it, and so does a receipt's preparation
    (scf.releases) through `receipt_check`.
    """
    if financing.state not in (State.DISBURSED, State.OVERDUE, State.RECOURSE_CLAIMED):
        raise IllegalTransition(_("Financing %(ref)s is %(state)s: it takes no receipts.")
                                % {"ref": financing.reference, "state": financing.get_state_display()})
    if value_date < financing.disbursed_on:
        raise ValidationError({"value_date": _("The value date is before the disbursement on %(date)s.")
                               % {"date": financing.disbursed_on}})
    if financing.penalty_accrued_to and value_date < financing.penalty_accrued_to:
        raise ValidationError({"value_date": _(
            "Penalty interest is already posted to %(date)s; a receipt dated earlier needs a correcting entry "
            "by the back office.") % {"date": financing.penalty_accrued_to}})
    payer = payer or (financing.supplier if financing.state == State.RECOURSE_CLAIMED else financing.debtor)
    if payer.pk not in (financing.supplier_id, financing.debtor_id):
        raise ValidationError({"payer": _("The payer is either the debtor or the supplier of %(ref)s.")
                               % {"ref": financing.reference}})
    return payer


def financing_receipt_apply(financing: FactoringFinancing, amount: Decimal, *, value_date: datetime.date,
                            bank_reference: str, acting_user: User | None, payer: Organization | None,
                            debit: AccountRef) -> Applied:
    """Check the financing takes the money, split it by the waterfall and post it (the financing is locked).

    Factoring's receipt handler (scf.collections.registry): collections records the receipt.
    """
    payer = financing_receipt_check(financing, value_date=value_date, payer=payer)
    # After a recourse claim the supplier's money buys the receivables back; the debtor's is still a
    # payment of them, which leaves the supplier its rebate.
    kind = (Receipt.Kind.BUY_BACK if financing.state == State.RECOURSE_CLAIMED and payer.pk == financing.supplier_id
            else Receipt.Kind.DEBTOR_PAYMENT)
    allocation = _apply_to_financing(financing, amount, kind=kind, value_date=value_date, acting_user=acting_user)
    entry = ledger_post(
        idempotency_key=entry_key("factoring", financing.reference, "receipt", bank_reference),
        lines=_receipt_lines(financing, debit, amount, allocation),
        description=_("Receipt %(bank)s from %(payer)s for %(ref)s")
        % {"bank": bank_reference, "payer": payer.legal_name, "ref": financing.reference},
        acting_user=acting_user, value_date=value_date,
    )
    return Applied(kind=kind, payer=payer, allocation=_allocation_fields(allocation), entry=entry)


def _after_receipt(financing: FactoringFinancing, receipt: Receipt, acting_user: User) -> None:
    """Give the facility its headroom back, close a bought-back file, and move the flow on."""
    if receipt.applied_advance:
        facility_restore(facility=financing.facility, amount=receipt.applied_advance,
                         reference=f"{financing.reference}:{receipt.bank_reference}", acting_user=acting_user)
    if receipt.kind == Receipt.Kind.BUY_BACK and financing.lender_owed == 0 and financing.rebate_due == 0:
        _fire(financing, "bought_back", acting_user, note=_("bought back by %(s)s") % {"s": financing.supplier})
        _close(financing, acting_user)
    financing.save()
    audit_record(action="factoring.receipt.record", target=financing, actor=acting_user,
                 note=f"{receipt.bank_reference} {receipt.currency} {receipt.amount} → penalty "
                      f"{receipt.applied_penalty}, interest {receipt.applied_interest}, fees {receipt.applied_fees}, "
                      f"advance {receipt.applied_advance}, rebate {receipt.rebate}, suspense {receipt.suspense}")
    _complete("collect", financing, acting_user)


@audited
def suspense_apply(*, receipt: Receipt, financing: FactoringFinancing, acting_user: User,
                   payer: Organization | None = None) -> Receipt:
    """Apply an unmatched receipt waiting in suspense to the financing it turned out to pay.

    `payer` is who paid, the debtor or the supplier, as for a receipt recorded on the financing:
    after a recourse claim only the supplier's money is a buy-back.
    """
    financing = _lock(financing)
    require_receipts_staff(acting_user, lender=financing.lender, action=_("apply money in suspense"))
    receipt, new = receipt_apply_from_suspense(receipt=receipt, case=financing, acting_user=acting_user, payer=payer)
    if new:
        _after_receipt(financing, receipt, acting_user)
    return receipt


# --- settlement, write-off, close ---------------------------------------------------------

def settlement_check(*, financing: FactoringFinancing, acting_user: User) -> bool:
    """Raise what settling the financing refuses; moves nothing. Return False when it is settled already.

    The settlement calls it under the financing's lock, its preparation (scf.releases) on a read.
    """
    require(permissions.can_settle(acting_user, financing), _only_staff(financing, _("settle")))
    if financing.state in (State.SETTLED, State.CLOSED):
        return False
    if financing.state not in (State.DISBURSED, State.OVERDUE, State.RECOURSE_CLAIMED):
        raise IllegalTransition(_("Financing %(ref)s is %(state)s: it cannot be settled.")
                                % {"ref": financing.reference, "state": financing.get_state_display()})
    if financing.lender_owed > 0:
        raise IllegalTransition(
            _("%(owed)s is still owed on %(ref)s; record the payment first.")
            % {"owed": f"{financing.currency} {financing.lender_owed:,}", "ref": financing.reference}
        )
    if financing.rebate_due - financing.rebate_paid:
        # The rebate is paid to it: the account the settlement posts to, once looked up.
        financing.settlement_account = payout_account_require(financing)
    return True


@audited
def financing_settle(*, financing: FactoringFinancing, acting_user: User) -> FactoringFinancing:
    """Pay the supplier's rebate and close the file, once the lender is owed nothing."""
    financing = _lock(financing)
    if not settlement_check(financing=financing, acting_user=acting_user):
        return financing
    rebate = financing.rebate_due - financing.rebate_paid
    if rebate:
        currency = financing.currency
        ledger_post(
            idempotency_key=entry_key("factoring", financing.reference, "rebate"),
            lines=lines((party_account(financing.supplier, P.SUPPLIER_SETTLEMENT, currency, lender=financing.lender), rebate),
                        (house_account(P.DEBTOR_COLLECTION, currency, lender=financing.lender), -rebate)),
            description=_("Rebate of %(ref)s paid to %(supplier)s")
            % {"ref": financing.reference, "supplier": financing.supplier.legal_name},
            acting_user=acting_user,
        )
        financing.rebate_paid += rebate
    _fire(financing, "settle", acting_user)
    _close(financing, acting_user)
    financing.save(update_fields=["state", "settlement_account", "rebate_paid"])
    _complete("settle", financing, acting_user)
    return financing


def write_off_check(*, financing: FactoringFinancing, acting_user: User, note: str, on: datetime.date) -> bool:
    """Raise what writing the financing off on `on` refuses; moves nothing. Return False when it is closed already.

    The write-off calls it under the financing's lock, its preparation (scf.releases) on a read.
    """
    if not (note or "").strip():
        raise ValidationError({"note": _("Say why the financing is written off.")})
    require(permissions.can_write_off(acting_user, financing), _only_staff(financing, _("write off")))
    if financing.state in (State.WRITTEN_OFF, State.CLOSED):
        return False
    if financing.state == State.OVERDUE and financing.with_recourse:
        raise IllegalTransition(_("%(ref)s is with recourse: claim the buy-back from the supplier before writing "
                                  "it off.") % {"ref": financing.reference})
    _require_transition(financing, "write_off")
    # Only an overdue file is written off, and its penalty interest is brought up to date first.
    if financing.lender_owed == 0 and round_money(penalty_exact(financing, on)) <= financing.penalty_accrued:
        raise IllegalTransition(_("Nothing is owed on %(ref)s: settle it instead of writing it off.")
                                % {"ref": financing.reference})
    return True


@audited
def financing_write_off(*, financing: FactoringFinancing, acting_user: User, note: str) -> FactoringFinancing:
    """Recognise the loss of what is still owed: the lender bears it."""
    financing = _lock(financing)
    today = timezone.localdate()
    if not write_off_check(financing=financing, acting_user=acting_user, note=note, on=today):
        return financing
    # The facility before the audit chain head, as every service that touches both: one order, no deadlock.
    facility_lock(pk=financing.facility_id)
    _accrue_penalty(financing, today, acting_user)
    _fire(financing, "write_off", acting_user, note=note)
    currency, supplier = financing.currency, financing.supplier
    total = financing.lender_owed
    ledger_post(
        idempotency_key=entry_key("factoring", financing.reference, "write-off"),
        lines=lines((house_account(P.LOSS, currency, lender=financing.lender), total),
                    (party_account(supplier, P.PENALTY_RECEIVABLE, currency, lender=financing.lender), -financing.penalty_outstanding),
                    (party_account(supplier, P.INTEREST_RECEIVABLE, currency, lender=financing.lender), -financing.interest_outstanding),
                    (party_account(supplier, P.ADVANCES, currency, lender=financing.lender), -(financing.fees_outstanding
                                                                       + financing.advance_outstanding))),
        description=_("Write-off of %(ref)s: %(note)s") % {"ref": financing.reference, "note": note},
        acting_user=acting_user,
    )
    if financing.advance_outstanding:
        facility_restore(facility=financing.facility, amount=financing.advance_outstanding,
                         reference=f"{financing.reference}:write-off", acting_user=acting_user)
    financing.written_off_amount = total
    financing.penalty_outstanding = financing.interest_outstanding = ZERO
    financing.fees_outstanding = financing.advance_outstanding = ZERO
    _close(financing, acting_user)
    financing.save()
    _complete("collect", financing, acting_user)
    return financing


def _close(financing: FactoringFinancing, acting_user: User | None) -> None:
    """Close a settled, bought-back or written-off file, and send the supplier the settlement advice.

    The invoices are done with too, however the file ended: none of them can be financed again. Each says how:
    settled when the debtor paid, bought back by the supplier, or written off, so the debtor is never told an
    invoice it did not pay is settled.
    """
    ending = {State.SETTLED: "settle", State.BOUGHT_BACK: "bought_back", State.WRITTEN_OFF: "write_off"}[
        financing.state]
    _fire(financing, "close", acting_user)
    # Every invoice of the file, locked and read once (in key order, as a request locks invoices), then put in the
    # order the advice prints them.
    receivables = sorted(financing.receivables.select_for_update().order_by("pk"),
                         key=lambda receivable: (receivable.due_date, receivable.invoice_number))
    for receivable in receivables:
        if receivable.state == "financed":
            getattr(receivable, ending)(by=acting_user, note=financing.reference)
            receivable.save()
    # The caller saves the financing once, with what it changed before closing it.
    financing._receivables_read = receivables
    try:
        _advise(financing, "settlement_advice")
    finally:
        del financing._receivables_read


def _advise(financing: FactoringFinancing, kind: str) -> None:
    """Issue an advice to the supplier, in its language; rendered after commit like every document."""
    document_generate(obj=financing, kind_code=kind, language=financing.supplier.preferred_language,
                      acting_user=None)
