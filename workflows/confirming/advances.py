"""A confirming-warehouse order unpaid at maturity: the lender's advance (垫款) (DESIGN §5 "Maturity").

At maturity, an order whose margin M and refund paid R leave S = P − M − R > 0 (the seller did not refund)
is advanced by the daily job: the lender pays the seller or the bill from its own funds, and S becomes an
overdue loan to the distributor with penalty interest as in factoring, and a claim on the core enterprise
under its refund undertaking. Any open refund demand lapses; the facilities of the distributor and of the
core enterprise are frozen (risk stop) until a risk manager unfreezes them.

Ledger (the lender's books), each amount taken from where it sits:
  loan   Dr seller margin frozen R        Dr distributor margin M − M0     Cr distributor advances M − M0 + R
         (the loan P − M0 booked at funding is left at S: the advance)
  bill   Dr distributor margin frozen M0  Dr distributor margin M − M0     Dr seller margin frozen R
         Dr distributor advances S        Cr collection M + R              Cr lender funding S   (the bill paid)
  bill, off balance sheet: the acceptance pair of P reversed, as at settlement.
  penalty (daily)   Dr distributor penalty receivable   Cr penalty income
  repayment         Dr collection (or suspense)   Cr penalty receivable, then distributor advances; the rest suspense

The claim on the core enterprise equals S: it is recorded on the order (`core_claim_amount`) and in the
advance notice, not posted (it secures the same money the distributor owes). Fully repaid, the order gets
the advance settlement advice and closes through `maturity.order_close`; the facilities stay frozen.
Lock order: agreement, then order, then demand, then receipt.
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal, localcontext

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.services import document_generate
from scf.audit.services import audit_record, audited
from scf.collections.models import Receipt
from scf.collections.registry import Applied
from scf.collections.services import receipt_apply, receipt_apply_from_suspense, receipt_input_clean
from scf.facilities.services import facilities_risk_stop
from scf.ledger.models import Account, JournalEntry
from scf.ledger.services import AccountRef, accrual_post, entry_key, house_account, ledger_post, lines, party_account
from scf.money import DayCount, round_money
from scf.parties.models import Organization, User
from scf.parties.permissions import require

from . import permissions
from .exceptions import MarginReferenceReused, OrderStateConflict
from .maturity import (
    MATURING_STATES,
    bill_reversal_lines,
    open_refund_demand,
    order_close_if_complete,
    refund_demand_lapse,
    refund_outstanding,
)
from .models import PurchaseOrder
from .orders import _figure, _locked, _money

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
P = Account.Purpose
State = PurchaseOrder.State
Route = PurchaseOrder.Route
ADVANCE_NOTICE = "confirming_advance_notice"
ADVANCE_SETTLEMENT = "confirming_advance_settlement"
#: The receipt kind of money repaying an advance: the overdue loan's debtor pays it.
REPAYMENT_KIND = Receipt.Kind.DEBTOR_PAYMENT


def penalty_rate(order: PurchaseOrder) -> Decimal:
    """Return the annual penalty rate: the agreement's rate × the distributor's facility's penalty multiplier."""
    return order.agreement.annual_rate * order.agreement.facility.penalty_multiplier


def advance_lines(order: PurchaseOrder, advance: Decimal):
    """Return the advance's lines (see the module's docstring): the loan left at S, or the bill paid."""
    agreement = order.agreement
    currency, lender, distributor = order.currency, agreement.lender, agreement.distributor
    refund = order.refund_paid
    beyond = order.margin_paid - order.initial_margin
    held = (party_account(agreement.seller, P.MARGIN_FROZEN, currency, lender=lender), refund)
    margin = (party_account(distributor, P.MARGIN, currency, lender=lender), beyond)
    if order.route == Route.LOAN:
        return lines(held, margin, (party_account(distributor, P.ADVANCES, currency, lender=lender),
                                    -(beyond + refund)))
    return lines(held, margin,
                 (party_account(distributor, P.MARGIN_FROZEN, currency, lender=lender), order.initial_margin),
                 (party_account(distributor, P.ADVANCES, currency, lender=lender), advance),
                 (house_account(P.DEBTOR_COLLECTION, currency, lender=lender), -(order.margin_paid + refund)),
                 (house_account(P.LENDER_FUNDING, currency, lender=lender), -advance))


