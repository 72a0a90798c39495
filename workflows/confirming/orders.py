"""A confirming-warehouse order's life (DESIGN §5 "Order"): application, the seller's confirmation, credit
review, the initial margin through collections, funding by loan or acceptance bill, the seller's receipt.

The order's state machine holds what happened; its flow (`flows.ConfirmingOrderFlow`) holds who acts now.
Each service here checks the person (`permissions`), the state and the money, fires the transition, posts
the ledger and completes the flow's step (`complete_step`).

Money (DESIGN §5): P = Σ round(quantity × unit price) per line, M0 = round(P × m). The margin the distributor
pays is credited to its margin account. Funding by loan pays the seller P: M0 out of the margin account and
P − M0 out of the lender's funds (the loan). Funding by bank acceptance bill issues a bill of face P due at
maturity: M0 moves to the frozen margin account, and an off-balance-sheet pair (the distributor's liability
on the bill against the lender's contingent liability to pay it) stays until the bill is paid. Exposure is
P − M, M the cumulative margin paid.

The orders under an agreement use its limit, which its approval reserved on both the distributor's
facility and the core enterprise's guarantee line: an order is refused above what the limit has left
(under the agreement's row lock), and no order is funded while either facility is frozen.

Lock order: agreement, then order, then receipt.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from documents.services import document_generate
from scf.audit.services import audit_record, audited
from scf.collections.models import Receipt
from scf.collections.registry import Applied
from scf.collections.services import receipt_apply, receipt_apply_from_suspense, receipt_input_clean
from scf.core import tenancy
from scf.core.exceptions import ActionNotPermitted
from scf.core.sequences import sequence_next
from scf.facilities.exceptions import FacilityUnavailable
from scf.facilities.models import CreditFacility, Product
from scf.ledger.models import Account
from scf.ledger.services import AccountRef, entry_key, house_account, ledger_post, lines, party_account
from scf.money import MAX_AMOUNT_IN_WORDS, round_money
from scf.parties.exceptions import NoSettlementAccount
from scf.parties.models import Organization, SettlementAccount, User
from scf.parties.permissions import is_operator, require
from scf.parties.services import kyc_require_verified
from workflows.approval.models import ApprovalCase
from workflows.approval.services import approval_case_submit, approval_case_withdraw, approval_decide
from workflows.inbox.services import case_submit, complete_step, process_cancel, process_sync

from . import calculations as calc
from . import permissions
from .exceptions import (
    AgreementNotActive,
    FundingRouteNotAllowed,
    MarginExceedsOrder,
    MarginReferenceReused,
    OrderAboveLimit,
    OrderNotOpen,
    OrderStateConflict,
)
from .models import ConfirmingAgreement, MarginPayment, OrderLine, PurchaseOrder
from .order_documents import DISBURSEMENT_ADVICE

ZERO = Decimal("0.00")
P = Account.Purpose
State = PurchaseOrder.State
Route = PurchaseOrder.Route
ORDER_SEQUENCE = "confirming.order"
MARGIN_RECEIPT = "confirming_margin_receipt"

#: The states an order takes margin in: from the approval until it is settled or advanced.
MARGIN_STATES = (State.AWAITING_MARGIN, State.AWAITING_FUNDING, State.FUNDED, State.REFUND_DEMANDED)
#: The states an order releases goods in: funded, until the file closes or the lender advances.
RELEASE_STATES = (State.FUNDED, State.REFUND_DEMANDED)
#: Orders that use the agreement's limit: every order from its application until it is closed.
LIMIT_USING_STATES = tuple(state for state in State.values
                           if state not in (State.REJECTED, State.CANCELLED, State.CLOSED))
#: Orders that are or were funded: a non-revolving agreement's limit stays used by them once closed.
FUNDED_STATES = (State.FUNDED, State.REFUND_DEMANDED, State.ADVANCED, State.CLOSED)


def _order_lock(order: PurchaseOrder) -> PurchaseOrder:
    """Return the order under its row lock, with its agreement (take the agreement's lock first if both)."""
    return PurchaseOrder.objects.select_for_update(of=("self",)).select_related(
        "agreement__lender", "agreement__seller", "agreement__distributor", "agreement__warehouse",
        "agreement__facility", "agreement__guarantee_facility").get(pk=order.pk)


def _agreement_lock(pk: int) -> ConfirmingAgreement:
    return ConfirmingAgreement.objects.select_for_update(of=("self",)).select_related(
        "lender", "seller", "distributor", "warehouse", "facility", "guarantee_facility").get(pk=pk)


def _locked(order: PurchaseOrder) -> PurchaseOrder:
    """Lock the order's agreement, then the order: the order services that change the limit's use or money."""
    agreement = _agreement_lock(order.agreement_id)
    order = _order_lock(order)
    order.agreement = agreement
    return order


def _money(value: Decimal, field: str) -> Decimal:
    if value is None or value <= 0:
        raise ValidationError({field: ValidationError(_("The amount must be more than zero."), code="min_value")})
    if value != round_money(value):
        raise ValidationError({field: ValidationError(_("Amounts are kept to 0.01."), code="precision")})
    return value


def _figure(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _not_state(order: PurchaseOrder, action: str) -> OrderStateConflict:
    return OrderStateConflict(_("Order %(order)s is %(state)s: it cannot be %(action)s.") % {
        "order": order.reference, "state": order.get_state_display(), "action": action})


def order_allowance(order: PurchaseOrder, margin_paid: Decimal) -> Decimal:
    """Return the value the order's release mode lets out in all for `margin_paid`."""
    agreement = order.agreement
    return calc.allowance(agreement.release_mode, order=order.order_amount, margin_ratio=agreement.margin_ratio,
                          margin_paid=margin_paid)


# --- the agreement's limit ------------------------------------------------------------------------

def agreement_limit_used(agreement: ConfirmingAgreement, *, exclude: PurchaseOrder | None = None) -> Decimal:
    """Return the part of the agreement's limit its orders use.

    Every order applied for and not closed, rejected or cancelled uses it; under an agreement that does
    not revolve, a closed order that was funded keeps using it (the limit is drawn once).
    """
    states = LIMIT_USING_STATES if agreement.revolving else (*LIMIT_USING_STATES, State.CLOSED)
    orders = PurchaseOrder.objects.filter(agreement=agreement, state__in=states)
    if not agreement.revolving:
        orders = orders.exclude(state=State.CLOSED, funded_on__isnull=True)
    if exclude is not None:
        orders = orders.exclude(pk=exclude.pk)
    return orders.aggregate(total=Sum("order_amount"))["total"] or ZERO


def agreement_exposure(agreement: ConfirmingAgreement) -> Decimal:
    """Return the agreement's exposure: Σ (P − M) over its funded orders not yet closed (DESIGN §5)."""
    exposure = ZERO
    for amount, margin in PurchaseOrder.objects.filter(
            agreement=agreement, state__in=(State.FUNDED, State.REFUND_DEMANDED, State.ADVANCED)
    ).values_list("order_amount", "margin_paid"):
        exposure += max(amount - margin, ZERO)
    return exposure


def _require_within_limit(agreement: ConfirmingAgreement, amount: Decimal,
                          exclude: PurchaseOrder | None = None) -> None:
    used = agreement_limit_used(agreement, exclude=exclude)
    if used + amount > agreement.limit_amount:
        left = max(agreement.limit_amount - used, ZERO)
        raise OrderAboveLimit(
            _("Order amount %(amount)s is above what agreement %(agreement)s has left: limit %(limit)s, "
              "%(used)s used by open orders, %(left)s left.")
            % {"amount": _figure(amount), "agreement": agreement.reference, "limit": _figure(agreement.limit_amount),
               "used": _figure(used), "left": _figure(left)},
            requested=str(amount), available=str(left))


def _require_active(agreement: ConfirmingAgreement, on: datetime.date) -> None:
    if agreement.state != ConfirmingAgreement.State.ACTIVE:
        raise AgreementNotActive(_("Agreement %(agreement)s is %(state)s: orders are financed only once every "
                                   "party signed it.")
                                 % {"agreement": agreement.reference, "state": agreement.get_state_display()})
    if not agreement.start_date <= on < agreement.end_date:
        raise AgreementNotActive(_("Agreement %(agreement)s runs from %(start)s to %(end)s: no order is financed "
                                   "under it on %(day)s.")
                                 % {"agreement": agreement.reference, "start": agreement.start_date.isoformat(),
                                    "end": agreement.end_date.isoformat(), "day": on.isoformat()})


# --- application ----------------------------------------------------------------------------------

def _order_lines(lines_given: list[dict]) -> list[OrderLine]:
    """Return the order's lines as unsaved rows, or raise ValidationError keyed `lines[i]` per bad line."""
    if not lines_given:
        raise ValidationError({"lines": ValidationError(_("An order has at least one line of goods."),
                                                        code="required")})
    rows, errors = [], {}
    for index, line in enumerate(lines_given):
        row = OrderLine(description=(line.get("description") or "").strip(), unit=(line.get("unit") or "").strip(),
                        quantity=line.get("quantity"), unit_price=line.get("unit_price"), amount=Decimal("0.01"))
        try:
            row.full_clean(exclude=["order", "amount", "delivered_quantity"])
            if row.quantity <= 0 or row.unit_price <= 0:
                raise ValidationError(_("Quantity and unit price must be more than zero."), code="min_value")
        except ValidationError as error:
            errors[f"lines[{index}]"] = error.messages
        rows.append(row)
    if errors:
        raise ValidationError(errors)
    return rows


def _priced(rows: list[OrderLine]) -> Decimal:
    """Price each line (round half up) and return P, refused above the largest amount accepted."""
    try:
        amount = calc.order_amount((row.quantity, row.unit_price) for row in rows)
    except calc.ConfirmingCalculationError as error:
        raise ValidationError({"lines": ValidationError(error.message, code="invalid")}) from None
    if amount > MAX_AMOUNT_IN_WORDS:
        raise ValidationError({"lines": ValidationError(_("The order amount is above the largest amount accepted."),
                                                        code="max_value")})
    for row in rows:
        row.amount = calc.line_amount(row.quantity, row.unit_price)
    return amount


def _route_check(agreement: ConfirmingAgreement, route: str) -> None:
    allowed = {Route.LOAN: agreement.allows_loan, Route.ACCEPTANCE_BILL: agreement.allows_acceptance_bill}
    if route not in allowed:
        raise ValidationError({"route": ValidationError(_("Choose a loan or a bank acceptance bill."),
                                                        code="invalid_choice")})
    if not allowed[route]:
        raise FundingRouteNotAllowed(_("Agreement %(agreement)s does not allow funding by %(route)s.")
                                     % {"agreement": agreement.reference, "route": Route(route).label})


@audited
def order_create(*, agreement: ConfirmingAgreement, lines: list[dict], route: str, acting_user: User,
                 seller_order_number: str = "") -> PurchaseOrder:
    """Apply to finance a purchase from the seller (a draft): lines of goods, P and M0 computed here.

    `lines` are dicts of description, unit, quantity and unit_price. Refused on an agreement that is not
    active, for a route it does not allow, or above what its limit has left (under the agreement's lock).
    """
    agreement = _agreement_lock(agreement.pk)
    require(permissions.can_create_order(acting_user, agreement),
            _("Only an operator of %(org)s applies for orders under its agreement.") % {"org": agreement.distributor})
    today = timezone.localdate()
    _require_active(agreement, today)
    _route_check(agreement, route)
    rows = _order_lines(lines)
    amount = _priced(rows)
    _require_within_limit(agreement, amount)
    number = sequence_next(ORDER_SEQUENCE, today.year)
    order = PurchaseOrder.objects.create(
        agreement=agreement, reference=f"CWO-{today.year}-{number:05d}", currency=agreement.currency, route=route,
        seller_order_number=(seller_order_number or "").strip()[:60], order_amount=amount,
        initial_margin=calc.initial_margin(amount, agreement.margin_ratio), prepared_by=acting_user)
    for row in rows:
        row.order = order
    OrderLine.objects.bulk_create(rows)
    audit_record(actor=acting_user, action="confirming.purchaseorder.create", target=order, target_state=order.state,
                 note=f"{agreement.reference} {order.currency} {amount}, initial margin {order.initial_margin}")
    return order


@audited
def order_update(*, order: PurchaseOrder, lines: list[dict], route: str, acting_user: User,
                 seller_order_number: str = "") -> PurchaseOrder:
    """Revise a draft or returned order: its lines (P and M0 priced again), route and seller's order number."""
    order = _locked(order)
    agreement = order.agreement
    require(is_operator(acting_user, agreement.distributor_id),
            _("Only an operator of %(org)s revises its orders.") % {"org": agreement.distributor})
    if order.state not in (State.DRAFT, State.RETURNED):
        raise _not_state(order, _("revised"))
    _require_active(agreement, timezone.localdate())
    _route_check(agreement, route)
    rows = _order_lines(lines)
    amount = _priced(rows)
    _require_within_limit(agreement, amount, exclude=order)
    order.lines.all().delete()
    for row in rows:
        row.order = order
    OrderLine.objects.bulk_create(rows)
    order.order_amount, order.route = amount, route
    order.initial_margin = calc.initial_margin(amount, agreement.margin_ratio)
    order.seller_order_number = (seller_order_number or "").strip()[:60]
    order.save(update_fields=["order_amount", "route", "initial_margin", "seller_order_number"])
    audit_record(actor=acting_user, action="confirming.purchaseorder.edit", target=order,
                 note=f"{order.currency} {amount}, initial margin {order.initial_margin}, {route}")
    return order


@audited
def order_submit(*, order: PurchaseOrder, acting_user: User, note: str = "") -> PurchaseOrder:
    """Send the distributor's order (new or revised) to the seller to confirm; the first sending starts its flow."""
    order = _locked(order)
    agreement = order.agreement
    require(permissions.can_create_order(acting_user, agreement),
            _("Only an operator of %(org)s sends its orders to the seller.") % {"org": agreement.distributor})
    _require_active(agreement, timezone.localdate())
    resubmitted = order.state == State.RETURNED
    if resubmitted:
        order.resubmit(by=acting_user, note=(note or "").strip())
    elif can_proceed(order.submit):
        order.submit(by=acting_user, note=(note or "").strip())
    else:
        raise _not_state(order, _("sent to the seller"))
    order.save(update_fields=["state"])
    case_submit(order, resubmitted=resubmitted, acting_user=acting_user, amount=order.order_amount)
    return order


@audited
def order_seller_confirm(*, order: PurchaseOrder, acting_user: User, note: str = "") -> PurchaseOrder:
    """Record the seller's confirmation that the order is genuine and ships only on the lender's notice.

    The order goes to the lender's credit review through the shared approval routing: the case is for P,
    the distributor is the applicant and the seller (and the warehouse) other parties, so no member of any
    of them decides it.
    """
    order = _order_lock(order)
    if order.state != State.SELLER_CONFIRMATION:
        raise _not_state(order, _("confirmed by the seller"))
    require(permissions.can_confirm_order(acting_user, order),
            _("Only an operator of %(org)s confirms the order as the seller.") % {"org": order.agreement.seller})
    agreement = order.agreement
    order.seller_confirm(by=acting_user, note=(note or "").strip())
    others = [organization for organization in (agreement.seller, agreement.warehouse) if organization is not None]
    order.approval_case = approval_case_submit(
        case=order.approval_case, product=Product.CONFIRMING, amount=order.order_amount, currency=order.currency,
        applicant=agreement.distributor, lender=agreement.lender, parties=[agreement.distributor, *others],
        preparer=order.prepared_by, reference=order.reference, acting_user=acting_user)
    order.save(update_fields=["state", "approval_case"])
    complete_step(order, "seller_confirm", acting_user)
    return order


@audited
def order_seller_decline(*, order: PurchaseOrder, acting_user: User, note: str) -> PurchaseOrder:
    """Record that the seller does not confirm the order as it stands (a reason is required): the distributor revises."""
    order = _order_lock(order)
    if order.state != State.SELLER_CONFIRMATION:
        raise _not_state(order, _("declined by the seller"))
    require(permissions.can_confirm_order(acting_user, order),
            _("Only an operator of %(org)s answers the order as the seller.") % {"org": order.agreement.seller})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ValidationError(_("Say what is wrong with the order."), code="required")})
    order.seller_decline(by=acting_user, note=note)
    order.save(update_fields=["state"])
    complete_step(order, "seller_confirm", acting_user)
    return order


