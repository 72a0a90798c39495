"""Releases of pledged goods (解押) and splits of warehouse receipts (拆单), DESIGN §5 "Release" and "floor".

A release goes requested (by the pledgor) → ordered (the lender's operations issue the release order)
→ executed (the agreement's warehouse confirms the goods went out; the pledged quantities drop), or
cancelled before execution. What may be released is counted under the agreement's row lock, with R
the value of the releases requested and not executed yet, so concurrent requests never together take
more than is releasable:

* releasable value = max(0, V − round_up(E / r) − R);
* per commodity, the quantity that must stay = (E / r + R − value of the other commodities) / price,
  rounded up to the unit's precision (with one commodity: (E / r + R) / price, exactly DESIGN's).

A receipt is released whole; to release part of one the warehouse splits it first into new receipts
whose quantities add up to it exactly: they stay pledged under the same agreement, the old one is retired.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from documents.services import document_generate
from scf.audit.services import audit_record, audited
from scf.core.exceptions import IllegalTransition
from scf.core.sequences import sequence_next
from scf.parties.models import User
from scf.parties.permissions import is_operator, require, staff_may
from workflows.inbox.services import case_start, complete_step, process_cancel

from . import calculations as calc
from .agreements import agreement_wind_up_when_done
from .exceptions import (
    AgreementNotActive,
    ItemNotReleasable,
    NotYourWarehouse,
    ReleaseExceedsReleasable,
    ReleasePartialReceipt,
    SplitConflict,
    SubstitutionBelowFloor,
    SubstitutionExceedsValueIn,
    SubstitutionNotAllowed,
    ValuationNotReliable,
)
from .models import (
    CollateralIntake,
    Commodity,
    InventoryLot,
    PledgeAgreement,
    PledgedItem,
    PledgeRelease,
    PledgeReleaseLine,
    PledgeRevaluation,
    WarehouseReceipt,
)
from .permissions import ISSUE_PLEDGE_NOTICE, is_agreement_warehouse
from .revaluation import revalue_agreement
from .valuation import AgreementValuation, agreement_valuation

RELEASE_ORDER = "pledge_release_order"
FLOOR_NOTICE = "pledge_floor_notice"


# --- what may be released now ------------------------------------------------------------------

@dataclass(frozen=True)
class CommodityReleasable:
    """One commodity under the agreement: its quantity pledged, what must stay and what may go."""

    commodity: Commodity
    price: Decimal
    quantity: Decimal
    value: Decimal
    keep: Decimal
    releasable: Decimal


@dataclass(frozen=True)
class Releasable:
    """What may be released from an agreement now, with the figures it comes from."""

    valuation: AgreementValuation
    value: Decimal  # V
    exposure: Decimal  # E
    pending: Decimal  # R: releases requested or ordered, not executed
    kept_value: Decimal  # round_up(E / r)
    releasable_value: Decimal
    commodities: list[CommodityReleasable] = field(default_factory=list)
    pending_quantities: dict[int, Decimal] = field(default_factory=dict)  # item pk → quantity in pending releases

    @property
    def reliable(self) -> bool:
        return self.valuation.reliable

    def for_commodity(self, commodity_id: int) -> CommodityReleasable | None:
        return next((c for c in self.commodities if c.commodity.pk == commodity_id), None)

    def available(self, item: PledgedItem) -> Decimal:
        """The quantity of the item not already in a pending release."""
        return item.quantity - self.pending_quantities.get(item.pk, Decimal("0"))


def pending_release_value(agreement: PledgeAgreement) -> Decimal:
    """Return R, the value of the agreement's releases requested or ordered and not executed."""
    total = (PledgeRelease.objects.filter(agreement=agreement, state__in=PledgeRelease.PENDING)
             .aggregate(total=Sum("requested_value"))["total"])
    return total or calc.ZERO_MONEY


def _pending_quantities(agreement: PledgeAgreement) -> dict[int, Decimal]:
    rows = (PledgeReleaseLine.objects.filter(release__agreement=agreement, release__state__in=PledgeRelease.PENDING)
            .values("item_id").annotate(total=Sum("quantity")))
    return {row["item_id"]: row["total"] for row in rows}


