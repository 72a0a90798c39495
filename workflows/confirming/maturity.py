"""A confirming-warehouse order at maturity, when the seller refunds (DESIGN §5 "Maturity"): the refund path.

k business days before maturity (the agreement's refund notice days, on the Chinese calendar), when the
margin M falls short of the order P, the lender demands the shortfall S = P − M of the seller (the core
enterprise): a refund demand due at maturity, the refund notice (差额退款通知书) and the seller's task. The
seller pays S through collections (a receipt on the order, or on the refund notice's number, paid by the
seller) or operations record it; the seller keeps (three-party) or buys back (four-party) the goods worth S
that were not released, and the distributor may take out the rest the margin paid for.

The money is then settled: a loan is repaid at once from the margin beyond M0 and the refund; an acceptance
bill is paid at maturity from the frozen M0, the margin beyond it and the refund, and its off-balance-sheet
pair reversed. The order closes when it is settled and every release is delivered (`order_close`, which the
advance path calls too); a non-revolving or expired agreement whose last order closed is wound up.

Ledger (the lender's books), the refund S held in the seller's frozen margin account until settlement:
  refund     Dr collection (or suspense) S       Cr seller margin frozen S
  loan       Dr seller margin frozen S           Dr distributor margin M − M0     Cr distributor advances P − M0
  bill       Dr seller margin frozen S           Dr distributor margin M − M0
             Dr distributor margin frozen M0     Cr collection P (the bill paid)
  bill, off balance sheet: Dr acceptances outstanding P   Cr customers' liability on acceptances P

Unpaid at maturity is the advance path's (`advances.py`): it lapses the open demand (`refund_demand_lapse`).
Lock order: agreement, then order, then demand, then receipt.
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from documents.models import Document
from documents.services import document_generate
from scf.audit.services import audit_record, audited
from scf.collections.models import Receipt
from scf.collections.registry import Applied, ReceiptHandler
from scf.collections.services import receipt_apply, receipt_apply_from_suspense, receipt_input_clean
from scf.core import tenancy
from scf.ledger.models import Account, JournalEntry
from scf.ledger.services import AccountRef, entry_key, house_account, ledger_post, lines, party_account
from scf.money import add_business_days
from scf.parties.models import Organization, User
from scf.parties.permissions import is_operator, require
from workflows.inbox.services import case_start, complete_step, process_cancel

from . import calculations as calc
from . import permissions
from .exceptions import (
    AgreementClosingBlocked,
    AgreementStateConflict,
    MarginReferenceReused,
    OrderClosingBlocked,
    OrderStateConflict,
    RefundAlreadyOpen,
    RefundNotDue,
)
from .models import ConfirmingAgreement, PurchaseOrder, RefundDemand, ReleaseRequest
from .order_documents import SETTLEMENT_ADVICE
from .orders import (
    _figure,
    _locked,
    _money,
    _order_lock,
    order_by_reference,
    order_margin_receipt_apply,
    order_margin_suspense_apply,
)

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
P = Account.Purpose
State = PurchaseOrder.State
Route = PurchaseOrder.Route
REFUND_NOTICE = "confirming_refund_notice"
#: Days before maturity the distributor is reminded.
REMINDER_DAYS = (7, 1)
#: The states of a funded order the maturity jobs look at (advanced orders are the advance path's).
MATURING_STATES = (State.FUNDED, State.REFUND_DEMANDED)
#: Releases still under way: an order with one does not close.
RELEASES_IN_FLIGHT = (ReleaseRequest.State.REQUESTED, ReleaseRequest.State.NOTICE_ISSUED,
                      ReleaseRequest.State.DELIVERY_NOTIFIED)


def refund_notice_date(order: PurchaseOrder) -> datetime.date:
    """Return the day the refund notice goes out: k business days before maturity (the Chinese calendar)."""
    return add_business_days(order.maturity_date, -order.agreement.refund_notice_days)


def refund_outstanding(order: PurchaseOrder) -> Decimal:
    """Return what is still to be refunded: P − M − the refund already paid, never below 0."""
    return max(order.order_amount - order.margin_paid - order.refund_paid, ZERO)


def open_refund_demand(order: PurchaseOrder) -> RefundDemand | None:
    return RefundDemand.objects.filter(order=order, state=RefundDemand.State.OPEN).first()


def _people(*organizations) -> list[User]:
    return list(User.objects.filter(memberships__organization__in=organizations, is_active=True)
                .exclude(email="").distinct())


# --- maturity reminders ---------------------------------------------------------------------------

def send_maturity_reminder(order: PurchaseOrder, days: int) -> int:
    """Email the distributor's people that the order matures in `days` days; return the number of emails sent."""
    agreement = order.agreement
    sent = 0
    for user in _people(agreement.distributor):
        with translation.override(user.preferred_language):
            sent += send_mail(
                _("%(ref)s matures in %(days)d day(s)") % {"ref": order.reference, "days": days},
                _("Order %(ref)s under agreement %(agreement)s matures on %(due)s. The margin paid is %(currency)s "
                  "%(margin)s of %(amount)s; what the margin does not cover by then (%(currency)s %(shortfall)s) "
                  "is demanded of %(seller)s under its refund undertaking.")
                % {"ref": order.reference, "agreement": agreement.reference, "due": order.maturity_date.isoformat(),
                   "currency": order.currency, "margin": _figure(order.margin_paid),
                   "amount": _figure(order.order_amount), "shortfall": _figure(order.exposure),
                   "seller": agreement.seller.legal_name},
                settings.DEFAULT_FROM_EMAIL, [user.email],
            )
    return sent


