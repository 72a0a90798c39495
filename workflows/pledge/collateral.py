"""Collateral in: the pledgor declares goods, the warehouse counts them, the lender's notice makes them pledged.

An intake (CollateralIntake) goes declared → counted → notice_issued → effective (or refused by
the warehouse, or withdrawn by the pledgor before the count). Its lines are PledgedItems; a receipt
or lot is held under one agreement at a time, which the partial unique indexes of PledgedItem hold
against any race: the loser's insert is turned into `collateral_already_pledged` (409), never a 500.

Documents (collateral_documents.py): the warehouse signs the pledged goods list (质物清单) once it
counted; the lender's operations then issue the notice of pledge (出质通知书), which the warehouse
confirms by signing its receipt block (回执). When both are signed the signing set's completion makes
the intake effective: its items are pledged at the counted quantity.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from documents.models import Document
from documents.selectors import kinds_all_signed
from documents.services import document_generate, document_sign
from scf.audit.services import audit_record, audited
from scf.core.exceptions import IllegalTransition
from scf.core.races import insert_once
from scf.core.sequences import sequence_next
from scf.parties.models import User
from scf.parties.permissions import is_operator, require, staff_may

from . import calculations as calc
from .exceptions import (
    AgreementNotActive,
    CollateralAlreadyPledged,
    CollateralPriceMissing,
    CommodityNotEligible,
    ConcentrationLimitExceeded,
    GoodsListNotSigned,
    IntakeDocumentNotReady,
    NotYourWarehouse,
    WarehouseNotApproved,
)
from .models import (
    CollateralIntake,
    Commodity,
    InventoryLot,
    PledgeAgreement,
    PledgedItem,
    PledgeRevaluation,
    WarehouseApproval,
    WarehouseReceipt,
)
from .permissions import ISSUE_PLEDGE_NOTICE, can_declare_collateral, is_agreement_warehouse
from .revaluation import revalue_agreement
from .selectors import eligible_commodities, latest_approved_price

GOODS_LIST = "pledged_goods_list"
PLEDGE_NOTICE = "pledge_notice"
INTAKE_KINDS = (GOODS_LIST, PLEDGE_NOTICE)

#: The intake states whose counted goods the warehouse already answers for (they become pledged).
COUNTED_STATES = (CollateralIntake.State.COUNTED, CollateralIntake.State.NOTICE_ISSUED)


@dataclass(frozen=True)
class IntakeLine:
    """One line of a declaration: a warehouse receipt (declared whole) or an inventory lot."""

    kind: str  # "receipt" or "lot"
    number: str
    commodity: Commodity | None
    quantity: Decimal | None
    location: str = ""
    issued_on: datetime.date | None = None  # receipts
    expires_on: datetime.date | None = None  # receipts
    description: str = ""  # lots

    RECEIPT = "receipt"
    LOT = "lot"


def _line_error(index: int, field: str, message: str, code: str) -> ValidationError:
    """A field error of one line, keyed `lines.<index>.<field>` (the form and the API map it back)."""
    return ValidationError({f"lines.{index}.{field}": ValidationError(message, code=code)})


def _lock_intake(intake: CollateralIntake) -> CollateralIntake:
    return CollateralIntake.objects.select_for_update().select_related(
        "agreement__lender", "agreement__pledgor", "agreement__warehouse").get(pk=intake.pk)


def _next_reference() -> str:
    year = timezone.localdate().year
    return f"CIN-{year}-{sequence_next(key='collateral_intake', year=year):06d}"


def _check_quantity(index: int, line: IntakeLine) -> Decimal:
    if line.quantity is None:
        raise _line_error(index, "quantity", _("Enter the quantity."), "required")
    try:
        calc.validate_quantity(line.quantity, line.commodity.quantity_precision)
    except calc.PledgeCalculationError as error:
        raise _line_error(index, "quantity", error.message, "quantity_invalid") from None
    return line.quantity


def _receipt_for(index: int, line: IntakeLine, agreement: PledgeAgreement, acting_user: User,
                 today: datetime.date) -> WarehouseReceipt:
    """Return the warehouse's receipt of this number, registering it when the warehouse has not; it must match."""
    if line.issued_on is None:
        raise _line_error(index, "issued_on", _("Enter the date the receipt was issued."), "required")
    if line.issued_on > today:
        raise _line_error(index, "issued_on", _("A receipt cannot be issued in the future."), "issued_in_future")
    if line.expires_on is not None and line.expires_on < line.issued_on:
        raise _line_error(index, "expires_on", _("The receipt cannot expire before it was issued."),
                          "expiry_before_issue")

    def create() -> WarehouseReceipt:
        receipt = WarehouseReceipt(warehouse=agreement.warehouse, number=line.number, owner=agreement.pledgor,
                                   commodity=line.commodity, quantity=line.quantity, location=line.location,
                                   issued_on=line.issued_on, expires_on=line.expires_on, created_by=acting_user)
        receipt.full_clean(validate_unique=False, validate_constraints=False)
        receipt.save()
        return receipt

    def existing() -> WarehouseReceipt | None:
        return WarehouseReceipt.objects.filter(warehouse=agreement.warehouse, number=line.number).first()

    receipt = existing()
    if receipt is None:
        receipt, _created = insert_once(create, existing)
    if receipt.owner_id != agreement.pledgor_id:
        raise _line_error(index, "number", _("Receipt %(number)s is not held by the pledgor.")
                          % {"number": line.number}, "receipt_owner_mismatch")
    if receipt.commodity_id != line.commodity.pk:
        raise _line_error(index, "commodity", _("Receipt %(number)s is for %(commodity)s.")
                          % {"number": line.number, "commodity": receipt.commodity.name}, "receipt_commodity_mismatch")
    if receipt.quantity != line.quantity:
        raise _line_error(index, "quantity", _("Receipt %(number)s is for %(quantity)s: a receipt is pledged whole.")
                          % {"number": line.number, "quantity": receipt.quantity.normalize()},
                          "receipt_quantity_mismatch")
    if receipt.status != WarehouseReceipt.Status.VALID:
        raise _line_error(index, "number", _("Receipt %(number)s is %(status)s and cannot be pledged.")
                          % {"number": line.number, "status": receipt.get_status_display()}, "receipt_not_valid")
    if receipt.expires_on is not None and receipt.expires_on < today:
        raise _line_error(index, "number", _("Receipt %(number)s expired on %(date)s.")
                          % {"number": line.number, "date": receipt.expires_on.isoformat()}, "receipt_expired")
    return receipt