def releasable_now(agreement: PledgeAgreement, on: datetime.date | None = None) -> Releasable:
    """Return what may be released from the agreement on `on`: the value and, per commodity, the quantity."""
    valuation = agreement_valuation(agreement, on)
    rate = agreement.pledge_rate
    exposure = valuation.exposure
    pending = pending_release_value(agreement)
    kept = calc.round_up_money(calc._ceil_div(exposure, rate)) if exposure > 0 else calc.ZERO_MONEY
    grouped: dict[int, dict] = {}
    for line in valuation.lines:
        if line.price is None:
            continue
        entry = grouped.setdefault(line.commodity.pk, {"commodity": line.commodity, "price": line.price,
                                                       "quantity": Decimal("0"), "value": calc.ZERO_MONEY})
        entry["quantity"] += line.quantity
        entry["value"] += line.value
    commodities = []
    for entry in grouped.values():
        commodity = entry["commodity"]
        precision = commodity.quantity_precision
        other = valuation.value - entry["value"]
        keep = calc.quantity_to_keep(exposure, rate, entry["price"], precision, pending, other)
        commodities.append(CommodityReleasable(
            commodity=commodity, price=entry["price"], quantity=entry["quantity"].quantize(precision),
            value=entry["value"], keep=keep,
            releasable=max(Decimal("0").quantize(precision), entry["quantity"] - keep).quantize(precision)))
    return Releasable(valuation=valuation, value=valuation.value, exposure=exposure, pending=pending,
                      kept_value=kept, releasable_value=calc.releasable_value(valuation.value, exposure, rate, pending),
                      commodities=commodities, pending_quantities=_pending_quantities(agreement))


def floor_value(agreement: PledgeAgreement) -> Decimal:
    """Return the dynamic pledge floor F = E / r rounded up to 0.01, or the lender's floor when higher."""
    exposure = calc.exposure(agreement.principal_outstanding, agreement.cash_margin)
    return calc.floor_value(exposure, agreement.pledge_rate, agreement.floor_value_minimum)


# --- requesting a release ------------------------------------------------------------------------

@dataclass(frozen=True)
class ReleaseRequestLine:
    """One line of a release request: a pledged item and the quantity (None: the whole of it)."""

    item: PledgedItem | int
    quantity: Decimal | None = None


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _quantity(quantity: Decimal, commodity: Commodity) -> str:
    return f"{quantity.quantize(commodity.quantity_precision):,}"


def _number(item: PledgedItem) -> str:
    return item.receipt.number if item.receipt_id else item.lot.lot_number


def _lock_agreement(agreement: PledgeAgreement | int) -> PledgeAgreement:
    pk = agreement.pk if isinstance(agreement, PledgeAgreement) else agreement
    return PledgeAgreement.objects.select_for_update().select_related("lender", "pledgor", "warehouse").get(pk=pk)


def _next_reference() -> str:
    year = timezone.localdate().year
    return f"REL-{year}-{sequence_next(key='pledge_release', year=year):06d}"


def _line_quantity(index: int, line: ReleaseRequestLine, item: PledgedItem, available: Decimal) -> Decimal:
    field_name = f"lines.{index}.quantity"
    if item.receipt_id is not None:
        if line.quantity is not None and Decimal(line.quantity) != item.quantity:
            raise ReleasePartialReceipt(
                _("Receipt %(number)s holds %(quantity)s and is released whole: to release %(asked)s, ask the "
                  "warehouse to split it first.")
                % {"number": item.receipt.number, "quantity": _quantity(item.quantity, item.commodity),
                   "asked": _quantity(Decimal(line.quantity), item.commodity)})
        if available != item.quantity:
            raise ItemNotReleasable(_("Receipt %(number)s is already in a release not yet executed.")
                                    % {"number": item.receipt.number})
        return item.quantity
    if line.quantity is None:
        quantity = available
    else:
        try:
            quantity = Decimal(str(line.quantity))
        except (InvalidOperation, ValueError):
            raise ValidationError({field_name: ValidationError(_("Enter a number."), code="invalid")}) from None
    if quantity <= 0 and line.quantity is None:
        raise ItemNotReleasable(_("Lot %(number)s is already wholly in releases not yet executed.")
                                % {"number": item.lot.lot_number})
    try:
        calc.validate_quantity(quantity, item.commodity.quantity_precision, field=field_name)
    except calc.PledgeCalculationError as error:
        raise ValidationError({field_name: ValidationError(error.message, code="quantity_invalid")}) from None
    if quantity > available:
        raise ReleaseExceedsReleasable(
            _("Lot %(number)s has %(available)s pledged and not already being released; %(asked)s was asked.")
            % {"number": item.lot.lot_number, "available": _quantity(available, item.commodity),
               "asked": _quantity(quantity, item.commodity)})
    return quantity