def send_maturity_reminders(on: datetime.date) -> int:
    """Remind the distributor 7 and 1 days before an order's maturity, once each; return the orders reminded."""
    from . import tasks

    reminded = 0
    for days in REMINDER_DAYS:
        due = on + datetime.timedelta(days=days)
        for pk in PurchaseOrder.objects.filter(state__in=MATURING_STATES, maturity_date=due).values_list("pk", flat=True):
            with transaction.atomic():
                order = PurchaseOrder.objects.select_for_update().get(pk=pk)
                if days in order.reminded_days:
                    continue
                order.reminded_days = sorted([*order.reminded_days, days])
                order.save(update_fields=["reminded_days"])
                tasks.send_maturity_reminder.delay_on_commit(order_id=order.pk, days=days)
                reminded += 1
    return reminded


# --- the refund demand ----------------------------------------------------------------------------

@audited
def refund_demand_open(*, order: PurchaseOrder, acting_user: User | None,
                       on: datetime.date | None = None) -> RefundDemand:
    """Demand the shortfall S = P − M of the seller, due at maturity: the demand, the notice (PDF), its task.

    The daily job opens it k business days before maturity (`acting_user` None); the lender's operations
    may open it by hand. Refused while another demand is open (409 confirming_refund_already_open), on an
    order not funded or already demanded, and when the margin leaves nothing to refund
    (409 confirming_refund_not_due): nothing is recorded then.
    """
    on = on or timezone.localdate()
    order = _order_lock(order)
    agreement = order.agreement
    if acting_user is not None:
        require(permissions.can_record_margin(acting_user, order),
                _("Only the operations staff of %(lender)s demand refunds.") % {"lender": agreement.lender})
    existing = open_refund_demand(order)
    if existing is not None:
        raise RefundAlreadyOpen(
            _("A refund demand of %(currency)s %(amount)s due %(due)s is already open on order %(order)s: only one "
              "is in flight at a time.")
            % {"currency": order.currency, "amount": _figure(existing.amount), "due": existing.due_date.isoformat(),
               "order": order.reference}, demand=existing.pk)
    if order.state != State.FUNDED or order.maturity_date is None:
        raise RefundNotDue(_("Order %(order)s is %(state)s: no refund is demanded on it.")
                           % {"order": order.reference, "state": order.get_state_display()})
    shortfall = calc.refund_due(order.order_amount, order.margin_paid)
    if shortfall <= 0:
        raise RefundNotDue(_("The margin paid covers order %(order)s: nothing is to be refunded.")
                           % {"order": order.reference})
    if on >= order.maturity_date:
        raise RefundNotDue(_("Order %(order)s matured on %(due)s: a refund is no longer demanded before it.")
                           % {"order": order.reference, "due": order.maturity_date.isoformat()})
    demand = RefundDemand.objects.create(order=order, amount=shortfall, notice_date=on, due_date=order.maturity_date)
    note = f"{order.currency} {shortfall} = {order.order_amount} − {order.margin_paid}, due {order.maturity_date}"
    order.demand_refund(by=acting_user, note=note)
    order.save(update_fields=["state"])
    audit_record(actor=acting_user, action="confirming.refunddemand.create", target=demand, target_state=demand.state,
                 note=f"{order.reference} {note}")
    demand.order = order
    document_generate(obj=demand, kind_code=REFUND_NOTICE, language=agreement.seller.preferred_language,
                      acting_user=acting_user)
    # Its own small flow: the seller finds the notice to acknowledge in its inbox; the payment ends it.
    case_start(demand)
    return demand