def _lot_for(index: int, line: IntakeLine, agreement: PledgeAgreement, acting_user: User) -> InventoryLot:
    """Return the lot of this number at the agreement's warehouse, creating it when new; it must match."""

    def create() -> InventoryLot:
        lot = InventoryLot(warehouse=agreement.warehouse, owner=agreement.pledgor, commodity=line.commodity,
                           lot_number=line.number, quantity=line.quantity, location=line.location,
                           description=line.description, created_by=acting_user)
        lot.full_clean(validate_unique=False, validate_constraints=False)
        lot.save()
        return lot

    def existing() -> InventoryLot | None:
        return InventoryLot.objects.filter(warehouse=agreement.warehouse, lot_number=line.number).first()

    lot = existing()
    if lot is None:
        lot, _created = insert_once(create, existing)
    if lot.owner_id != agreement.pledgor_id:
        raise _line_error(index, "number", _("Lot %(number)s is not held by the pledgor.") % {"number": line.number},
                          "lot_owner_mismatch")
    if lot.commodity_id != line.commodity.pk:
        raise _line_error(index, "commodity", _("Lot %(number)s is of %(commodity)s.")
                          % {"number": line.number, "commodity": lot.commodity.name}, "lot_commodity_mismatch")
    if line.quantity > lot.quantity:
        raise _line_error(index, "quantity", _("Lot %(number)s holds only %(quantity)s.")
                          % {"number": line.number, "quantity": lot.quantity.normalize()}, "lot_quantity_exceeded")
    return lot