@audited
def release_request(*, agreement: PledgeAgreement, lines: Sequence[ReleaseRequestLine], acting_user: User,
                    note: str = "", substitution_for: CollateralIntake | int | None = None) -> PledgeRelease:
    """The pledgor asks to release goods; refused beyond what is releasable now, nothing kept.

    Counted under the agreement's row lock: two requests at once are counted one after the other, the
    second with the first's value in R. Refused: a receipt in part (split it first), goods not pledged
    under the agreement or already being released, a stale valuation or a missing price, and more value
    or quantity than may be released (409, with the figures).

    With `substitution_for`, an intake of a dynamic pledge whose new goods are already counted and
    pledged, the request is a substitution (换货): the old goods go out when the value in ≥ the value
    out and the value after ≥ the floor F (`substitution_check`), instead of the release rule.
    """
    require(is_operator(acting_user, agreement.pledgor_id), _("Only the pledgor's operators ask for a release."))
    agreement = _lock_agreement(agreement)
    if agreement.state != PledgeAgreement.State.ACTIVE:
        raise AgreementNotActive(_("Goods are released only under an active agreement."))
    intake = _substitution_intake(agreement, substitution_for) if substitution_for is not None else None
    if not lines:
        raise ValidationError({"lines": ValidationError(_("Choose at least one receipt or lot to release."),
                                                        code="required")})
    today = timezone.localdate()
    status = releasable_now(agreement, today)
    if not status.reliable:
        raise ValuationNotReliable()
    prices = {c.commodity.pk: c.price for c in status.commodities}
    seen: set[int] = set()
    chosen: list[tuple[PledgedItem, Decimal, Decimal, Decimal]] = []  # item, quantity, price, value
    for index, line in enumerate(lines):
        pk = line.item.pk if isinstance(line.item, PledgedItem) else line.item
        item = (PledgedItem.objects.select_related("commodity", "receipt", "lot")
                .filter(pk=pk, agreement=agreement, status=PledgedItem.Status.PLEDGED, quantity__gt=0).first())
        if item is None:
            raise ItemNotReleasable(_("These goods are not pledged under agreement %(ref)s.")
                                    % {"ref": agreement.reference})
        if item.pk in seen:
            raise ValidationError({f"lines.{index}.item": ValidationError(
                _("%(number)s is chosen twice.") % {"number": _number(item)}, code="duplicate")})
        seen.add(item.pk)
        quantity = _line_quantity(index, line, item, status.available(item))
        price = prices[item.commodity_id]
        chosen.append((item, quantity, price, calc.line_value(quantity, price)))
    value = sum((entry[3] for entry in chosen), calc.ZERO_MONEY)
    if intake is not None:
        if any(item.intake_id == intake.pk for item, *_rest in chosen):
            raise ValidationError({"lines": ValidationError(
                _("The new goods of intake %(ref)s cannot go out in exchange for themselves.")
                % {"ref": intake.reference}, code="substitution_same_goods")})
        substitution_check(agreement, intake, value, status=status)
    else:
        _check_releasable(agreement, chosen, value, status)
    release = PledgeRelease(agreement=agreement, reference=_next_reference(), requested_value=value,
                            currency=agreement.currency, requested_by=acting_user, note=(note or "").strip(),
                            substitution_for=intake)
    release.save()
    PledgeReleaseLine.objects.bulk_create(
        PledgeReleaseLine(release=release, item=item, quantity=quantity, unit_price=price, value=line_value)
        for item, quantity, price, line_value in chosen)
    kind = f"substitution for {intake.reference}" if intake is not None else "release"
    audit_record(actor=acting_user, action="pledge.release.request", target=release, target_state=release.state,
                 note=f"{agreement.reference} {kind}: {agreement.currency} {value} of {status.releasable_value} "
                      f"releasable")
    case_start(release)
    return release