@audited
def order_advance(*, order: PurchaseOrder, acting_user: User | None, on: datetime.date | None = None) -> PurchaseOrder:
    """Advance an order unpaid at maturity: S = P − M − R becomes the distributor's overdue loan.

    Once per order (advanced again, it answers the order unchanged). Refused (409 confirming_order_state)
    before maturity, on an order settled or not funded, or when margin and refund pay P.
    """
    on = on or timezone.localdate()
    order = _locked(order)
    if order.advanced_on is not None:
        return order
    agreement = order.agreement
    advance = refund_outstanding(order)
    if order.state not in MATURING_STATES or order.settled_on is not None or order.maturity_date is None:
        raise OrderStateConflict(_("Order %(order)s is %(state)s: it cannot be advanced.")
                                 % {"order": order.reference, "state": order.get_state_display()})
    if on < order.maturity_date:
        raise OrderStateConflict(_("Order %(order)s matures on %(due)s: it is not advanced before.")
                                 % {"order": order.reference, "due": order.maturity_date.isoformat()})
    if advance <= 0:
        raise OrderStateConflict(_("Margin and refund pay order %(order)s: nothing is advanced.")
                                 % {"order": order.reference})
    demand = open_refund_demand(order)
    if demand is not None:
        refund_demand_lapse(demand=demand, acting_user=acting_user,
                            note=f"{order.currency} {refund_outstanding(order)} unpaid at maturity {on}")
    if order.route == Route.LOAN:
        description = _("Advance on order %(order)s: the loan unpaid at maturity, %(amount)s overdue") % {
            "order": order.reference, "amount": _figure(advance)}
    else:
        description = _("Advance on order %(order)s: bill %(bill)s paid, %(amount)s from the lender's funds") % {
            "order": order.reference, "bill": order.bill_number, "amount": _figure(advance)}
    entry_lines = advance_lines(order, advance)
    if entry_lines:
        ledger_post(idempotency_key=entry_key("confirming", order.reference, "advance"), lines=entry_lines,
                    description=description, acting_user=acting_user, value_date=on)
    if order.route == Route.ACCEPTANCE_BILL:
        acceptance = JournalEntry.objects.filter(
            idempotency_key=entry_key("confirming", order.reference, "acceptance")).first()
        ledger_post(idempotency_key=entry_key("confirming", order.reference, "acceptance", "reversal"),
                    lines=bill_reversal_lines(order), reverses=acceptance,
                    description=_("Acceptance bill %(bill)s paid by the lender: contingent liability reversed")
                    % {"bill": order.bill_number}, acting_user=acting_user, value_date=on)
    note = (f"{order.currency} {advance} = {order.order_amount} − margin {order.margin_paid} − refund "
            f"{order.refund_paid}, on {on}")
    order.advance(by=acting_user, note=note)
    order.advanced_on = order.penalty_accrued_to = on
    order.advance_amount = order.advance_outstanding = order.core_claim_amount = advance
    order.save(update_fields=["state", "advanced_on", "penalty_accrued_to", "advance_amount", "advance_outstanding",
                              "core_claim_amount"])
    audit_record(actor=acting_user, action="confirming.purchaseorder.core_claim", target=order,
                 note=f"{agreement.seller.legal_name}: {order.currency} {advance} under its refund undertaking")
    facilities_risk_stop(lender=agreement.lender, obligors=[agreement.distributor, agreement.seller],
                         note=_("Order %(order)s advanced at maturity: %(amount)s overdue")
                         % {"order": order.reference, "amount": _figure(advance)})
    document_generate(obj=order, kind_code=ADVANCE_NOTICE, language=agreement.distributor.preferred_language,
                      acting_user=acting_user)
    return order


def advance_matured(on: datetime.date) -> int:
    """The daily job (after the settlements): advance every order at or past maturity still unpaid."""
    advanced = 0
    candidates = PurchaseOrder.objects.filter(state__in=MATURING_STATES, settled_on__isnull=True,
                                              advanced_on__isnull=True, maturity_date__lte=on)
    for order in list(candidates.order_by("maturity_date", "pk")):
        if refund_outstanding(order) <= 0:
            continue
        try:
            with transaction.atomic():
                order_advance(order=order, acting_user=None, on=on)
        except Exception:
            logger.exception("Advance of order %s failed on %s.", order.reference, on)
            continue
        advanced += 1
    return advanced


# --- penalty interest -------------------------------------------------------------------------------