def open_refund_demands(on: datetime.date) -> int:
    """The daily job: open the refund demand of every order whose notice day came; return how many opened.

    An order is demanded from its notice day (k business days before maturity) until the day before
    maturity, so a day the job missed is caught up; run again, it finds the demand open and does nothing.
    """
    opened = 0
    candidates = (PurchaseOrder.objects.filter(state=State.FUNDED, maturity_date__gt=on,
                                               maturity_date__lte=on + datetime.timedelta(days=90))
                  .select_related("agreement"))
    for order in candidates:
        if order.margin_paid >= order.order_amount or on < refund_notice_date(order):
            continue
        try:
            with transaction.atomic():
                refund_demand_open(order=order, acting_user=None, on=on)
        except (RefundAlreadyOpen, RefundNotDue):
            continue
        except Exception:
            # One order's failure (its notice cannot be built, say) leaves the others to be demanded.
            logger.exception("Refund demand of order %s failed on %s.", order.reference, on)
            continue
        opened += 1
    return opened


@audited
def refund_demand_acknowledge(*, demand: RefundDemand, acting_user: User, note: str = "") -> RefundDemand:
    """Record the seller's acknowledgement of the refund notice (its task); the payment is awaited next."""
    demand = RefundDemand.objects.select_for_update().select_related("order__agreement__seller").get(pk=demand.pk)
    seller = demand.order.agreement.seller
    require(is_operator(acting_user, seller.pk),
            _("Only an operator of %(org)s acknowledges the refund notice.") % {"org": seller})
    if demand.acknowledged_at is None:
        demand.acknowledged_at, demand.acknowledged_by = timezone.now(), acting_user
        demand.save(update_fields=["acknowledged_at", "acknowledged_by"])
        audit_record(actor=acting_user, action="confirming.refunddemand.acknowledge", target=demand,
                     note=(note or "").strip())
    complete_step(demand, "acknowledge", acting_user)
    return demand


@audited
def refund_demand_lapse(*, demand: RefundDemand, acting_user: User | None, note: str = "") -> RefundDemand:
    """Record that maturity passed with the demand unpaid (for the advance path): lapsed, its tasks gone."""
    demand = RefundDemand.objects.select_for_update().get(pk=demand.pk)
    if demand.state != RefundDemand.State.OPEN:
        return demand
    demand.lapse()
    demand.save(update_fields=["state"])
    audit_record(actor=acting_user, action="confirming.refunddemand.lapse", target=demand,
                 source_state=RefundDemand.State.OPEN, target_state=demand.state, note=(note or "").strip())
    process_cancel(demand)
    return demand


# --- the refund, through collections --------------------------------------------------------------

def _is_seller(order: PurchaseOrder, payer: Organization | None) -> bool:
    return payer is not None and payer.pk == order.agreement.seller_id