def _check_releasable(agreement: PledgeAgreement, chosen: list, value: Decimal, status: Releasable) -> None:
    """Refuse a release beyond what is releasable now, per commodity and in value (DESIGN §5 "Release")."""
    asked: dict[int, Decimal] = {}
    for item, quantity, _price, _value in chosen:
        asked[item.commodity_id] = asked.get(item.commodity_id, Decimal("0")) + quantity
    for commodity_id, quantity in asked.items():
        figures = status.for_commodity(commodity_id)
        if quantity > figures.releasable:
            unit = figures.commodity.get_unit_display()
            raise ReleaseExceedsReleasable(
                _("At most %(releasable)s %(unit)s of %(commodity)s may be released now (%(keep)s %(unit)s must "
                  "stay pledged); %(asked)s %(unit)s was asked.")
                % {"releasable": _quantity(figures.releasable, figures.commodity), "unit": unit,
                   "commodity": figures.commodity.name, "keep": _quantity(figures.keep, figures.commodity),
                   "asked": _quantity(quantity, figures.commodity)})
    if value > status.releasable_value:
        raise ReleaseExceedsReleasable(
            _("At most %(currency)s %(releasable)s may be released now (value %(value)s, %(kept)s must stay "
              "pledged, %(pending)s already being released); the goods asked for are worth %(asked)s.")
            % {"currency": agreement.currency, "releasable": _money(status.releasable_value),
               "value": _money(status.value), "kept": _money(status.kept_value), "pending": _money(status.pending),
               "asked": _money(value)})


# --- substitution (换货) of a dynamic pledge ---------------------------------------------------------

def _substitution_intake(agreement: PledgeAgreement, intake: CollateralIntake | int) -> CollateralIntake:
    """Return the intake whose new goods a substitution is for: this agreement's, counted and pledged."""
    if agreement.kind != PledgeAgreement.Kind.DYNAMIC:
        raise SubstitutionNotAllowed(_("Only a dynamic pledge substitutes goods; under a static pledge goods go out "
                                       "only by a release after a repayment or cash margin."))
    pk = intake.pk if isinstance(intake, CollateralIntake) else intake
    found = CollateralIntake.objects.filter(pk=pk, agreement=agreement).first()
    if found is None:
        raise ValidationError({"substitution_for": ValidationError(
            _("Choose an intake of agreement %(ref)s.") % {"ref": agreement.reference}, code="invalid_choice")})
    if found.state != CollateralIntake.State.EFFECTIVE:
        raise SubstitutionNotAllowed(
            _("The new goods of intake %(ref)s are not pledged yet (%(state)s): they come in first, counted by the "
              "warehouse and with the notice of pledge confirmed, before the old goods go out.")
            % {"ref": found.reference, "state": found.get_state_display()})
    return found


@dataclass(frozen=True)
class SubstitutionFigures:
    """What a substitution against one intake may take out now, with the figures it comes from."""

    value_in: Decimal  # the intake's goods still pledged, at current approved prices
    exchanged: Decimal  # other substitutions against it not cancelled, at current approved prices
    floor: Decimal  # F
    value: Decimal  # V
    pending: Decimal  # R: releases requested or ordered, not executed

    @property
    def value_after_pending(self) -> Decimal:
        """V − R: what stays once the releases not yet executed are done."""
        return self.value - self.pending

    @property
    def left_in(self) -> Decimal:
        return max(calc.ZERO_MONEY, self.value_in - self.exchanged)

    @property
    def above_floor(self) -> Decimal:
        return max(calc.ZERO_MONEY, self.value_after_pending - self.floor)

    @property
    def allowed_out(self) -> Decimal:
        """The most value that may go out against the intake now: both rules at once."""
        return min(self.left_in, self.above_floor)