@audited
def order_review_decide(*, order: PurchaseOrder, approver: User, decision: str, comment: str = "") -> PurchaseOrder:
    """Record one credit reviewer's decision through the approval routing; the last approval approves the order.

    Who may decide is the approval case's rule (`approval_decide` refuses anyone else). A rejection or a
    return needs a comment; a rejection gives the order's part of the limit back, a return sends the order
    to the distributor to revise.
    """
    order = _locked(order)
    if order.state != State.UNDER_REVIEW:
        raise _not_state(order, _("decided"))
    if decision not in ("approve", "reject", "return"):
        raise ValidationError({"decision": _("Approve, reject or return the order.")})
    # The case is locked and read by approval_decide; its decision carries it back, status included.
    record = approval_decide(case=order.approval_case, approver=approver, decision=decision, comment=comment)
    case = order.approval_case = record.case
    comment = (comment or "").strip()
    if case.status == ApprovalCase.Status.APPROVED:
        order.approve(by=approver, note=comment)
    elif case.status == ApprovalCase.Status.REJECTED:
        order.reject(by=approver, note=comment)
    elif case.status == ApprovalCase.Status.RETURNED:
        order.return_for_revision(by=approver, note=comment)
    order.save(update_fields=["state"])
    complete_step(order, "review", approver)
    return order