def penalty_exact(order: PurchaseOrder, to_date: datetime.date) -> Decimal:
    """Return the exact (unrounded) penalty interest on the unpaid advance for the days before `to_date`.

    From the day of the advance; each day's unpaid advance is the advance less what repayments dated on or
    before that day repaid (start inclusive, end exclusive), at the agreement's rate × the facility's
    penalty multiplier on the facility's day-count basis.
    """
    start = order.advanced_on
    if start is None or to_date <= start:
        return Decimal("0")
    repayments = sorted(Receipt.objects.for_case(order)
                        .filter(kind=REPAYMENT_KIND, applied_advance__gt=0, value_date__lt=to_date)
                        .values_list("value_date", "applied_advance"))
    basis = DayCount(order.agreement.facility.day_count).basis
    with localcontext() as ctx:
        ctx.prec = 50
        daily_rate = penalty_rate(order) / basis
        total, unpaid, cursor = Decimal("0"), order.advance_amount, start
        for paid_on, paid in [*repayments, (to_date, ZERO)]:
            if paid_on > cursor:
                stretch_end = min(paid_on, to_date)
                total += unpaid * daily_rate * (stretch_end - cursor).days
                cursor = stretch_end
            unpaid -= paid
            if cursor >= to_date:
                break
        return total


def _accrue_penalty(order: PurchaseOrder, to_date: datetime.date, acting_user: User | None) -> Decimal:
    """Post round(exact accrual to date) − posted (the order locked by the caller); return what was posted."""
    agreement = order.agreement
    currency = order.currency
    due = accrual_post(
        exact=penalty_exact(order, to_date), posted=order.penalty_accrued,
        idempotency_key=entry_key("confirming", order.reference, "penalty", to_date),
        debit=lambda: party_account(agreement.distributor, P.PENALTY_RECEIVABLE, currency, lender=agreement.lender),
        credit=lambda: house_account(P.PENALTY_INCOME, currency, lender=agreement.lender),
        description=_("Penalty interest on the advance of order %(order)s to %(date)s")
        % {"order": order.reference, "date": to_date.isoformat()},
        acting_user=acting_user, value_date=to_date)
    if to_date > (order.penalty_accrued_to or to_date):
        order.penalty_accrued_to = to_date
    if due:
        order.penalty_accrued += due
        order.penalty_outstanding += due
    order.save(update_fields=["penalty_accrued", "penalty_outstanding", "penalty_accrued_to"])
    return due


@audited
def order_accrue_penalty(*, order: PurchaseOrder, on: datetime.date) -> Decimal:
    """Bring the posted penalty interest of an advanced order up to the exact accrual for the days before `on`."""
    order = _locked(order)
    if order.state != State.ADVANCED or order.advance_outstanding <= 0:
        return ZERO
    return _accrue_penalty(order, on, None)


def accrue_advance_penalties(on: datetime.date) -> int:
    """The daily job: accrue the penalty interest of every advanced order with advance unpaid; return how many."""
    accrued = 0
    candidates = PurchaseOrder.objects.filter(state=State.ADVANCED, advance_outstanding__gt=0).order_by("pk")
    for order in list(candidates):
        try:
            with transaction.atomic():
                if order_accrue_penalty(order=order, on=on):
                    accrued += 1
        except Exception:
            logger.exception("Penalty interest of order %s failed on %s.", order.reference, on)
    return accrued


# --- repayment, through collections ----------------------------------------------------------------

def advance_receipt_apply(order: PurchaseOrder, amount: Decimal, *, value_date: datetime.date, bank_reference: str,
                          acting_user: User | None, payer: Organization | None, debit: AccountRef) -> Applied:
    """The receipt handler's advance repayment: penalty interest to the value date first, then the advance.

    More than is owed waits in suspense. The order is locked by the caller; its balances are updated here,
    what follows (the advice, the closing) by the caller (`_after_repayment`).
    """
    agreement = order.agreement
    if order.state != State.ADVANCED:
        raise OrderStateConflict(_("Order %(order)s is %(state)s: it has no advance to repay.")
                                 % {"order": order.reference, "state": order.get_state_display()})
    if order.advance_outstanding > 0:
        _accrue_penalty(order, value_date, acting_user)
    penalty = min(amount, order.penalty_outstanding)
    advance = min(amount - penalty, order.advance_outstanding)
    left = amount - penalty - advance
    currency, lender = order.currency, agreement.lender
    entry = ledger_post(
        idempotency_key=entry_key("confirming", order.reference, "advance-repayment", bank_reference),
        lines=lines((debit, amount),
                    (party_account(agreement.distributor, P.PENALTY_RECEIVABLE, currency, lender=lender), -penalty),
                    (party_account(agreement.distributor, P.ADVANCES, currency, lender=lender), -advance),
                    (house_account(P.SUSPENSE, currency, lender=lender), -left)),
        description=_("Advance repayment %(bank)s on order %(order)s") % {"bank": bank_reference,
                                                                          "order": order.reference},
        acting_user=acting_user, value_date=value_date)
    order.penalty_outstanding -= penalty
    order.advance_outstanding -= advance
    order.save(update_fields=["penalty_outstanding", "advance_outstanding"])
    return Applied(kind=REPAYMENT_KIND, payer=payer or agreement.distributor,
                   allocation={"applied_penalty": penalty, "applied_advance": advance, "suspense": left}, entry=entry)