def substitution_figures(agreement: PledgeAgreement, intake: CollateralIntake,
                         status: Releasable | None = None) -> SubstitutionFigures:
    """Return the value brought in by the intake, the value already exchanged against it, F and V − R.

    Priced at the lender's current approved prices (a commodity with no price counts nothing in).
    """
    status = status or releasable_now(agreement)
    prices = {c.commodity.pk: c.price for c in status.commodities}

    def priced(quantity: Decimal, commodity_id: int) -> Decimal:
        price = prices.get(commodity_id)
        return calc.line_value(quantity, price) if price is not None else calc.ZERO_MONEY

    value_in = sum((priced(item.quantity, item.commodity_id) for item in intake.items.filter(
        agreement=agreement, status=PledgedItem.Status.PLEDGED, quantity__gt=0)), calc.ZERO_MONEY)
    others = PledgeReleaseLine.objects.filter(release__substitution_for=intake).exclude(
        release__state=PledgeRelease.State.CANCELLED).select_related("item")
    exchanged = sum((priced(line.quantity, line.item.commodity_id) for line in others), calc.ZERO_MONEY)
    return SubstitutionFigures(value_in=value_in, exchanged=exchanged, floor=floor_value(agreement),
                               value=status.value, pending=status.pending)


def substitution_check(agreement: PledgeAgreement, intake: CollateralIntake, value_out: Decimal,
                       status: Releasable | None = None) -> SubstitutionFigures:
    """Refuse a substitution unless value in ≥ value out and value after ≥ F (DESIGN §5 "Dynamic pledge floor").

    The value in is what the intake brought in less what other substitutions already took out against it;
    the value after is V − R − value out, R counting every release not yet executed.
    """
    figures = substitution_figures(agreement, intake, status)
    currency = agreement.currency
    if value_out > figures.left_in:
        raise SubstitutionExceedsValueIn(
            _("The goods going out are worth %(currency)s %(out)s, more than the new goods of intake %(ref)s bring "
              "in: %(in)s, of which %(exchanged)s already went against other goods, so at most %(left)s may go out.")
            % {"currency": currency, "out": _money(value_out), "ref": intake.reference,
               "in": _money(figures.value_in), "exchanged": _money(figures.exchanged),
               "left": _money(figures.left_in)})
    after = figures.value_after_pending - value_out
    if after < figures.floor:
        raise SubstitutionBelowFloor(
            _("After this substitution the goods would be worth %(currency)s %(after)s, below the floor value "
              "%(floor)s (value now %(value)s, %(pending)s already being released, %(out)s going out).")
            % {"currency": currency, "after": _money(after), "floor": _money(figures.floor),
               "value": _money(figures.value), "pending": _money(figures.pending), "out": _money(value_out)})
    return figures


# --- ordering, executing, cancelling ---------------------------------------------------------------

def _lock_release(release: PledgeRelease) -> PledgeRelease:
    """Lock the agreement, then the release (always in this order: a request locks the agreement too)."""
    agreement_id = PledgeRelease.objects.values_list("agreement_id", flat=True).get(pk=release.pk)
    _lock_agreement(agreement_id)
    return PledgeRelease.objects.select_for_update().select_related(
        "agreement__lender", "agreement__pledgor", "agreement__warehouse").get(pk=release.pk)


def _fire(release: PledgeRelease, name: str, **kwargs) -> None:
    transition = getattr(release, name)
    if not can_proceed(transition):
        raise IllegalTransition(_("Release %(ref)s is %(state)s: this cannot be done now.")
                                % {"ref": release.reference, "state": release.get_state_display()})
    transition(**kwargs)


def can_issue_release_order(user: User, release: PledgeRelease) -> bool:
    """Whether the user issues the release order: the lender's operations, while requested."""
    return (release.state == PledgeRelease.State.REQUESTED
            and staff_may(user, ISSUE_PLEDGE_NOTICE, release.agreement.lender_id))


def can_execute_release(user: User, release: PledgeRelease) -> bool:
    """Whether the user confirms the goods went out: the agreement's warehouse, once the order is issued."""
    return release.state == PledgeRelease.State.ORDERED and is_agreement_warehouse(user, release.agreement)