@audited
def order_cancel(*, order: PurchaseOrder, acting_user: User, note: str = "") -> PurchaseOrder:
    """Cancel an order that was never funded and took no margin (the distributor's operator); its flow ends."""
    order = _locked(order)
    if not is_operator(acting_user, order.agreement.distributor_id):
        raise ActionNotPermitted(_("Only an operator of %(org)s cancels its orders.")
                                 % {"org": order.agreement.distributor})
    if not can_proceed(order.cancel):
        raise _not_state(order, _("cancelled"))
    if order.margin_paid > 0:
        raise OrderStateConflict(_("Margin of %(amount)s was paid on order %(order)s: the lender returns it before "
                                   "the order can be cancelled.")
                                 % {"amount": _figure(order.margin_paid), "order": order.reference})
    note = (note or "").strip()
    if order.approval_case_id is not None:
        approval_case_withdraw(case=order.approval_case, acting_user=acting_user, note=note or "cancelled")
    order.cancel(by=acting_user, note=note)
    order.save(update_fields=["state"])
    process_cancel(order)
    return order


# --- margin, through collections ------------------------------------------------------------------

def order_margin_receipt_apply(order: PurchaseOrder, amount: Decimal, *, value_date: datetime.date,
                               bank_reference: str, acting_user: User | None, payer: Organization | None,
                               debit: AccountRef) -> Applied:
    """The receipt handler: margin into the distributor's margin account, up to what the order still needs.

    More than P − M waits in suspense. The order is locked by the caller, which records the payment.
    """
    agreement = order.agreement
    if order.state not in MARGIN_STATES:
        raise OrderNotOpen(_("Order %(order)s is %(state)s: it takes no more margin.")
                           % {"order": order.reference, "state": order.get_state_display()})
    # What the seller refunded is paid for too: the margin makes up P with it, no more.
    margin = min(amount, order.order_amount - order.margin_paid - order.refund_paid)
    left = amount - margin
    currency = order.currency
    entry = ledger_post(
        idempotency_key=entry_key("confirming", order.reference, "margin", bank_reference),
        lines=lines((debit, amount),
                    (party_account(agreement.distributor, P.MARGIN, currency, lender=agreement.lender), -margin),
                    (house_account(P.SUSPENSE, currency, lender=agreement.lender), -left)),
        description=_("Margin %(bank)s on order %(order)s") % {"bank": bank_reference, "order": order.reference},
        acting_user=acting_user, value_date=value_date)
    return Applied(kind=Receipt.Kind.MARGIN, payer=payer or agreement.distributor,
                   allocation={"applied_margin": margin, "suspense": left}, entry=entry)