def _already_pledged(what: str) -> CollateralAlreadyPledged:
    return CollateralAlreadyPledged(_("%(what)s is already pledged under an agreement.") % {"what": what})


def _hold(intake: CollateralIntake, *, receipt: WarehouseReceipt | None, lot: InventoryLot | None,
          commodity: Commodity, quantity: Decimal) -> PledgedItem:
    """Insert the item; losing the held-once index (a race, or a plain repeat) is `collateral_already_pledged`.

    No look before the insert: the partial unique index alone decides, so a race and a repeat answer alike.
    """
    held = Q(status__in=PledgedItem.HELD) & (Q(receipt=receipt) if receipt is not None else Q(lot=lot))
    what = (_("Receipt %(number)s") % {"number": receipt.number} if receipt is not None
            else _("Lot %(number)s") % {"number": lot.lot_number})

    def create() -> PledgedItem:
        return PledgedItem.objects.create(intake=intake, agreement=intake.agreement, receipt=receipt, lot=lot,
                                          commodity=commodity, declared_quantity=quantity)

    def replay() -> PledgedItem | None:
        if PledgedItem.objects.filter(held).exists():
            raise _already_pledged(what)
        return None

    item, _created = insert_once(create, replay)
    return item


@audited
def intake_declare(*, agreement: PledgeAgreement, lines: Sequence[IntakeLine], acting_user: User,
                   note: str = "") -> CollateralIntake:
    """Declare goods under an active agreement: receipts (whole) or lots at the agreement's warehouse.

    Refused as a whole, nothing kept: a line that does not match the warehouse's receipt or lot, a
    commodity the lender does not accept, a quantity not positive or finer than its unit allows
    (400, field errors `lines.<i>.<field>`); a receipt or lot already held under an agreement
    (409 `collateral_already_pledged`, also when another declaration wins the race for it).
    """
    require(can_declare_collateral(acting_user, agreement),
            _("Only the pledgor's operators declare goods under this agreement."))
    agreement = PledgeAgreement.objects.select_related("lender", "pledgor", "warehouse").get(pk=agreement.pk)
    if agreement.state != PledgeAgreement.State.ACTIVE:
        raise AgreementNotActive()
    if not lines:
        raise ValidationError({"lines": ValidationError(_("Declare at least one receipt or lot."), code="required")})
    today = timezone.localdate()
    eligible = set(eligible_commodities(lender=agreement.lender).values_list("pk", flat=True))
    seen: set[tuple[str, str]] = set()
    for index, line in enumerate(lines):
        number = (line.number or "").strip()
        if line.kind not in (IntakeLine.RECEIPT, IntakeLine.LOT):
            raise _line_error(index, "kind", _("Choose a warehouse receipt or an inventory lot."), "invalid_choice")
        if not number:
            raise _line_error(index, "number", _("Enter the receipt or lot number."), "required")
        if (line.kind, number) in seen:
            raise _line_error(index, "number", _("%(number)s is declared twice.") % {"number": number}, "duplicate")
        seen.add((line.kind, number))
        if line.commodity is None:
            raise _line_error(index, "commodity", _("Choose the commodity."), "required")
        if line.commodity.pk not in eligible:
            raise CommodityNotEligible(_("%(lender)s does not accept %(commodity)s as collateral.")
                                       % {"lender": agreement.lender, "commodity": line.commodity.name})
        _check_quantity(index, line)
    intake = CollateralIntake(agreement=agreement, reference=_next_reference(), declared_by=acting_user,
                              note=(note or "").strip())
    intake.full_clean(exclude=["state"])
    intake.save()
    for index, line in enumerate(lines):
        line = IntakeLine(**{**line.__dict__, "number": line.number.strip(), "location": (line.location or "").strip(),
                             "description": (line.description or "").strip()})
        if line.kind == IntakeLine.RECEIPT:
            receipt = _receipt_for(index, line, agreement, acting_user, today)
            _hold(intake, receipt=receipt, lot=None, commodity=line.commodity, quantity=line.quantity)
        else:
            lot = _lot_for(index, line, agreement, acting_user)
            _hold(intake, receipt=None, lot=lot, commodity=line.commodity, quantity=line.quantity)
    audit_record(actor=acting_user, action="pledge.intake.declare", target=intake, target_state=intake.state,
                 note=f"{agreement.reference}: {len(lines)} line(s)")
    return intake