def can_cancel_release(user: User, release: PledgeRelease) -> bool:
    """Whether the user cancels the release: the pledgor while requested, the lender's operations until executed."""
    if release.state not in PledgeRelease.PENDING:
        return False
    if staff_may(user, ISSUE_PLEDGE_NOTICE, release.agreement.lender_id):
        return True
    return release.state == PledgeRelease.State.REQUESTED and is_operator(user, release.agreement.pledgor_id)


def can_request_release(user: User, agreement: PledgeAgreement) -> bool:
    """Whether the user asks for a release (or a substitution): the pledgor's operators, under an active agreement."""
    return agreement.state == PledgeAgreement.State.ACTIVE and is_operator(user, agreement.pledgor_id)


def _require_not_defaulted(release: PledgeRelease) -> None:
    """Refuse (409) to let goods go out under an agreement in default: they are kept to be sold."""
    agreement = release.agreement
    if agreement.state == PledgeAgreement.State.DEFAULTED:
        raise AgreementNotActive(_("Agreement %(ref)s is in default: its goods are kept for the disposal and no "
                                   "release goes out.") % {"ref": agreement.reference})


@audited
def release_order_issue(*, release: PledgeRelease, acting_user: User, language: str | None = None) -> PledgeRelease:
    """The lender's operations issue the release order (EN/ZH PDF) to the agreement's warehouse."""
    release = _lock_release(release)
    require(staff_may(acting_user, ISSUE_PLEDGE_NOTICE, release.agreement.lender_id),
            _("Only the lender's operations issue a release order."))
    _require_not_defaulted(release)
    source = release.state
    _fire(release, "issue_order", by=acting_user, at=timezone.now())
    release.save()
    audit_record(actor=acting_user, action="pledge.release.order", target=release, source_state=source,
                 target_state=release.state)
    document_generate(obj=release, kind_code=RELEASE_ORDER,
                      language=language or release.agreement.warehouse.preferred_language, acting_user=acting_user)
    complete_step(release, "order", acting_user)
    return release


@audited
def release_execute(*, release: PledgeRelease, acting_user: User, note: str = "") -> PledgeRelease:
    """The agreement's warehouse confirms the goods went out: the pledged quantities drop, emptied items released."""
    release = _lock_release(release)
    if not is_agreement_warehouse(acting_user, release.agreement):
        raise NotYourWarehouse(_("Only the agreement's warehouse confirms that released goods went out."))
    _require_not_defaulted(release)
    source = release.state
    _fire(release, "execute", by=acting_user, at=timezone.now())
    if note:
        release.note = f"{release.note}\n{note.strip()}".strip()
    release.save()
    for line in release.lines.order_by("item_id"):
        item = PledgedItem.objects.select_for_update().get(pk=line.item_id)
        if item.status != PledgedItem.Status.PLEDGED or line.quantity > item.quantity:
            raise ItemNotReleasable(_("The goods of release %(ref)s are no longer pledged as ordered.")
                                    % {"ref": release.reference})
        item.quantity -= line.quantity
        if item.quantity == 0:
            item.status = PledgedItem.Status.RELEASED
        item.save(update_fields=["quantity", "status"])
        _goods_left(item, line.quantity)
    audit_record(actor=acting_user, action="pledge.release.execute", target=release, source_state=source,
                 target_state=release.state, note=f"{release.currency} {release.requested_value}")
    complete_step(release, "confirm", acting_user)
    revalue_agreement(agreement=release.agreement_id, trigger=PledgeRevaluation.Trigger.RELEASE,
                      acting_user=acting_user)
    _goods_changed(release.agreement)
    return release


def _goods_changed(agreement: PledgeAgreement) -> None:
    """After goods went out: a dynamic pledge's warehouse gets the floor value notice again, restated for the
    goods it now holds; when nothing is held nor owed any more the closing task opens instead."""
    if agreement_wind_up_when_done(agreement):
        return
    if (agreement.kind == PledgeAgreement.Kind.DYNAMIC and agreement.state == PledgeAgreement.State.ACTIVE
            and PledgedItem.objects.filter(agreement=agreement, status__in=PledgedItem.HELD).exists()):
        floor_notice_issue(agreement=agreement, acting_user=None)