def refund_receipt_apply(order: PurchaseOrder, amount: Decimal, *, value_date: datetime.date, bank_reference: str,
                         acting_user: User | None, payer: Organization | None, debit: AccountRef) -> Applied:
    """The receipt handler's refund: the seller's money into its frozen margin, up to what is still to refund.

    Only against an open demand; more than is still to refund waits in suspense. The order is locked by the
    caller, which records the refund (`_after_refund`).
    """
    agreement = order.agreement
    demand = open_refund_demand(order)
    if demand is None or order.state != State.REFUND_DEMANDED:
        raise RefundNotDue(_("No refund is demanded on order %(order)s: the seller's money is not applied to it.")
                           % {"order": order.reference})
    refund = min(amount, refund_outstanding(order))
    left = amount - refund
    currency = order.currency
    entry = ledger_post(
        idempotency_key=entry_key("confirming", order.reference, "refund", bank_reference),
        lines=lines((debit, amount),
                    (party_account(agreement.seller, P.MARGIN_FROZEN, currency, lender=agreement.lender), -refund),
                    (house_account(P.SUSPENSE, currency, lender=agreement.lender), -left)),
        description=_("Refund %(bank)s by %(seller)s on order %(order)s")
        % {"bank": bank_reference, "seller": agreement.seller.legal_name, "order": order.reference},
        acting_user=acting_user, value_date=value_date)
    return Applied(kind=Receipt.Kind.REFUND, payer=agreement.seller,
                   allocation={"applied_advance": refund, "suspense": left}, entry=entry)


def _after_refund(order: PurchaseOrder, receipt: Receipt, acting_user: User | None) -> PurchaseOrder:
    """Record the refund a receipt paid; paid in full: the demand paid, the goods kept, the money settled."""
    refund = receipt.applied_advance
    if not refund:
        return order
    order.refund_paid += refund
    order.save(update_fields=["refund_paid"])
    audit_record(actor=acting_user, action="confirming.purchaseorder.refund", target=order,
                 note=f"{receipt.bank_reference} {order.currency} {refund} → refund paid {order.refund_paid}")
    return refund_demand_complete_if_paid(order=order, on=receipt.value_date, acting_user=acting_user)


def refund_demand_complete_if_paid(*, order: PurchaseOrder, on: datetime.date,
                                   acting_user: User | None) -> PurchaseOrder:
    """Once margin and refund pay P (the order locked by the caller): the open demand paid, the goods kept, the
    distributor's allowance raised to the margin paid, its tasks done; a loan is settled at once.

    The refund path calls it after each refund; the margin path (`orders._after_margin`) after margin that
    came in while a demand was open, which lowers what the seller still owes.
    """
    demand = open_refund_demand(order)
    if demand is None or refund_outstanding(order) > 0:
        return order
    agreement = order.agreement
    demand = RefundDemand.objects.select_for_update().get(pk=demand.pk)
    demand.mark_paid(on=on)
    demand.save(update_fields=["state", "paid_on"])
    audit_record(actor=acting_user, action="confirming.refunddemand.mark_paid", target=demand,
                 source_state=RefundDemand.State.OPEN, target_state=demand.state,
                 note=f"{order.currency} refund {order.refund_paid}, margin {order.margin_paid}")
    # The goods worth the refund stay with the seller; the distributor may take out all the margin paid for.
    order.goods_kept_value = order.refund_paid
    order.allowed_value = max(order.allowed_value, order.order_amount - order.refund_paid)
    order.save(update_fields=["goods_kept_value", "allowed_value"])
    how = (_("bought back by the seller") if agreement.form == ConfirmingAgreement.Form.FOUR_PARTY
           else _("kept by the seller"))
    audit_record(actor=acting_user, action="confirming.purchaseorder.goods_kept", target=order,
                 note=f"{order.currency} {order.goods_kept_value} {how}; the distributor's goods {order.allowed_value}")
    complete_step(demand, "acknowledge", acting_user)
    complete_step(demand, "paid", acting_user)
    if order.route == Route.LOAN:
        order_settle(order=order, acting_user=acting_user, on=on)
    return order