def _after_margin(order: PurchaseOrder, receipt: Receipt, acting_user: User) -> MarginPayment | None:
    """Record the margin a receipt paid: M, the allowance, the state; the receipt PDF; the flow's margin step."""
    if not receipt.applied_margin:
        return None
    payment = MarginPayment.objects.create(order=order, amount=receipt.applied_margin, received_on=receipt.value_date,
                                           bank_reference=receipt.bank_reference, recorded_by=acting_user)
    order.margin_paid += receipt.applied_margin
    order.allowed_value = order_allowance(order, order.margin_paid)
    fields = ["margin_paid", "allowed_value"]
    initial_paid = order.state == State.AWAITING_MARGIN and order.margin_paid >= order.initial_margin
    if initial_paid:
        order.margin_received(by=acting_user, note=f"{order.currency} {order.margin_paid}")
        fields.append("state")
    order.save(update_fields=fields)
    audit_record(actor=acting_user, action="confirming.purchaseorder.margin", target=order,
                 note=f"{receipt.bank_reference} {order.currency} {receipt.applied_margin} → margin {order.margin_paid}, "
                      f"allowed {order.allowed_value}")
    payment.order = order
    document_generate(obj=payment, kind_code=MARGIN_RECEIPT, language=order.agreement.distributor.preferred_language,
                      acting_user=acting_user)
    if initial_paid:
        complete_step(order, "margin", acting_user)
    if order.state == State.REFUND_DEMANDED:
        # Margin in while a refund demand is open lowers what the seller owes; it may settle the order.
        from .maturity import refund_demand_complete_if_paid

        refund_demand_complete_if_paid(order=order, on=receipt.value_date, acting_user=acting_user)
    return payment