def _require_warehouse(user: User, intake: CollateralIntake) -> None:
    if not is_agreement_warehouse(user, intake.agreement):
        raise NotYourWarehouse()


def _fire(intake: CollateralIntake, name: str, **kwargs) -> None:
    transition = getattr(intake, name)
    if not can_proceed(transition):
        raise IllegalTransition(_("Intake %(ref)s is %(state)s: this cannot be done now.")
                                % {"ref": intake.reference, "state": intake.get_state_display()})
    transition(**kwargs)


def _parse_count(item: PledgedItem, raw) -> Decimal:
    field = f"counts.{item.pk}"
    try:
        counted = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: ValidationError(_("Enter a number."), code="invalid")}) from None
    try:
        calc.validate_quantity(counted, item.commodity.quantity_precision, field=field)
    except calc.PledgeCalculationError as error:
        raise ValidationError({field: ValidationError(error.message, code="quantity_invalid")}) from None
    if item.receipt_id is not None and counted != item.declared_quantity:
        raise ValidationError({field: ValidationError(
            _("Receipt %(number)s counts whole (%(quantity)s); if the goods are short, refuse the intake.")
            % {"number": item.receipt.number, "quantity": item.declared_quantity.normalize()}, code="receipt_whole")})
    if counted > item.declared_quantity:
        raise ValidationError({field: ValidationError(
            _("The count cannot exceed the %(quantity)s declared.") % {"quantity": item.declared_quantity.normalize()},
            code="count_above_declared")})
    return counted


def held_value_for(*, approval: WarehouseApproval, extra: Mapping[Commodity, Decimal] | None = None,
                   on: datetime.date) -> Decimal:
    """Return the value the warehouse holds for the lender: pledged and counted goods, plus `extra`, priced today.

    A commodity without an approved price is refused (`collateral_price_missing`): never counted as zero.
    """
    quantities: dict[int, Decimal] = {}
    commodities: dict[int, Commodity] = {}
    held = (PledgedItem.objects.filter(agreement__lender_id=approval.lender_id,
                                       agreement__warehouse_id=approval.warehouse_id)
            .filter(Q(status=PledgedItem.Status.PLEDGED)
                    | Q(status=PledgedItem.Status.PROPOSED, intake__state__in=COUNTED_STATES))
            .select_related("commodity"))
    for item in held:
        quantity = item.quantity if item.status == PledgedItem.Status.PLEDGED else item.counted_quantity
        quantities[item.commodity_id] = quantities.get(item.commodity_id, Decimal("0")) + (quantity or 0)
        commodities[item.commodity_id] = item.commodity
    for commodity, quantity in (extra or {}).items():
        quantities[commodity.pk] = quantities.get(commodity.pk, Decimal("0")) + quantity
        commodities[commodity.pk] = commodity
    priced = []
    for commodity_id, quantity in quantities.items():
        if quantity <= 0:
            continue
        price = latest_approved_price(commodities[commodity_id], on, lender=approval.lender_id,
                                      currency=approval.currency)
        if price is None:
            raise CollateralPriceMissing(_("%(commodity)s has no approved price: the value the warehouse holds "
                                           "cannot be checked against its limit.")
                                         % {"commodity": commodities[commodity_id].name})
        priced.append((quantity, price.price))
    return calc.collateral_value(priced)


