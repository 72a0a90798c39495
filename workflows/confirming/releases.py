"""Releases (提货) after the request: the release notice, the seller's delivery notice, the goods delivered.

A release goes requested (the distributor, `services.release_request`) → notice issued (the lender's
operations send the release notice, 提货通知书, to whoever holds the goods: the seller in the three-party
form, the warehouse in the four-party one) → delivery notified (the seller answers the same day with its
delivery notice, 发货通知书, naming the goods line by line) → delivered (whoever holds the goods confirms,
line by line, what went out to the distributor), or withdrawn before the notice.

Value of goods out, line by line, is counted cumulatively on the order line: the goods out of a line are
worth round(quantity out × unit price), so a line delivered in parts adds up to its amount on the order,
never a cent more. A delivery notice may name goods worth at most the release's value. When fewer goods
are delivered than the release let out, the value not delivered is released no more: D drops by it and
the distributor may ask for it again.

Every write locks the order first, then the release, then the order lines in primary-key order: the same
order as a release request, so two of them never deadlock; D (`released_value`) stays within the
allowance under the check constraint of `PurchaseOrder`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from documents.services import document_generate
from scf.audit.services import audited
from scf.money import round_money
from scf.parties.models import User
from scf.parties.permissions import is_operator, require, staff_may
from workflows.inbox.services import complete_step, process_sync

from . import calculations as calc
from .exceptions import (
    DeliveryAboveAvailable,
    DeliveryAboveNotice,
    DeliveryExceedsRelease,
    DeliveryLineNotOnOrder,
    OrderNotOpen,
    ReleaseStateConflict,
)
from .maturity import order_close_if_complete
from .models import ConfirmingAgreement, OrderLine, PurchaseOrder, ReleaseLine, ReleaseRequest
from .permissions import ISSUE_RELEASE_NOTICE

RELEASE_NOTICE = "confirming_release_notice"
DELIVERY_NOTICE = "confirming_delivery_notice"
#: The states an order lets goods out in (the same as `services.RELEASE_STATES`).
OPEN_ORDER_STATES = (PurchaseOrder.State.FUNDED, PurchaseOrder.State.REFUND_DEMANDED)
QUANTITY_PLACES = Decimal("0.001")


# --- what the margin lets out now ---------------------------------------------------------------------

@dataclass(frozen=True)
class ReleasePosition:
    """An order's release figures (DESIGN §5): P, m, M0, M, the mode's allowance, D, releasable now."""

    mode: int
    order_amount: Decimal
    margin_ratio: Decimal
    initial_margin: Decimal
    margin_paid: Decimal
    allowed: Decimal
    released: Decimal
    releasable: Decimal
    delivered: Decimal
    open: bool

    @property
    def beyond_initial(self) -> Decimal:
        return max(self.margin_paid - self.initial_margin, calc.ZERO_MONEY)

    @property
    def paid_in_full(self) -> bool:
        return self.margin_paid >= self.order_amount


def release_position(order: PurchaseOrder) -> ReleasePosition:
    """Return what the order's release mode lets out now, computed from the margin paid (not a stored figure),
    or, once the seller refunded the shortfall, from the goods it keeps.

    The allowance is recomputed by `calculations.allowance` so the page shows the rule's own number; the
    order's `allowed_value` is the same figure kept by `order_margin_apply` for the check constraint.
    """
    agreement = order.agreement
    allowed = calc.allowance(agreement.release_mode, order=order.order_amount, margin_ratio=agreement.margin_ratio,
                             margin_paid=order.margin_paid)
    if order.goods_kept_value:
        # The seller refunded the shortfall and keeps (or buys back) goods worth it: the rest, P less those,
        # is the distributor's to take out (`maturity.refund_demand_complete_if_paid` keeps it as allowed_value).
        allowed = max(allowed, order.order_amount - order.goods_kept_value)
    return ReleasePosition(
        mode=agreement.release_mode, order_amount=order.order_amount, margin_ratio=agreement.margin_ratio,
        initial_margin=order.initial_margin, margin_paid=order.margin_paid, allowed=allowed,
        released=order.released_value, releasable=max(allowed - order.released_value, calc.ZERO_MONEY),
        delivered=order.delivered_value, open=order.state in OPEN_ORDER_STATES)


# --- locks and small helpers ----------------------------------------------------------------------------

def _lock(release: ReleaseRequest) -> tuple[PurchaseOrder, ReleaseRequest]:
    """Lock the order, then the release (a request locks the order too: one order, no deadlock)."""
    order_id = ReleaseRequest.objects.values_list("order_id", flat=True).get(pk=release.pk)
    order = (PurchaseOrder.objects.select_for_update(of=("self",))
             .select_related("agreement__lender", "agreement__seller", "agreement__distributor",
                             "agreement__warehouse").get(pk=order_id))
    release = ReleaseRequest.objects.select_for_update(of=("self",)).get(pk=release.pk)
    release.order = order
    return order, release


def _fire(release: ReleaseRequest, name: str, **kwargs) -> None:
    transition = getattr(release, name)
    if not can_proceed(transition):
        raise ReleaseStateConflict(_("Release %(release)s is %(state)s: this cannot be done now.")
                                   % {"release": release.reference, "state": release.get_state_display()})
    transition(**kwargs)


def _order_open(order: PurchaseOrder) -> None:
    if order.state not in OPEN_ORDER_STATES:
        raise OrderNotOpen(_("Order %(order)s is %(state)s: nothing can be released.")
                           % {"order": order.reference, "state": order.get_state_display()})


def goods_value(quantity_out: Decimal, unit_price: Decimal) -> Decimal:
    """Return what `quantity_out` of a line is worth: round(quantity × unit price), half up."""
    with localcontext() as context:
        context.prec = 60
        return round_money(quantity_out * unit_price)


def added_value(line: OrderLine, out_before: Decimal, quantity: Decimal) -> Decimal:
    """Return what `quantity` more of the line adds to its goods out: counted cumulatively, never past its amount."""
    return goods_value(out_before + quantity, line.unit_price) - goods_value(out_before, line.unit_price)


@dataclass(frozen=True)
class DeliveryLine:
    """One line of a delivery notice or confirmation: the order line and a quantity (as typed, or a Decimal)."""

    order_line: int | OrderLine
    quantity: Decimal | str | None


def _quantity(value, field: str, *, allow_zero: bool = False) -> Decimal:
    try:
        quantity = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: ValidationError(_("Enter a number."), code="invalid")}) from None
    if not quantity.is_finite():
        raise ValidationError({field: ValidationError(_("Enter a number."), code="invalid")})
    if quantity < 0 or (quantity == 0 and not allow_zero):
        raise ValidationError({field: ValidationError(_("The quantity must be more than zero."), code="min_value")})
    if quantity != quantity.quantize(QUANTITY_PLACES):
        raise ValidationError({field: ValidationError(_("Quantities are kept to 0.001."), code="precision")})
    return quantity


def _line_id(value) -> int | None:
    if isinstance(value, OrderLine):
        return value.pk
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _parse(lines: Sequence[DeliveryLine], *, allow_zero: bool) -> list[tuple[int, Decimal]]:
    """Return (order line id, quantity) pairs; refuse unreadable or repeated lines (field errors by index)."""
    errors: dict[str, list] = {}
    parsed, seen = [], set()
    for index, line in enumerate(lines):
        line_id = _line_id(line.order_line)
        if line_id is None:
            errors[f"lines.{index}.order_line"] = [_("Choose a line of the order.")]
            continue
        if line_id in seen:
            errors[f"lines.{index}.order_line"] = [_("This line is named twice.")]
            continue
        seen.add(line_id)
        try:
            parsed.append((line_id, _quantity(line.quantity, f"lines.{index}.quantity", allow_zero=allow_zero)))
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return parsed


def pending_quantities(order: PurchaseOrder, *, excluding: ReleaseRequest | None = None) -> dict[int, Decimal]:
    """Return, per order line, the quantity named by delivery notices not yet confirmed delivered."""
    rows = ReleaseLine.objects.filter(release__order=order, release__state=ReleaseRequest.State.DELIVERY_NOTIFIED)
    if excluding is not None:
        rows = rows.exclude(release=excluding)
    return {row["order_line_id"]: row["total"]
            for row in rows.values("order_line_id").annotate(total=Sum("quantity"))}


@dataclass(frozen=True)
class LineAvailability:
    """What a delivery notice may still name of one order line."""

    line: OrderLine
    pending: Decimal
    available: Decimal


def line_availability(order: PurchaseOrder, *, excluding: ReleaseRequest | None = None) -> list[LineAvailability]:
    """Return each order line with the quantity not delivered and not named by another open delivery notice."""
    pending = pending_quantities(order, excluding=excluding)
    result = []
    for line in order.lines.order_by("pk"):
        waiting = pending.get(line.pk, Decimal("0.000"))
        result.append(LineAvailability(line=line, pending=waiting,
                                       available=max(line.quantity - line.delivered_quantity - waiting,
                                                     Decimal("0.000"))))
    return result


def _language(organization) -> str:
    return getattr(organization, "preferred_language", "") or "zh-hans"


# --- the lender's release notice --------------------------------------------------------------------------

@audited
def release_notice_issue(*, release: ReleaseRequest, acting_user: User, language: str | None = None
                         ) -> ReleaseRequest:
    """The lender's operations issue the release notice (提货通知书, sealed PDF) to whoever holds the goods.

    The seller's delivery notice is due the same day: the release's inbox due date is today.
    """
    order, release = _lock(release)
    require(staff_may(acting_user, ISSUE_RELEASE_NOTICE, order.agreement.lender_id),
            _("Only the lender's operations issue a release notice."))
    _order_open(order)
    now = timezone.now()
    _fire(release, "issue_notice", by=acting_user, at=now,
          note=f"{order.reference} {order.currency} {release.value} to {release.custodian}")
    release.save(update_fields=["state", "noticed_by", "noticed_at"])
    document_generate(obj=release, kind_code=RELEASE_NOTICE, language=language or _language(release.custodian),
                      acting_user=acting_user)
    complete_step(release, "notice", acting_user)
    process_sync(release, due_date=timezone.localdate(now))
    return release


# --- the seller's delivery notice ----------------------------------------------------------------------------

@audited
def release_delivery_notify(*, release: ReleaseRequest, lines: Sequence[DeliveryLine], acting_user: User,
                            language: str | None = None) -> ReleaseRequest:
    """The seller answers the release notice with its delivery notice (发货通知书): the goods, line by line.

    Refused: goods of another order (409 `delivery_line_not_on_order`), more of a line than is left
    undelivered and not named by another open notice (409 `delivery_above_available`), goods worth more
    than the release lets out (409 `delivery_exceeds_release`); unreadable quantities are field errors.
    """
    order, release = _lock(release)
    require(is_operator(acting_user, order.agreement.seller_id),
            _("Only the seller of the order gives the delivery notice."))
    if release.state != ReleaseRequest.State.NOTICE_ISSUED:
        raise ReleaseStateConflict(_("Release %(release)s is %(state)s: there is no release notice to answer.")
                                   % {"release": release.reference, "state": release.get_state_display()})
    _order_open(order)
    parsed = _parse(lines, allow_zero=False)
    if not parsed:
        raise ValidationError({"lines": ValidationError(_("Name at least one line of goods to deliver."),
                                                        code="required")})
    order_lines = {line.pk: line for line in OrderLine.objects.select_for_update()
                   .filter(pk__in=[line_id for line_id, _q in parsed]).order_by("pk")}
    pending = pending_quantities(order, excluding=release)
    rows, total = [], calc.ZERO_MONEY
    for line_id, quantity in parsed:
        line = order_lines.get(line_id)
        if line is None or line.order_id != order.pk:
            raise DeliveryLineNotOnOrder(_("These goods are not on order %(order)s: a delivery notice names only "
                                           "the lines of the release's order.") % {"order": order.reference})
        out_before = line.delivered_quantity + pending.get(line.pk, Decimal("0"))
        available = line.quantity - out_before
        if quantity > available:
            raise DeliveryAboveAvailable(
                _("%(goods)s: %(available)s %(unit)s is left to deliver (ordered %(ordered)s, delivered %(delivered)s, "
                  "named by other notices %(pending)s); %(quantity)s was named.")
                % {"goods": line.description, "available": _qty(available), "unit": line.unit,
                   "ordered": _qty(line.quantity), "delivered": _qty(line.delivered_quantity),
                   "pending": _qty(pending.get(line.pk, Decimal("0"))), "quantity": _qty(quantity)},
                order_line=line.pk, available=str(available))
        value = added_value(line, out_before, quantity)
        total += value
        rows.append(ReleaseLine(release=release, order_line=line, quantity=quantity, value=value))
    if total > release.value:
        raise DeliveryExceedsRelease(
            _("The goods named are worth %(total)s; release %(release)s lets out %(value)s.")
            % {"total": f"{total:,.2f}", "release": release.reference, "value": f"{release.value:,.2f}"},
            value=str(release.value), goods_value=str(total))
    ReleaseLine.objects.filter(release=release).delete()
    ReleaseLine.objects.bulk_create(rows)
    _fire(release, "notify_delivery", by=acting_user, at=timezone.now(),
          note=f"{len(rows)} line(s) worth {order.currency} {total} of {release.value}")
    release.save(update_fields=["state", "delivery_notified_by", "delivery_notified_at"])
    document_generate(obj=release, kind_code=DELIVERY_NOTICE, language=language or _language(order.agreement.seller),
                      acting_user=acting_user)
    complete_step(release, "delivery_notice", acting_user)
    return release


def _qty(value: Decimal) -> str:
    text = f"{value.normalize():,f}"
    return "0" if text in ("-0", "0") else text


# --- the goods delivered -----------------------------------------------------------------------------------------

@audited
def release_delivery_confirm(*, release: ReleaseRequest, lines: Sequence[DeliveryLine], acting_user: User,
                             ) -> ReleaseRequest:
    """Whoever holds the goods confirms, line by line, what went out to the distributor.

    A line left out delivered nothing. Refused: goods of another order (409 `delivery_line_not_on_order`)
    and more of a line than the delivery notice named (409 `delivery_above_notice`). The order lines'
    delivered quantities and the order's delivered value grow; the value the release let out and was not
    delivered is released no more (D drops by it).
    """
    order, release = _lock(release)
    agreement = order.agreement
    custodian_id = agreement.warehouse_id if agreement.form == ConfirmingAgreement.Form.FOUR_PARTY \
        else agreement.seller_id
    require(is_operator(acting_user, custodian_id),
            _("Only the holder of the goods (the warehouse, or the seller in a three-party agreement) confirms "
              "the delivery."))
    if release.state != ReleaseRequest.State.DELIVERY_NOTIFIED:
        raise ReleaseStateConflict(_("Release %(release)s is %(state)s: there is no delivery notice to confirm.")
                                   % {"release": release.reference, "state": release.get_state_display()})
    parsed = _parse(lines, allow_zero=True)
    notified = {row.order_line_id: row for row in release.lines.select_for_update().order_by("order_line_id")}
    foreign = [line_id for line_id, _q in parsed if line_id not in notified]
    if foreign:
        on_order = set(OrderLine.objects.filter(pk__in=foreign, order=order).values_list("pk", flat=True))
        if set(foreign) - on_order:
            raise DeliveryLineNotOnOrder(_("These goods are not on order %(order)s: only the goods its delivery "
                                           "notice named can be confirmed.") % {"order": order.reference})
        line = OrderLine.objects.get(pk=next(iter(on_order)))
        raise DeliveryAboveNotice(_("%(goods)s: the delivery notice of %(release)s named none of it.")
                                  % {"goods": line.description, "release": release.reference}, order_line=line.pk)
    delivered = dict(parsed)
    if not any(quantity > 0 for quantity in delivered.values()):
        raise ValidationError({"lines": ValidationError(_("Enter the quantity delivered of at least one line."),
                                                        code="required")})
    order_lines = {line.pk: line for line in OrderLine.objects.select_for_update()
                   .filter(pk__in=list(notified)).order_by("pk")}
    total = calc.ZERO_MONEY
    for line_id, row in notified.items():
        quantity = delivered.get(line_id, Decimal("0.000"))
        line = order_lines[line_id]
        if quantity > row.quantity:
            raise DeliveryAboveNotice(
                _("%(goods)s: the delivery notice named %(notified)s %(unit)s; %(quantity)s was confirmed.")
                % {"goods": line.description, "notified": _qty(row.quantity), "unit": line.unit,
                   "quantity": _qty(quantity)}, order_line=line.pk, notified=str(row.quantity))
        total += added_value(line, line.delivered_quantity, quantity)
        line.delivered_quantity += quantity
        row.delivered_quantity = quantity
    if total > release.value:
        # Only a cent of cumulative rounding can get here: the notice was counted before other deliveries.
        raise DeliveryExceedsRelease(
            _("The goods confirmed are worth %(total)s; release %(release)s lets out %(value)s.")
            % {"total": f"{total:,.2f}", "release": release.reference, "value": f"{release.value:,.2f}"},
            value=str(release.value), goods_value=str(total))
    for line in order_lines.values():
        line.save(update_fields=["delivered_quantity"])
    ReleaseLine.objects.bulk_update(list(notified.values()), ["delivered_quantity"])
    not_delivered = release.value - total
    order.delivered_value += total
    order.released_value -= not_delivered
    _fire(release, "confirm_delivery", at=timezone.now(), by=acting_user, value=total,
          note=f"{order.currency} {total} delivered of {release.value}; {not_delivered} freed; "
               f"order delivered {order.delivered_value}, released or requested {order.released_value}")
    release.save(update_fields=["state", "delivered_at", "delivered_by", "delivered_value"])
    order.save(update_fields=["delivered_value", "released_value"])
    complete_step(release, "deliver", acting_user)
    # The last goods out of a settled order close it (the settlement advice, the agreement's wind-up).
    order_close_if_complete(order=order, acting_user=acting_user)
    return release