def _margin_replay(payment: MarginPayment, amount: Decimal, received_on: datetime.date) -> MarginPayment:
    if payment.amount != amount or payment.received_on != received_on:
        raise MarginReferenceReused(
            _("Bank reference %(reference)s was applied to this order as %(amount)s on %(date)s.")
            % {"reference": payment.bank_reference, "amount": _figure(payment.amount),
               "date": payment.received_on.isoformat()})
    return payment


@audited
def order_margin_apply(*, order: PurchaseOrder, amount: Decimal, received_on: datetime.date, bank_reference: str,
                       acting_user: User, payer: Organization | None = None) -> MarginPayment:
    """Record margin the distributor paid for its order (the lender's operations), through collections.

    One receipt in the collection account, one balanced entry into the distributor's margin account and
    a margin deposit receipt (PDF). The initial margin paid in full moves the order to funding. Idempotent
    by bank reference: the same payment again answers the first; the reference with another amount or
    date is refused. More than the order still needs is refused (nothing recorded).
    """
    amount = _money(amount, "amount")
    amount, bank_reference = receipt_input_clean(amount=amount, value_date=received_on, bank_reference=bank_reference)
    order = _order_lock(order)
    require(permissions.can_record_margin(acting_user, order),
            _("Only the operations staff of %(lender)s record margin received.") % {"lender": order.agreement.lender})
    previous = MarginPayment.objects.filter(order=order, bank_reference=bank_reference).first()
    if previous is not None:
        return _margin_replay(previous, amount, received_on)
    if order.state not in MARGIN_STATES:
        raise OrderNotOpen(_("Order %(order)s is %(state)s: it takes no more margin.")
                           % {"order": order.reference, "state": order.get_state_display()})
    still_needed = order.order_amount - order.margin_paid - order.refund_paid
    if amount > still_needed:
        raise MarginExceedsOrder(_("Order %(order)s needs %(needed)s more margin at most; %(amount)s was given.")
                                 % {"order": order.reference, "needed": _figure(still_needed),
                                    "amount": _figure(amount)})
    receipt, new = receipt_apply(case=order, amount=amount, value_date=received_on, bank_reference=bank_reference,
                                 acting_user=acting_user, payer=payer)
    if not new:
        return MarginPayment.objects.get(order=order, bank_reference=bank_reference)
    return _after_margin(order, receipt, acting_user)