@audited
def intake_count(*, intake: CollateralIntake, counts: Mapping[int, Decimal | str], acting_user: User,
                 note: str = "") -> CollateralIntake:
    """The warehouse confirms its count of every line; the pledged goods list is then issued for it to sign.

    `counts` maps each item's id to the quantity counted: a receipt counts whole, a lot at most what was
    declared. Refused when the value the warehouse would hold for the lender (its pledged and counted
    goods under all the lender's agreements, at the latest approved prices) exceeds its concentration limit.
    """
    intake = _lock_intake(intake)
    _require_warehouse(acting_user, intake)
    if intake.state != CollateralIntake.State.DECLARED:
        raise IllegalTransition(_("Intake %(ref)s is %(state)s: it is not waiting for a count.")
                                % {"ref": intake.reference, "state": intake.get_state_display()})
    agreement = intake.agreement
    if agreement.state != PledgeAgreement.State.ACTIVE:
        raise AgreementNotActive()
    # One count at a time per supervisor and lender: the approval row is the lock the limit is held by.
    approval = (WarehouseApproval.objects.select_for_update()
                .filter(lender_id=agreement.lender_id, warehouse_id=agreement.warehouse_id, is_active=True).first())
    if approval is None:
        raise WarehouseNotApproved()
    items = list(intake.items.select_related("commodity", "receipt", "lot").order_by("pk"))
    unknown = {str(key) for key in counts} - {str(item.pk) for item in items}
    if unknown:
        raise ValidationError({"counts": ValidationError(_("These lines are not in the intake: %(ids)s.")
                                                         % {"ids": ", ".join(sorted(unknown))}, code="unknown_line")})
    by_key = {str(key): value for key, value in counts.items()}
    counted: dict[int, Decimal] = {}
    for item in items:
        raw = by_key.get(str(item.pk))
        if raw is None or str(raw).strip() == "":
            raise ValidationError({f"counts.{item.pk}": ValidationError(_("Enter the quantity counted."),
                                                                        code="required")})
        counted[item.pk] = _parse_count(item, raw)
    extra: dict[Commodity, Decimal] = {}
    for item in items:
        extra[item.commodity] = extra.get(item.commodity, Decimal("0")) + counted[item.pk]
    today = timezone.localdate()
    value = held_value_for(approval=approval, extra=extra, on=today)
    if value > approval.concentration_limit:
        raise ConcentrationLimitExceeded(
            _("%(warehouse)s would hold goods worth %(currency)s %(value)s for %(lender)s, above its concentration "
              "limit of %(currency)s %(limit)s.")
            % {"warehouse": agreement.warehouse, "lender": agreement.lender, "currency": approval.currency,
               "value": f"{value:,.2f}", "limit": f"{approval.concentration_limit:,.2f}"})
    for item in items:
        item.counted_quantity = counted[item.pk]
        item.save(update_fields=["counted_quantity"])
    source = intake.state
    _fire(intake, "count", by=acting_user, at=timezone.now())
    intake.save()
    audit_record(actor=acting_user, action="pledge.intake.count", target=intake, source_state=source,
                 target_state=intake.state, note=(note or "").strip() or f"value held {value}")
    document_generate(obj=intake, kind_code=GOODS_LIST, language=agreement.warehouse.preferred_language,
                      acting_user=acting_user)
    return intake


@audited
def intake_refuse(*, intake: CollateralIntake, reason: str, acting_user: User) -> CollateralIntake:
    """The warehouse cannot confirm the goods declared: the intake is refused, its receipts and lots freed."""
    intake = _lock_intake(intake)
    _require_warehouse(acting_user, intake)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError(_("Say why the goods cannot be confirmed."),
                                                         code="required")})
    source = intake.state
    _fire(intake, "refuse", by=acting_user, at=timezone.now())
    intake.note = f"{intake.note}\n{reason}".strip()
    intake.save()
    intake.items.filter(status=PledgedItem.Status.PROPOSED).update(status=PledgedItem.Status.REFUSED)
    audit_record(actor=acting_user, action="pledge.intake.refuse", target=intake, source_state=source,
                 target_state=intake.state, note=reason)
    return intake


