"""Confirming-warehouse writes: orders, the margin paid on them and the releases it pays for.

The cumulative rule of DESIGN §5 — released plus requested never above what the release mode
allows for the margin paid — is kept under the order's row lock here and held by the check
constraint `confirming_order_released_within_allowance` in the database: every release request
locks its order first, so concurrent requests queue and each sees the value the one before took.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from scf.audit.services import audit_record, audited
from scf.core.exceptions import IllegalTransition
from scf.core.races import insert_once
from scf.core.sequences import sequence_next
from scf.money import round_money
from scf.parties.models import User
from scf.parties.permissions import require
from workflows.inbox.services import case_start, process_cancel

from . import calculations as calc
from .exceptions import (
    AgreementNotActive,
    FundingRouteNotAllowed,
    MarginExceedsOrder,
    MarginReferenceReused,
    OrderAboveLimit,
    OrderNotOpen,
    ReleaseExceedsAllowance,
    ReleaseStateConflict,
)
from .models import ConfirmingAgreement, MarginPayment, OrderLine, PurchaseOrder, ReleaseRequest
from .permissions import (
    can_confirm_order,
    can_create_order,
    can_record_margin,
    can_request_release,
    can_withdraw_release,
)

#: The states an order takes margin in: from the approval until it is settled or advanced.
MARGIN_STATES = (PurchaseOrder.State.AWAITING_MARGIN, PurchaseOrder.State.AWAITING_FUNDING,
                 PurchaseOrder.State.FUNDED, PurchaseOrder.State.REFUND_DEMANDED)
#: The states an order releases goods in: funded, until the file closes or the lender advances.
RELEASE_STATES = (PurchaseOrder.State.FUNDED, PurchaseOrder.State.REFUND_DEMANDED)


def _order_lock(order: PurchaseOrder) -> PurchaseOrder:
    return PurchaseOrder.objects.select_for_update(of=("self",)).select_related("agreement").get(pk=order.pk)


def _money(value: Decimal, field: str) -> Decimal:
    if value is None or value <= 0:
        raise ValidationError({field: ValidationError(_("The amount must be more than zero."), code="min_value")})
    if value != round_money(value):
        raise ValidationError({field: ValidationError(_("Amounts are kept to 0.01."), code="precision")})
    return value


def order_allowance(order: PurchaseOrder, margin_paid: Decimal) -> Decimal:
    """Return the value the order's release mode lets out in all for `margin_paid`."""
    agreement = order.agreement
    return calc.allowance(agreement.release_mode, order=order.order_amount, margin_ratio=agreement.margin_ratio,
                          margin_paid=margin_paid)


@audited
def order_margin_apply(*, order: PurchaseOrder, amount: Decimal, received_on: datetime.date, bank_reference: str,
                       acting_user: User) -> MarginPayment:
    """Apply margin the distributor paid to its order, and let out the goods it pays for.

    Idempotent by bank reference: the same payment applied twice (a retry, a double click, two
    systems) answers the first one; the reference with another amount is refused.
    """
    amount = _money(amount, "amount")
    bank_reference = (bank_reference or "").strip().upper()
    if not bank_reference:
        raise ValidationError({"bank_reference": ValidationError(_("The bank reference is required."),
                                                                 code="required")})
    order = _order_lock(order)
    require(can_record_margin(acting_user, order))
    previous = MarginPayment.objects.filter(order=order, bank_reference=bank_reference).first()
    if previous is not None:
        return _margin_replay(previous, amount, received_on)
    if order.state not in MARGIN_STATES:
        raise OrderNotOpen(_("Order %(order)s is %(state)s: it takes no more margin.")
                           % {"order": order.reference, "state": order.get_state_display()})
    still_needed = order.order_amount - order.margin_paid
    if amount > still_needed:
        raise MarginExceedsOrder(_("Order %(order)s needs %(needed)s more margin at most; %(amount)s was given.")
                                 % {"order": order.reference, "needed": f"{still_needed:,.2f}",
                                    "amount": f"{amount:,.2f}"})
    payment, created = insert_once(
        lambda: MarginPayment.objects.create(order=order, amount=amount, received_on=received_on,
                                             bank_reference=bank_reference, recorded_by=acting_user),
        lambda: MarginPayment.objects.filter(order=order, bank_reference=bank_reference).first())
    if not created:
        return _margin_replay(payment, amount, received_on)
    order.margin_paid += amount
    order.allowed_value = order_allowance(order, order.margin_paid)
    fields = ["margin_paid", "allowed_value"]
    if order.state == PurchaseOrder.State.AWAITING_MARGIN and order.margin_paid >= order.initial_margin:
        order.margin_received()
        fields.append("state")
    order.save(update_fields=fields)
    audit_record(actor=acting_user, action="confirming.margin.apply", target=order,
                 note=f"{bank_reference} {order.currency} {amount} → margin {order.margin_paid}, "
                      f"allowed {order.allowed_value}")
    return payment