@audited
def order_margin_suspense_apply(*, receipt: Receipt, case: PurchaseOrder, acting_user: User,
                                payer: Organization | None = None) -> Receipt:
    """Apply an unmatched receipt waiting in suspense to the order whose margin it turned out to be."""
    order = _order_lock(case)
    require(permissions.can_record_margin(acting_user, order),
            _("Only the operations staff of %(lender)s record margin received.") % {"lender": order.agreement.lender})
    receipt, new = receipt_apply_from_suspense(receipt=receipt, case=order, acting_user=acting_user, payer=payer)
    if new:
        _after_margin(order, receipt, acting_user)
    return receipt


def order_by_reference(reference: str, user: User) -> PurchaseOrder | None:
    """Return the order with this reference that the user may see, or None."""
    return tenancy.visible(PurchaseOrder, user).filter(reference=reference).first()


# --- funding --------------------------------------------------------------------------------------

def seller_account_require(order: PurchaseOrder) -> SettlementAccount:
    """Return the seller's verified account the loan pays P into, or refuse (no_settlement_account, 409).

    The account found is kept on `order` for the rest of the unit of work: the disbursement advice generated with
    the funding prints the account the check found, without reading it again (`order_documents`).
    """
    seller = order.agreement.seller
    account = SettlementAccount.objects.payout_for(seller.pk, order.currency)
    if account is None:
        raise NoSettlementAccount(
            _("%(ref)s cannot be paid: %(org)s has no verified settlement account in %(currency)s.")
            % {"ref": order.reference, "org": seller.legal_name, "currency": order.currency},
            organization=seller.pk, currency=order.currency)
    order._seller_account = account
    return account



