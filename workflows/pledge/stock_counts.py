"""Stock counts (盘库): the warehouse counts an agreement's pledged goods against the books (DESIGN §5).

The agreement's warehouse enters, for every item pledged now, the quantity it found. Each line keeps the
book quantity (the item's pledged quantity before the count), the counted quantity and the variance
(counted − book). The rule for the books, chosen to change the least and to stay honest:

* a shortfall (counted < book) flags the line and lowers the item's pledged quantity (`PledgedItem.quantity`,
  the one the valuation, the releases and the floor read) to the counted quantity; the intake's own count
  (`counted_quantity`) is history and stays, so the item's constraint (quantity ≤ counted at intake) holds;
* a surplus is recorded only: goods come under the pledge by an intake, never by a count.

Every count re-values the agreement in the same transaction (DESIGN §5: re-evaluated on every stock count);
a shortfall mails the lender's staff after commit, and shows on the collateral dashboard.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from scf.audit.services import audit_record, audited
from scf.parties.models import StaffGroup, User

from .agreements import agreement_lock
from .exceptions import AgreementNotActive, NotYourWarehouse
from .models import PledgeAgreement, PledgedItem, PledgeRevaluation, PledgeStockCount, PledgeStockCountLine
from .permissions import is_agreement_warehouse
from .revaluation import revalue_agreement


def can_record_stock_count(user: User, agreement: PledgeAgreement) -> bool:
    """Whether the user enters a stock count of the agreement: its warehouse, while the agreement is active."""
    return agreement.state == PledgeAgreement.State.ACTIVE and is_agreement_warehouse(user, agreement)


def items_to_count(agreement: PledgeAgreement) -> QuerySet[PledgedItem]:
    """The items a count covers: those pledged now with goods on the books."""
    return (PledgedItem.objects.filter(agreement=agreement, status=PledgedItem.Status.PLEDGED, quantity__gt=0)
            .select_related("commodity", "receipt", "lot").order_by("pk"))


def _parse(item: PledgedItem, raw) -> Decimal:
    field = f"counts.{item.pk}"
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValidationError({field: ValidationError(_("Enter the quantity counted."), code="required")})
    try:
        counted = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: ValidationError(_("Enter a number."), code="invalid")}) from None
    if not counted.is_finite() or counted < 0:
        raise ValidationError({field: ValidationError(_("The quantity counted cannot be below zero."),
                                                      code="quantity_negative")})
    precision = item.commodity.quantity_precision
    if counted != counted.quantize(precision):
        raise ValidationError({field: ValidationError(
            _("The quantity has more decimal places than the unit allows (%(precision)s).")
            % {"precision": precision}, code="quantity_invalid")})
    return counted


def _staff_to_tell(agreement: PledgeAgreement) -> list[User]:
    return list(User.objects.filter(memberships__organization=agreement.lender_id, groups__name__in=StaffGroup.values,
                                    is_active=True).exclude(email="").distinct().order_by("pk"))


def stock_count_shortfall_notify(stock_count_pk: int) -> int:
    """Mail the lender's staff that a count found goods missing; return the number of mails sent."""
    count = PledgeStockCount.objects.select_related("agreement", "warehouse").get(pk=stock_count_pk)
    short = list(count.lines.filter(shortfall=True).select_related("item__commodity", "item__receipt", "item__lot"))
    sent = 0
    for user in _staff_to_tell(count.agreement):
        with translation.override(user.preferred_language):
            lines = "\n".join(
                _("%(goods)s: %(book)s on the books, %(counted)s counted")
                % {"goods": line.item.receipt.number if line.item.receipt_id else line.item.lot.lot_number, "book": line.book_quantity.normalize(),
                   "counted": line.counted_quantity.normalize()} for line in short)
            sent += send_mail(
                _("Stock count shortfall under %(ref)s") % {"ref": count.agreement.reference},
                _("%(warehouse)s counted the goods of %(ref)s on %(date)s and found less than the books:\n%(lines)s\n"
                  "The pledged quantities now follow the count and the agreement was re-valued.")
                % {"warehouse": count.warehouse.legal_name, "ref": count.agreement.reference,
                   "date": count.counted_on.isoformat(), "lines": lines},
                settings.DEFAULT_FROM_EMAIL, [user.email])
    return sent


@audited
def stock_count_record(*, agreement: PledgeAgreement, counts: Mapping[int, Decimal | str], acting_user: User,
                       counted_on: datetime.date | None = None, note: str = "") -> PledgeStockCount:
    """Record the warehouse's count of every item pledged under the agreement; apply a shortfall; re-value.

    `counts` maps each item's id to the quantity found (≥ 0, to the unit's precision); every item pledged
    now must be counted. Refused (nothing changed) for anyone but the agreement's warehouse, under an
    agreement not active, or with a quantity missing or malformed (errors keyed `counts.<item id>`).
    """
    agreement = agreement_lock(pk=agreement.pk)
    if not is_agreement_warehouse(acting_user, agreement):
        raise NotYourWarehouse(_("Only the agreement's warehouse counts its goods."))
    if agreement.state != PledgeAgreement.State.ACTIVE:
        raise AgreementNotActive(_("%(ref)s is not active: its goods are not counted.") % {"ref": agreement.reference})
    counted_on = counted_on or timezone.localdate()
    if counted_on > timezone.localdate():
        raise ValidationError({"counted_on": ValidationError(_("The count cannot be dated in the future."),
                                                             code="future")})
    items = list(items_to_count(agreement).select_for_update(of=("self",)))
    if not items:
        raise ValidationError(_("No goods are pledged under %(ref)s: there is nothing to count.")
                              % {"ref": agreement.reference}, code="nothing_to_count")
    errors: dict = {}
    found: dict[int, Decimal] = {}
    for item in items:
        try:
            found[item.pk] = _parse(item, counts.get(item.pk, counts.get(str(item.pk))))
        except ValidationError as error:
            errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    count = PledgeStockCount(agreement=agreement, warehouse_id=agreement.warehouse_id, counted_on=counted_on,
                             counted_by=acting_user, note=note.strip())
    count.full_clean()
    count.save()
    lines = []
    for item in items:
        book, counted = item.quantity, found[item.pk]
        line = PledgeStockCountLine(stock_count=count, item=item, book_quantity=book, counted_quantity=counted,
                                    variance=counted - book, shortfall=counted < book)
        lines.append(line)
        if line.shortfall:
            item.quantity = counted
            item.save(update_fields=["quantity"])
    PledgeStockCountLine.objects.bulk_create(lines)
    short = [line for line in lines if line.shortfall]
    if short:
        count.shortfall = True
        count.save(update_fields=["shortfall"])
    audit_record(actor=acting_user, action="pledge.stockcount.stock_count", target=agreement,
                 note=f"{count.counted_on.isoformat()}: {len(lines)} items, {len(short)} short")
    revalue_agreement(agreement=agreement, trigger=PledgeRevaluation.Trigger.STOCK_COUNT, acting_user=acting_user)
    if short:
        transaction.on_commit(partial(stock_count_shortfall_notify, count.pk))
    return count