def _margin_replay(payment: MarginPayment, amount: Decimal, received_on: datetime.date) -> MarginPayment:
    if payment.amount != amount or payment.received_on != received_on:
        raise MarginReferenceReused(
            _("Bank reference %(reference)s was applied to this order as %(amount)s on %(date)s.")
            % {"reference": payment.bank_reference, "amount": f"{payment.amount:,.2f}",
               "date": payment.received_on.isoformat()})
    return payment


@audited
def release_request(*, order: PurchaseOrder, value: Decimal, acting_user: User) -> ReleaseRequest:
    """Ask for goods worth `value` out of custody: refused above what the margin paid allows now."""
    value = _money(value, "value")
    order = _order_lock(order)
    require(can_request_release(acting_user, order))
    if order.state not in RELEASE_STATES:
        raise OrderNotOpen(_("Order %(order)s is %(state)s: nothing can be released.")
                           % {"order": order.reference, "state": order.get_state_display()})
    if value > order.releasable_value:
        raise ReleaseExceedsAllowance(
            _("At most %(releasable)s can be released now on order %(order)s (the margin paid allows %(allowed)s, "
              "%(released)s is released or requested); %(value)s was asked.")
            % {"releasable": f"{order.releasable_value:,.2f}", "order": order.reference,
               "allowed": f"{order.allowed_value:,.2f}", "released": f"{order.released_value:,.2f}",
               "value": f"{value:,.2f}"},
            releasable=str(order.releasable_value))
    today = timezone.localdate()
    number = sequence_next("confirming.release", today.year)
    release = ReleaseRequest.objects.create(order=order, reference=f"CWR-{today.year}-{number:05d}", value=value,
                                            requested_by=acting_user)
    order.released_value += value
    order.save(update_fields=["released_value"])
    audit_record(actor=acting_user, action="confirming.release.request", target=release, target_state=release.state,
                 note=f"{order.reference} {order.currency} {value}; released or requested {order.released_value} "
                      f"of {order.allowed_value}")
    # Its own small flow: the lender's operations find the release notice to issue in their inbox.
    case_start(release)
    return release


@audited
def release_withdraw(*, release: ReleaseRequest, acting_user: User) -> ReleaseRequest:
    """Withdraw a request the lender has not noticed yet: its value is free to request again."""
    with transaction.atomic():
        order = _order_lock(release.order)
        release = ReleaseRequest.objects.select_for_update().get(pk=release.pk)
        if not can_proceed(release.withdraw):
            raise ReleaseStateConflict(_("Release %(release)s is %(state)s: it can no longer be withdrawn.")
                               % {"release": release.reference, "state": release.get_state_display()})
        require(can_withdraw_release(acting_user, release))
        release.withdraw()
        release.save(update_fields=["state"])
        order.released_value -= release.value
        order.save(update_fields=["released_value"])
        audit_record(actor=acting_user, action="confirming.release.withdraw", target=release,
                     source_state=ReleaseRequest.State.REQUESTED, target_state=release.state)
        process_cancel(release)
    return release


#: Orders that use the agreement's limit: every order from its application until it is closed.
LIMIT_USING_STATES = tuple(state for state in PurchaseOrder.State.values
                           if state not in (PurchaseOrder.State.REJECTED, PurchaseOrder.State.CANCELLED,
                                            PurchaseOrder.State.CLOSED))


def agreement_limit_used(agreement: ConfirmingAgreement) -> Decimal:
    """Return the amount of the agreement's orders that use its limit (applied for and not closed)."""
    used = (PurchaseOrder.objects.filter(agreement=agreement, state__in=LIMIT_USING_STATES)
            .aggregate(total=Sum("order_amount"))["total"])
    return used or Decimal("0.00")