@audited
def order_refund_apply(*, order: PurchaseOrder, amount: Decimal, received_on: datetime.date, bank_reference: str,
                       acting_user: User) -> Receipt:
    """Record the seller's refund of the shortfall (the lender's operations), through collections.

    Idempotent by bank reference: the same payment again answers the first receipt; the reference with
    another amount is refused. More than is still to refund is refused (nothing recorded), as is a refund
    on an order with no open demand.
    """
    amount = _money(amount, "amount")
    amount, bank_reference = receipt_input_clean(amount=amount, value_date=received_on, bank_reference=bank_reference)
    order = _locked(order)
    require(permissions.can_record_margin(acting_user, order),
            _("Only the operations staff of %(lender)s record refunds received.") % {"lender": order.agreement.lender})
    previous = Receipt.objects.for_case(order).filter(bank_reference=bank_reference).first()
    if previous is not None:
        if previous.amount != amount or previous.kind != Receipt.Kind.REFUND:
            raise MarginReferenceReused(_("Bank reference %(reference)s was already applied to order %(order)s.")
                                        % {"reference": bank_reference, "order": order.reference})
        return previous
    outstanding = refund_outstanding(order)
    if open_refund_demand(order) is None:
        raise RefundNotDue(_("No refund is demanded on order %(order)s.") % {"order": order.reference})
    if amount > outstanding:
        raise RefundNotDue(_("Order %(order)s needs %(needed)s more refund at most; %(amount)s was given.")
                           % {"order": order.reference, "needed": _figure(outstanding), "amount": _figure(amount)})
    receipt, new = receipt_apply(case=order, amount=amount, value_date=received_on, bank_reference=bank_reference,
                                 acting_user=acting_user, payer=order.agreement.seller)
    if new:
        _after_refund(order, receipt, acting_user)
    return receipt


def order_receipt_apply(order: PurchaseOrder, amount: Decimal, *, value_date: datetime.date, bank_reference: str,
                        acting_user: User | None, payer: Organization | None, debit: AccountRef) -> Applied:
    """The order's receipt handler: an advanced order's money repays the advance (penalty first, then the
    advance: `advances.py`); otherwise the seller's money is its refund, anyone else's the distributor's margin."""
    from .advances import advance_receipt_apply

    if order.state == State.ADVANCED:
        apply = advance_receipt_apply
    else:
        apply = refund_receipt_apply if _is_seller(order, payer) else order_margin_receipt_apply
    return apply(order, amount, value_date=value_date, bank_reference=bank_reference, acting_user=acting_user,
                 payer=payer, debit=debit)


@audited
def order_suspense_apply(*, receipt: Receipt, case: PurchaseOrder, acting_user: User,
                         payer: Organization | None = None) -> Receipt:
    """Apply an unmatched receipt in suspense to an order: the advance repaid (an advanced order), the seller's
    refund, or the distributor's margin."""
    if case.state == State.ADVANCED:
        from .advances import advance_suspense_apply

        order = _locked(case)
        require(permissions.can_record_margin(acting_user, order),
                _("Only the operations staff of %(lender)s record advance repayments.")
                % {"lender": order.agreement.lender})
        return advance_suspense_apply(receipt=receipt, order=order, acting_user=acting_user, payer=payer)
    if not _is_seller(case, payer):
        return order_margin_suspense_apply(receipt=receipt, case=case, acting_user=acting_user, payer=payer)
    order = _locked(case)
    require(permissions.can_record_margin(acting_user, order),
            _("Only the operations staff of %(lender)s record refunds received.") % {"lender": order.agreement.lender})
    receipt, new = receipt_apply_from_suspense(receipt=receipt, case=order, acting_user=acting_user, payer=payer)
    if new:
        _after_refund(order, receipt, acting_user)
    return receipt


def order_by_reference_or_notice(reference: str, user: User) -> PurchaseOrder | None:
    """Return the order with this reference, or whose refund notice has this number, that the user may see."""
    order = order_by_reference(reference, user)
    if order is not None:
        return order
    document = Document.objects.filter(kind=REFUND_NOTICE, number=reference).first()
    if document is None:
        return None
    demand = RefundDemand.objects.filter(pk=document.object_id).first()
    return tenancy.visible(PurchaseOrder, user).filter(pk=demand.order_id).first() if demand else None


def _order_url(order_pk: int) -> str:
    return reverse("confirming:order-detail", kwargs={"cw_order_pk": order_pk})


RECEIPT_HANDLER = ReceiptHandler(
    model=PurchaseOrder,
    apply=order_receipt_apply,
    apply_from_suspense=order_suspense_apply,
    find=order_by_reference_or_notice,
    payers=lambda order: {"distributor": order.agreement.distributor, "seller": order.agreement.seller},
    payer_labels={"distributor": gettext_lazy("paid by the distributor"),
                  "seller": gettext_lazy("refund paid by the seller")},
    url=_order_url,
)


# --- settlement -----------------------------------------------------------------------------------