def _after_repayment(order: PurchaseOrder, receipt: Receipt, acting_user: User | None) -> PurchaseOrder:
    """Record the repayment; repaid in full: the advance settlement advice, then the order closes if it may."""
    audit_record(actor=acting_user, action="confirming.purchaseorder.advance_repayment", target=order,
                 note=f"{receipt.bank_reference} {order.currency} {receipt.amount}: penalty {receipt.applied_penalty}, "
                      f"advance {receipt.applied_advance} → outstanding {order.advance_outstanding}")
    if order.advance_outstanding > 0 or order.penalty_outstanding > 0:
        return order
    if not (receipt.applied_advance or receipt.applied_penalty):
        return order  # money after the advance was repaid waits in suspense: the advice is not issued again
    document_generate(obj=order, kind_code=ADVANCE_SETTLEMENT, language=order.agreement.distributor.preferred_language,
                      acting_user=acting_user)
    order_close_if_complete(order=order, acting_user=acting_user)
    return order


@audited
def order_advance_repay(*, order: PurchaseOrder, amount: Decimal, received_on: datetime.date, bank_reference: str,
                        acting_user: User, payer: Organization | None = None) -> Receipt:
    """Record money repaying an advanced order (the lender's operations), through collections.

    Idempotent by bank reference (the same payment again answers the first receipt; the reference with another
    amount is refused); more than penalty and advance owed is refused, nothing recorded; refused
    (409 confirming_order_state) on an order not advanced.
    """
    amount = _money(amount, "amount")
    amount, bank_reference = receipt_input_clean(amount=amount, value_date=received_on, bank_reference=bank_reference)
    order = _locked(order)
    require(permissions.can_record_margin(acting_user, order),
            _("Only the operations staff of %(lender)s record advance repayments.") % {"lender": order.agreement.lender})
    previous = Receipt.objects.for_case(order).filter(bank_reference=bank_reference).first()
    if previous is not None:
        if previous.amount != amount or previous.kind != REPAYMENT_KIND:
            raise MarginReferenceReused(_("Bank reference %(reference)s was already applied to order %(order)s.")
                                        % {"reference": bank_reference, "order": order.reference})
        return previous
    if order.state != State.ADVANCED:
        raise OrderStateConflict(_("Order %(order)s is %(state)s: it has no advance to repay.")
                                 % {"order": order.reference, "state": order.get_state_display()})
    owed = order.advance_outstanding + order.penalty_outstanding + (
        max(round_money(penalty_exact(order, received_on)) - order.penalty_accrued, ZERO)
        if order.advance_outstanding > 0 else ZERO)
    if amount > owed:
        raise ValidationError({"amount": ValidationError(
            _("Order %(order)s owes %(owed)s on its advance with penalty interest to %(date)s; %(amount)s was given.")
            % {"order": order.reference, "owed": _figure(owed), "date": received_on.isoformat(),
               "amount": _figure(amount)}, code="max_value")})
    receipt, new = receipt_apply(case=order, amount=amount, value_date=received_on, bank_reference=bank_reference,
                                 acting_user=acting_user, payer=payer or order.agreement.distributor)
    if new:
        _after_repayment(order, receipt, acting_user)
    return receipt


def advance_suspense_apply(*, receipt: Receipt, order: PurchaseOrder, acting_user: User,
                           payer: Organization | None) -> Receipt:
    """Apply a receipt waiting in suspense to an advanced order (locked by the caller) as a repayment."""
    receipt, new = receipt_apply_from_suspense(receipt=receipt, case=order, acting_user=acting_user, payer=payer)
    if new:
        _after_repayment(order, receipt, acting_user)
    return receipt
