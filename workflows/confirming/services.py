"""Confirming-warehouse writes: margin on an order and the releases it pays for.

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
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from scf.audit.services import audit_record, audited
from scf.core.races import insert_once
from scf.core.sequences import sequence_next
from scf.money import round_money
from scf.parties.models import User
from scf.parties.permissions import require

from . import calculations as calc
from .exceptions import MarginExceedsOrder, MarginReferenceReused, OrderNotOpen, ReleaseExceedsAllowance
from .models import MarginPayment, PurchaseOrder, ReleaseRequest
from .permissions import can_record_margin, can_request_release, can_withdraw_release

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
    audit_record(actor=acting_user, action="confirming.release.request", target=release,
                 note=f"{order.reference} {order.currency} {value}; released or requested {order.released_value} "
                      f"of {order.allowed_value}")
    return release


@audited
def release_withdraw(*, release: ReleaseRequest, acting_user: User) -> ReleaseRequest:
    """Withdraw a request the lender has not noticed yet: its value is free to request again."""
    with transaction.atomic():
        order = _order_lock(release.order)
        release = ReleaseRequest.objects.select_for_update().get(pk=release.pk)
        require(can_withdraw_release(acting_user, release))
        if not can_proceed(release.withdraw):
            raise OrderNotOpen(_("Release %(release)s is %(state)s: it can no longer be withdrawn.")
                               % {"release": release.reference, "state": release.get_state_display()})
        release.withdraw()
        release.save(update_fields=["state"])
        order.released_value -= release.value
        order.save(update_fields=["released_value"])
    audit_record(actor=acting_user, action="confirming.release.withdraw", target=release)
    return release