def settlement_lines(order: PurchaseOrder):
    """Return the settlement's lines: the loan repaid, or the bill paid (see the module's docstring)."""
    agreement = order.agreement
    currency, lender, distributor = order.currency, agreement.lender, agreement.distributor
    refund = order.refund_paid
    beyond = order.margin_paid - order.initial_margin
    held = (party_account(agreement.seller, P.MARGIN_FROZEN, currency, lender=lender), refund)
    margin = (party_account(distributor, P.MARGIN, currency, lender=lender), beyond)
    if order.route == Route.LOAN:
        return lines(held, margin,
                     (party_account(distributor, P.ADVANCES, currency, lender=lender), -order.loan_principal))
    return lines(held, margin,
                 (party_account(distributor, P.MARGIN_FROZEN, currency, lender=lender), order.initial_margin),
                 (house_account(P.DEBTOR_COLLECTION, currency, lender=lender), -order.order_amount))


def bill_reversal_lines(order: PurchaseOrder):
    """The bill paid: the off-balance-sheet pair of its funding, reversed."""
    agreement = order.agreement
    return lines((party_account(agreement.distributor, P.ACCEPTANCE_CONTINGENT, order.currency,
                                lender=agreement.lender), -order.order_amount),
                 (house_account(P.ACCEPTANCES_OUTSTANDING, order.currency, lender=agreement.lender),
                  order.order_amount))


@audited
def order_settle(*, order: PurchaseOrder, acting_user: User | None, on: datetime.date | None = None) -> PurchaseOrder:
    """Settle a funded order once margin and refund pay P: repay the loan, or pay the bill at maturity.

    Posted once (each entry by its key, the order's `settled_on` once); the bill is paid no earlier than
    its maturity. Then the order closes if every release is delivered.
    """
    on = on or timezone.localdate()
    order = _locked(order)
    if order.settled_on is not None:
        return order
    if order.state not in MATURING_STATES:
        raise OrderStateConflict(_("Order %(order)s is %(state)s: it cannot be settled.")
                                 % {"order": order.reference, "state": order.get_state_display()})
    if order.margin_paid + order.refund_paid != order.order_amount:
        raise OrderClosingBlocked(
            _("Order %(order)s cannot be settled: margin %(margin)s and refund %(refund)s do not pay %(amount)s.")
            % {"order": order.reference, "margin": _figure(order.margin_paid), "refund": _figure(order.refund_paid),
               "amount": _figure(order.order_amount)})
    if order.route == Route.ACCEPTANCE_BILL and on < order.maturity_date:
        raise OrderClosingBlocked(_("Bill %(bill)s of order %(order)s is paid at its maturity, %(due)s.")
                                  % {"bill": order.bill_number, "order": order.reference,
                                     "due": order.maturity_date.isoformat()})
    if order.route == Route.LOAN:
        description = _("Loan of order %(order)s repaid from margin and refund") % {"order": order.reference}
    else:
        description = _("Acceptance bill %(bill)s of order %(order)s paid from margin and refund") % {
            "bill": order.bill_number, "order": order.reference}
    ledger_post(idempotency_key=entry_key("confirming", order.reference, "settlement"),
                lines=settlement_lines(order), description=description, acting_user=acting_user, value_date=on)
    if order.route == Route.ACCEPTANCE_BILL:
        acceptance = JournalEntry.objects.filter(
            idempotency_key=entry_key("confirming", order.reference, "acceptance")).first()
        ledger_post(idempotency_key=entry_key("confirming", order.reference, "acceptance", "reversal"),
                    lines=bill_reversal_lines(order), reverses=acceptance,
                    description=_("Acceptance bill %(bill)s paid: contingent liability reversed")
                    % {"bill": order.bill_number}, acting_user=acting_user, value_date=on)
    order.settled_on = on
    order.save(update_fields=["settled_on"])
    audit_record(actor=acting_user, action="confirming.purchaseorder.settle", target=order,
                 note=f"{order.route} {order.currency} {order.order_amount}: margin {order.margin_paid}, "
                      f"refund {order.refund_paid}")
    order_close_if_complete(order=order, acting_user=acting_user)
    return order