def _goods_left(item: PledgedItem, quantity: Decimal) -> None:
    """Drop the warehouse's record of goods that went out: a receipt is surrendered whole, a lot holds less.

    A receipt whose goods left is cancelled, so it can never be pledged again with nothing behind it.
    A lot keeps its last quantity when all of it went out (a lot's quantity is never zero); a new
    declaration of it is counted by the warehouse anyway.
    """
    if item.receipt_id is not None:
        WarehouseReceipt.objects.filter(pk=item.receipt_id, status=WarehouseReceipt.Status.VALID).update(
            status=WarehouseReceipt.Status.CANCELLED)
        return
    lot = InventoryLot.objects.select_for_update().get(pk=item.lot_id)
    if lot.quantity > quantity:
        lot.quantity -= quantity
        lot.save(update_fields=["quantity"])


@audited
def release_cancel(*, release: PledgeRelease, acting_user: User, reason: str = "") -> PledgeRelease:
    """Cancel a release not executed: the pledgor while requested, the lender's operations until executed."""
    release = _lock_release(release)
    if release.state in PledgeRelease.PENDING:
        require(can_cancel_release(acting_user, release),
                _("Only the pledgor (before the release order) or the lender's operations cancel a release."))
    source = release.state
    _fire(release, "cancel", by=acting_user, at=timezone.now())
    reason = (reason or "").strip()
    if reason:
        release.note = f"{release.note}\n{reason}".strip()
    release.save()
    audit_record(actor=acting_user, action="pledge.release.cancel", target=release, source_state=source,
                 target_state=release.state, note=reason)
    process_cancel(release)
    return release


# --- splitting a receipt -------------------------------------------------------------------------

@dataclass(frozen=True)
class SplitPart:
    """One new receipt of a split: its number and quantity."""

    number: str
    quantity: Decimal