def order_maturity(order: PurchaseOrder, on: datetime.date) -> datetime.date:
    """Return the order's maturity funded on `on`: the agreement's tenor later, no later than the agreement's end."""
    agreement = order.agreement
    return min(on + datetime.timedelta(days=agreement.tenor_days), agreement.end_date)


def loan_lines(order: PurchaseOrder):
    """Funding by loan: the seller paid P, M0 out of the margin account and P − M0 lent out of the lender's funds.

    The margin cash sat in the collection account since it came in; the loan is the distributor's advance.
    """
    agreement = order.agreement
    currency, lender, distributor = order.currency, agreement.lender, agreement.distributor
    m0, loan = order.initial_margin, order.order_amount - order.initial_margin
    return lines((party_account(distributor, P.ADVANCES, currency, lender=lender), loan),
                 (party_account(distributor, P.MARGIN, currency, lender=lender), m0),
                 (house_account(P.LENDER_FUNDING, currency, lender=lender), -loan),
                 (house_account(P.DEBTOR_COLLECTION, currency, lender=lender), -m0))


def bill_lines(order: PurchaseOrder):
    """Funding by acceptance bill, off balance sheet: the distributor's liability on the bill of face P."""
    agreement = order.agreement
    return lines((party_account(agreement.distributor, P.ACCEPTANCE_CONTINGENT, order.currency,
                                lender=agreement.lender), order.order_amount),
                 (house_account(P.ACCEPTANCES_OUTSTANDING, order.currency, lender=agreement.lender),
                  -order.order_amount))


def margin_freeze_lines(order: PurchaseOrder):
    """Funding by acceptance bill: M0 moves from the margin account to the frozen margin until the bill is paid."""
    agreement = order.agreement
    return lines((party_account(agreement.distributor, P.MARGIN, order.currency, lender=agreement.lender),
                  order.initial_margin),
                 (party_account(agreement.distributor, P.MARGIN_FROZEN, order.currency, lender=agreement.lender),
                  -order.initial_margin))


def _require_facilities_open(agreement: ConfirmingAgreement, on: datetime.date) -> None:
    for facility in (agreement.facility, agreement.guarantee_facility):
        facility = CreditFacility.objects.get(pk=facility.pk)
        if facility.state != CreditFacility.State.ACTIVE or not facility.is_within_validity(on):
            raise FacilityUnavailable(
                _("Facility %(facility)s is %(state)s: nothing is funded under agreement %(agreement)s until it is "
                  "back in force.") % {"facility": facility.reference, "state": facility.get_state_display(),
                                       "agreement": agreement.reference})


def order_funding_check(*, order: PurchaseOrder, acting_user: User, bill_number: str, on: datetime.date) -> bool:
    """Raise what funding the order on `on` refuses; moves nothing. Return False when it is funded already.

    The funding calls it under the agreement's and the order's locks; its preparation (scf.releases)
    on a read, so that both refuse the same things.
    """
    agreement = order.agreement
    require(permissions.can_fund_order(acting_user, order),
            _("Only the operations staff of %(lender)s fund its orders.") % {"lender": agreement.lender})
    if order.funded_on is not None:
        return False
    if order.state != State.AWAITING_FUNDING:
        raise _not_state(order, _("funded"))
    if order.margin_paid < order.initial_margin:
        raise _not_state(order, _("funded before its initial margin is paid"))
    _require_active(agreement, on)
    _require_facilities_open(agreement, on)
    kyc_require_verified(agreement.distributor)
    kyc_require_verified(agreement.seller)
    bill_number = (bill_number or "").strip().upper()
    if order.route == Route.ACCEPTANCE_BILL:
        if not bill_number:
            raise ValidationError({"bill_number": ValidationError(_("Enter the number of the acceptance bill issued."),
                                                                  code="required")})
        if PurchaseOrder.objects.filter(agreement__lender=agreement.lender, bill_number=bill_number).exists():
            raise ValidationError({"bill_number": ValidationError(
                _("Bill %(number)s is already recorded for another order.") % {"number": bill_number},
                code="unique")})
    else:
        seller_account_require(order)
    return True