@audited
def order_create(*, agreement: ConfirmingAgreement, lines: list[dict], route: str, acting_user: User,
                 seller_order_number: str = "") -> PurchaseOrder:
    """Apply to finance a purchase from the seller: lines of goods, P and the initial margin computed here.

    `lines` are dicts of description, unit, quantity and unit_price. Refused on an agreement that is not
    active, for a route it does not allow, or above what its limit has left (under the agreement's lock).
    """
    agreement = ConfirmingAgreement.objects.select_for_update().get(pk=agreement.pk)
    require(can_create_order(acting_user, agreement))
    if agreement.state != ConfirmingAgreement.State.ACTIVE:
        raise AgreementNotActive(_("Agreement %(agreement)s is %(state)s: orders are financed only once every "
                                   "party signed it.")
                                 % {"agreement": agreement.reference, "state": agreement.get_state_display()})
    allowed_routes = {PurchaseOrder.Route.LOAN: agreement.allows_loan,
                      PurchaseOrder.Route.ACCEPTANCE_BILL: agreement.allows_acceptance_bill}
    if route not in allowed_routes:
        raise ValidationError({"route": ValidationError(_("Choose a loan or a bank acceptance bill."),
                                                        code="invalid_choice")})
    if not allowed_routes[route]:
        raise FundingRouteNotAllowed(_("Agreement %(agreement)s does not allow funding by %(route)s.")
                                     % {"agreement": agreement.reference,
                                        "route": PurchaseOrder.Route(route).label})
    rows = _order_lines(lines)
    try:
        amount = calc.order_amount((row.quantity, row.unit_price) for row in rows)
    except calc.ConfirmingCalculationError as error:
        raise ValidationError({"lines": ValidationError(error.message, code="invalid")}) from None
    used = agreement_limit_used(agreement)
    if used + amount > agreement.limit_amount:
        raise OrderAboveLimit(
            _("Order amount %(amount)s is above what agreement %(agreement)s has left: limit %(limit)s, "
              "%(used)s used by open orders, %(left)s left.")
            % {"amount": f"{amount:,.2f}", "agreement": agreement.reference, "limit": f"{agreement.limit_amount:,.2f}",
               "used": f"{used:,.2f}", "left": f"{max(agreement.limit_amount - used, Decimal('0')):,.2f}"})
    today = timezone.localdate()
    number = sequence_next("confirming.order", today.year)
    order = PurchaseOrder.objects.create(
        agreement=agreement, reference=f"CWO-{today.year}-{number:05d}", currency=agreement.currency, route=route,
        seller_order_number=(seller_order_number or "").strip(), order_amount=amount,
        initial_margin=calc.initial_margin(amount, agreement.margin_ratio), prepared_by=acting_user)
    for row in rows:
        row.order = order
        row.amount = calc.line_amount(row.quantity, row.unit_price)
    OrderLine.objects.bulk_create(rows)
    audit_record(actor=acting_user, action="confirming.order.create", target=order,
                 note=f"{agreement.reference} {order.currency} {amount}, initial margin {order.initial_margin}")
    return order


def _order_lines(lines: list[dict]) -> list[OrderLine]:
    if not lines:
        raise ValidationError({"lines": ValidationError(_("An order has at least one line of goods."),
                                                        code="required")})
    rows, errors = [], {}
    for index, line in enumerate(lines):
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


@audited
def order_submit(*, order: PurchaseOrder, acting_user: User) -> PurchaseOrder:
    """Send the distributor's order (new or revised) to the seller to confirm."""
    order = _order_lock(order)
    require(can_create_order(acting_user, order.agreement))
    if order.state == PurchaseOrder.State.RETURNED:
        order.resubmit()
    elif can_proceed(order.submit):
        order.submit()
    else:
        raise IllegalTransition(_("Order %(order)s is %(state)s: it cannot be sent to the seller.")
                                % {"order": order.reference, "state": order.get_state_display()})
    order.save(update_fields=["state"])
    audit_record(actor=acting_user, action="confirming.order.submit", target=order)
    return order


@audited
def order_seller_confirm(*, order: PurchaseOrder, acting_user: User) -> PurchaseOrder:
    """Record the seller's confirmation that the order is genuine and its goods will ship only on the lender's notice."""
    order = _order_lock(order)
    if order.state != PurchaseOrder.State.SELLER_CONFIRMATION:
        raise IllegalTransition(_("Order %(order)s is %(state)s: there is nothing for the seller to confirm.")
                                % {"order": order.reference, "state": order.get_state_display()})
    require(can_confirm_order(acting_user, order))
    order.seller_confirm()
    order.save(update_fields=["state"])
    audit_record(actor=acting_user, action="confirming.order.seller_confirm", target=order)
    return order