@audited
def receipt_split(*, pledged_item: PledgedItem, parts: Sequence[SplitPart], acting_user: User) -> list[PledgedItem]:
    """The warehouse splits a pledged receipt (拆单) into new receipts that stay pledged under the same agreement.

    The parts' quantities add up exactly to the receipt's; each new number is new at the warehouse. The
    old receipt is marked split and its pledged item retired (status split); nothing else changes, so
    the valuation is the same before and after.
    """
    agreement_id = PledgedItem.objects.values_list("agreement_id", flat=True).get(pk=pledged_item.pk)
    agreement = _lock_agreement(agreement_id)
    item = (PledgedItem.objects.select_for_update(of=("self",)).select_related("commodity", "receipt", "intake")
            .get(pk=pledged_item.pk))
    if not is_agreement_warehouse(acting_user, agreement):
        raise NotYourWarehouse(_("Only the agreement's warehouse splits its receipts."))
    if item.receipt_id is None:
        raise SplitConflict(_("Only a warehouse receipt is split; a lot is released in part as it is."))
    receipt = WarehouseReceipt.objects.select_for_update().get(pk=item.receipt_id)
    if item.status != PledgedItem.Status.PLEDGED or receipt.status != WarehouseReceipt.Status.VALID:
        raise SplitConflict(_("Receipt %(number)s is not pledged and valid: it cannot be split.")
                            % {"number": receipt.number})
    if PledgeReleaseLine.objects.filter(item=item, release__state__in=PledgeRelease.PENDING).exists():
        raise SplitConflict(_("Receipt %(number)s is in a release not yet executed: cancel it before splitting.")
                            % {"number": receipt.number})
    if len(parts) < 2:
        raise ValidationError({"parts": ValidationError(_("A split makes at least two new receipts."),
                                                        code="too_few_parts")})
    commodity = item.commodity
    numbers: set[str] = set()
    cleaned: list[SplitPart] = []
    for index, part in enumerate(parts):
        number = (part.number or "").strip()
        if not number:
            raise ValidationError({f"parts.{index}.number": ValidationError(_("Enter the new receipt's number."),
                                                                            code="required")})
        if number in numbers or number == receipt.number:
            raise ValidationError({f"parts.{index}.number": ValidationError(
                _("%(number)s is used twice.") % {"number": number}, code="duplicate")})
        numbers.add(number)
        try:
            quantity = Decimal(str(part.quantity))
            calc.validate_quantity(quantity, commodity.quantity_precision, field=f"parts.{index}.quantity")
        except (InvalidOperation, ValueError):
            raise ValidationError({f"parts.{index}.quantity": ValidationError(_("Enter a number."),
                                                                              code="invalid")}) from None
        except calc.PledgeCalculationError as error:
            raise ValidationError({error.field: ValidationError(error.message, code="quantity_invalid")}) from None
        cleaned.append(SplitPart(number=number, quantity=quantity))
    total = sum((part.quantity for part in cleaned), Decimal("0"))
    if total != receipt.quantity:
        raise ValidationError({"parts": ValidationError(
            _("The parts add up to %(total)s; receipt %(number)s holds %(quantity)s. They must add up exactly.")
            % {"total": _quantity(total, commodity), "number": receipt.number,
               "quantity": _quantity(receipt.quantity, commodity)}, code="parts_do_not_add_up")})
    taken = list(WarehouseReceipt.objects.filter(warehouse_id=receipt.warehouse_id, number__in=numbers)
                 .values_list("number", flat=True))
    if taken:
        raise SplitConflict(_("The warehouse already issued receipts numbered %(numbers)s.")
                            % {"numbers": ", ".join(sorted(taken))})
    today = timezone.localdate()
    new_items = []
    try:
        with transaction.atomic():
            for part in cleaned:
                new_receipt = WarehouseReceipt.objects.create(
                    warehouse_id=receipt.warehouse_id, number=part.number, owner_id=receipt.owner_id,
                    commodity_id=receipt.commodity_id, quantity=part.quantity, location=receipt.location,
                    issued_on=today, expires_on=receipt.expires_on, split_from=receipt, created_by=acting_user)
                new_items.append(PledgedItem(
                    intake=item.intake, agreement=agreement, receipt=new_receipt, commodity=commodity,
                    declared_quantity=part.quantity, counted_quantity=part.quantity, quantity=part.quantity,
                    status=PledgedItem.Status.PLEDGED))
    except IntegrityError:
        raise SplitConflict(_("Another receipt with one of these numbers was just issued: choose other numbers."
                              )) from None
    receipt.status = WarehouseReceipt.Status.SPLIT
    receipt.save(update_fields=["status"])
    item.status = PledgedItem.Status.SPLIT
    item.save(update_fields=["status"])
    for new_item in new_items:
        new_item.save()
    audit_record(actor=acting_user, action="pledge.receipt.split", target=item, source_state="pledged",
                 target_state="split",
                 note=f"{receipt.number} → " + ", ".join(f"{p.number} {p.quantity}" for p in cleaned))
    return new_items


# --- the dynamic pledge's floor value notice ----------------------------------------------------------

@audited
def floor_notice_issue(*, agreement: PledgeAgreement, acting_user: User | None,
                       language: str | None = None):
    """Issue the floor value notice (最低控货价值通知书) of a dynamic pledge to its warehouse, at the floor now.

    Called on every change of exposure (a new version of the agreement's notice each time).
    """
    agreement = _lock_agreement(agreement)
    if acting_user is not None:
        require(staff_may(acting_user, ISSUE_PLEDGE_NOTICE, agreement.lender_id),
                _("Only the lender's operations issue the floor value notice."))
    if agreement.kind != PledgeAgreement.Kind.DYNAMIC:
        raise IllegalTransition(_("Only a dynamic pledge has a floor value."))
    if agreement.state != PledgeAgreement.State.ACTIVE:
        raise AgreementNotActive(_("The floor value notice is issued only under an active agreement."))
    document = document_generate(obj=agreement, kind_code=FLOOR_NOTICE,
                                 language=language or agreement.warehouse.preferred_language, acting_user=acting_user)
    audit_record(actor=acting_user, action="pledge.floor.notice", target=agreement,
                 note=f"floor {agreement.currency} {floor_value(agreement)}")
    return document