@audited
def order_fund(*, order: PurchaseOrder, acting_user: User, bill_number: str = "",
               on: datetime.date | None = None) -> PurchaseOrder:
    """Fund an order whose initial margin is paid (the lender's operations): pay the seller, or issue the bill.

    By loan: one balanced entry paying the seller P (M0 from the margin account, P − M0 lent). By bank
    acceptance bill (its number required): the off-balance-sheet entry of face P and M0 frozen. Then the
    disbursement advice (PDF) and the seller's task to confirm receipt. Refused under an agreement no
    longer active, while a facility is frozen, or without the seller's verified account for a loan;
    pressing it again (a double click, a retry) changes nothing.
    """
    on = on or timezone.localdate()
    order = _locked(order)
    agreement = order.agreement
    if not order_funding_check(order=order, acting_user=acting_user, bill_number=bill_number, on=on):
        return order
    bill_number = (bill_number or "").strip().upper()
    maturity = order_maturity(order, on)
    if order.route == Route.ACCEPTANCE_BILL:
        ledger_post(idempotency_key=entry_key("confirming", order.reference, "acceptance"), lines=bill_lines(order),
                    description=_("Acceptance bill %(bill)s for order %(order)s, due %(date)s")
                    % {"bill": bill_number, "order": order.reference, "date": maturity.isoformat()},
                    acting_user=acting_user, value_date=on)
        ledger_post(idempotency_key=entry_key("confirming", order.reference, "margin-freeze"),
                    lines=margin_freeze_lines(order),
                    description=_("Initial margin of order %(order)s frozen against bill %(bill)s")
                    % {"order": order.reference, "bill": bill_number},
                    acting_user=acting_user, value_date=on)
        order.bill_number = bill_number
        note = f"bill {bill_number} {order.currency} {order.order_amount} due {maturity.isoformat()}"
    else:
        ledger_post(idempotency_key=entry_key("confirming", order.reference, "funding"), lines=loan_lines(order),
                    description=_("Payment of order %(order)s to %(seller)s")
                    % {"order": order.reference, "seller": agreement.seller.legal_name},
                    acting_user=acting_user, value_date=on)
        order.loan_principal = order.order_amount - order.initial_margin
        note = f"loan {order.currency} {order.loan_principal} + margin {order.initial_margin} to the seller"
    order.fund(on=on, maturity=maturity, by=acting_user, note=note)
    order.save(update_fields=["state", "funded_on", "maturity_date", "funded_by", "bill_number", "loan_principal"])
    process_sync(order, due_date=maturity)
    document_generate(obj=order, kind_code=DISBURSEMENT_ADVICE, language=agreement.distributor.preferred_language,
                      acting_user=acting_user)
    complete_step(order, "fund", acting_user)
    return order


@audited
def order_confirm_receipt(*, order: PurchaseOrder, acting_user: User, note: str = "") -> PurchaseOrder:
    """Record the seller's confirmation that it received the money (loan) or the bill; again, nothing changes."""
    order = _order_lock(order)
    if order.funded_on is None:
        raise _not_state(order, _("confirmed as received before it is funded"))
    if order.receipt_confirmed_at is not None:
        if is_operator(acting_user, order.agreement.seller_id):
            return order
    require(permissions.can_confirm_receipt(acting_user, order),
            _("Only an operator of %(org)s confirms what the seller received.") % {"org": order.agreement.seller})
    order.receipt_confirmed_at = timezone.now()
    order.receipt_confirmed_by = acting_user
    order.save(update_fields=["receipt_confirmed_at", "receipt_confirmed_by"])
    what = (_("bill %(bill)s") % {"bill": order.bill_number} if order.route == Route.ACCEPTANCE_BILL
            else f"{order.currency} {order.order_amount}")
    audit_record(actor=acting_user, action="confirming.purchaseorder.confirm_receipt", target=order,
                 note=" ".join(part for part in (str(what), (note or "").strip()) if part))
    complete_step(order, "receipt", acting_user)
    return order