@audited
def intake_withdraw(*, intake: CollateralIntake, acting_user: User, note: str = "") -> CollateralIntake:
    """The pledgor withdraws a declaration the warehouse has not counted; its receipts and lots are freed."""
    intake = _lock_intake(intake)
    require(is_operator(acting_user, intake.agreement.pledgor_id),
            _("Only the pledgor's operators withdraw its declarations."))
    source = intake.state
    _fire(intake, "withdraw")
    intake.save()
    # The item statuses have no "withdrawn": refused frees the held-once index the same way.
    intake.items.filter(status=PledgedItem.Status.PROPOSED).update(status=PledgedItem.Status.REFUSED)
    audit_record(actor=acting_user, action="pledge.intake.withdraw", target=intake, source_state=source,
                 target_state=intake.state, note=(note or "").strip())
    return intake


@audited
def intake_issue_notice(*, intake: CollateralIntake, acting_user: User) -> CollateralIntake:
    """The lender's operations issue the notice of pledge, once the warehouse signed the pledged goods list."""
    intake = _lock_intake(intake)
    require(staff_may(acting_user, ISSUE_PLEDGE_NOTICE, intake.agreement.lender_id),
            _("Only the lender's operations issue the notice of pledge."))
    if intake.agreement.state != PledgeAgreement.State.ACTIVE:
        raise AgreementNotActive()
    if intake.state == CollateralIntake.State.COUNTED and not kinds_all_signed(intake, [GOODS_LIST]):
        raise GoodsListNotSigned()
    source = intake.state
    _fire(intake, "issue_notice", by=acting_user)
    intake.save()
    audit_record(actor=acting_user, action="pledge.intake.issue_notice", target=intake, source_state=source,
                 target_state=intake.state)
    document_generate(obj=intake, kind_code=PLEDGE_NOTICE, language=intake.agreement.warehouse.preferred_language,
                      acting_user=acting_user)
    return intake


@audited
def intake_make_effective(*, intake: CollateralIntake, acting_user: User | None = None) -> CollateralIntake:
    """The warehouse confirmed the notice: the intake is effective, its items pledged at the counted quantity.

    Called by the signing set when the notice of pledge is signed; a repeat changes nothing.
    """
    intake = _lock_intake(intake)
    if intake.state == CollateralIntake.State.EFFECTIVE:
        return intake
    source = intake.state
    _fire(intake, "make_effective", at=timezone.now())
    intake.save()
    for item in intake.items.filter(status=PledgedItem.Status.PROPOSED):
        item.quantity = item.counted_quantity
        item.status = PledgedItem.Status.PLEDGED
        item.save(update_fields=["quantity", "status"])
    audit_record(actor=acting_user, action="pledge.intake.effective", target=intake, source_state=source,
                 target_state=intake.state)
    # Re-valued at once: more goods are also one way to cure a margin call (the revaluation moves it).
    revalue_agreement(agreement=intake.agreement_id, trigger=PledgeRevaluation.Trigger.INTAKE,
                      acting_user=acting_user)
    return intake


def intake_documents_signed(intake: CollateralIntake) -> None:
    """The signing set's completion: both the goods list and the notice are signed by the warehouse."""
    intake_make_effective(intake=intake, acting_user=None)


def intake_sign(*, intake: CollateralIntake, kind: str, acting_user: User, password: str, otp_code: str | None = None,
                ip_address: str | None = None, user_agent: str = "") -> Document:
    """The warehouse signs the intake's current goods list, or confirms its notice of pledge (signs the receipt).

    The documents engine checks the signatory and the password; the notice's signature makes the intake
    effective (the signing set's completion), after the signed PDF is finalised.
    """
    if kind not in INTAKE_KINDS:
        raise IntakeDocumentNotReady()
    _require_warehouse(acting_user, intake)
    document = (Document.objects.filter(content_type__app_label="pledge", content_type__model="collateralintake",
                                        object_id=intake.pk, kind=kind, state=Document.State.ISSUED)
                .order_by("-version").first())
    if document is None:
        raise IntakeDocumentNotReady()
    document_sign(document=document, organization=intake.agreement.warehouse, signer=acting_user, password=password,
                  otp_code=otp_code, ip_address=ip_address, user_agent=user_agent)
    return document