def settle_matured(on: datetime.date) -> int:
    """The daily job: settle every order at or past maturity that margin and refund pay in full."""
    settled = 0
    candidates = PurchaseOrder.objects.filter(state__in=MATURING_STATES, settled_on__isnull=True,
                                              maturity_date__lte=on).values_list("pk", flat=True)
    for pk in list(candidates):
        order = PurchaseOrder.objects.get(pk=pk)
        if order.margin_paid + order.refund_paid != order.order_amount:
            continue
        try:
            with transaction.atomic():
                order_settle(order=order, acting_user=None, on=on)
        except Exception:
            logger.exception("Settlement of order %s failed on %s.", order.reference, on)
            continue
        settled += 1
    return settled


# --- closing --------------------------------------------------------------------------------------

def order_closing_blockers(order: PurchaseOrder) -> list[str]:
    """Return what still stands between the order and its closed file, in words (empty: it may close)."""
    blockers = []
    if order.state == State.ADVANCED:
        if order.advance_outstanding > 0:
            blockers.append(_("the advance of %(amount)s is outstanding") % {"amount": _figure(order.advance_outstanding)})
        if order.penalty_outstanding > 0:
            blockers.append(_("penalty interest of %(amount)s is outstanding")
                            % {"amount": _figure(order.penalty_outstanding)})
    elif order.settled_on is None:
        blockers.append(_("the loan or the bill is not yet settled"))
    if RefundDemand.objects.filter(order=order, state=RefundDemand.State.OPEN).exists():
        blockers.append(_("a refund demand is open"))
    in_flight = ReleaseRequest.objects.filter(order=order, state__in=RELEASES_IN_FLIGHT).count()
    if in_flight:
        blockers.append(_("%(count)d release(s) are not yet delivered") % {"count": in_flight})
    if order.state != State.ADVANCED and order.releasable_value > 0:
        blockers.append(_("goods worth %(amount)s paid for by the margin are still to be released")
                        % {"amount": _figure(order.releasable_value)})
    return blockers


@audited
def order_close(*, order: PurchaseOrder, acting_user: User | None, note: str = "") -> PurchaseOrder:
    """Close a funded order whose money is settled and whose goods are all out; then wind up the agreement.

    The settlement advice (PDF) is issued to the distributor. Refused (409 confirming_order_closing_blocked)
    with what is still open. The advance path calls it once the advance is repaid (`advance_outstanding` 0).
    """
    order = _locked(order)
    if order.state == State.CLOSED:
        return order
    if not can_proceed(order.close):
        raise OrderStateConflict(_("Order %(order)s is %(state)s: it cannot be closed.")
                                 % {"order": order.reference, "state": order.get_state_display()})
    if blockers := order_closing_blockers(order):
        raise OrderClosingBlocked(_("Order %(order)s cannot be closed: %(blockers)s.")
                                  % {"order": order.reference, "blockers": "; ".join(blockers)})
    agreement = order.agreement
    order.close(by=acting_user, note=(note or "").strip() or
                f"margin {order.margin_paid}, refund {order.refund_paid}, delivered {order.delivered_value}")
    order.save(update_fields=["state"])
    if order.advanced_on is None:
        # An advanced order's advice is the advance settlement advice, issued when the advance was repaid.
        document_generate(obj=order, kind_code=SETTLEMENT_ADVICE, language=agreement.distributor.preferred_language,
                          acting_user=acting_user)
    agreement_wind_up_if_done(agreement, acting_user)
    return order


def order_close_if_complete(*, order: PurchaseOrder, acting_user: User | None) -> bool:
    """Close the order when nothing blocks it (after a settlement or a delivery); return whether it closed."""
    order = _order_lock(order)
    if order.state not in (*MATURING_STATES, State.ADVANCED) or order_closing_blockers(order):
        return False
    order_close(order=order, acting_user=acting_user)
    return True


def agreement_wind_up_if_done(agreement: ConfirmingAgreement, acting_user: User | None) -> bool:
    """Open the agreement's closing task when its last order closed and it takes no more (non-revolving, expired)."""
    from .agreements import agreement_wind_up

    if agreement.state != ConfirmingAgreement.State.ACTIVE:
        return False
    if agreement.revolving and agreement.end_date > timezone.localdate():
        return False
    try:
        return agreement_wind_up(agreement=agreement, acting_user=None)
    except (AgreementClosingBlocked, AgreementStateConflict):
        return False
