"""The monthly delivery reconciliation (发货对账) of a confirming-warehouse agreement: services, selectors, the job.

For one agreement and one calendar month it sets the release notices (提货通知书) the lender issued against
the goods the seller or the warehouse confirmed delivered, line by line, as they stood at the month's end:

- the releases reconciled are those noticed in the month, and those noticed earlier that were not delivered
  before the month began (a release delivered in an earlier month was reconciled there);
- a release whose delivery notice (发货通知书) named goods gives one row per line: the quantity and value
  notified (the release line's), the quantity delivered, and the difference. A line delivered short by q
  at unit price p differs by round(q × p) (half up) and counts as delivered for the value notified less
  that; a line delivered in full differs by nothing;
- a release not delivered by the month's end (its notice not yet answered, or the goods confirmed later)
  is awaiting delivery: all of it is outstanding;
- more delivered than notified is refused by a check constraint on the release line, so it cannot happen;
  should it show anyway, the row says "unexpected" for operations to look into.

The job builds each agreement's reconciliation on the first business day of a month for the month before,
once (the unique constraint on agreement and month holds it under any retry). Staff may build one for a
past month on demand: an open one is rebuilt in place, a reviewed one is kept as it was reviewed.
Operations then mark it reviewed, with a comment whenever it shows differences.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from documents.services import document_generate
from scf.audit.services import audit_record, audited
from scf.core import tenancy
from scf.core.exceptions import DomainError
from scf.money import is_business_day, next_business_day
from scf.parties.models import User
from scf.parties.permissions import require, staff_may
from workflows.inbox.services import case_start, complete_step, process_cancel, process_for, process_sync

from .models import (
    ConfirmingAgreement,
    DeliveryReconciliation,
    DeliveryReconciliationLine,
    ReleaseRequest,
)
from .reconciliation_documents import RECONCILIATION_STATEMENT
from .releases import goods_value
from .selectors import agreement_party_q

#: The lender's operations reconcile deliveries, as they issue the release notices.
RECONCILE = "inbox.disburse"
ZERO = Decimal("0.00")
Status = DeliveryReconciliationLine.Status


class ReconciliationStateConflict(DomainError):
    """The reconciliation's state does not allow the action (reviewed twice)."""

    code = "confirming_reconciliation_state"
    http_status = 409
    default_message = gettext_lazy("The reconciliation's state does not allow this action.")


# --- months -----------------------------------------------------------------------------------------------

def month_start(day: datetime.date) -> datetime.date:
    """Return the first day of the day's month."""
    return day.replace(day=1)


def next_month(period: datetime.date) -> datetime.date:
    """Return the first day of the month after `period`."""
    return (month_start(period) + datetime.timedelta(days=32)).replace(day=1)


def previous_month(day: datetime.date) -> datetime.date:
    """Return the first day of the month before the day's month."""
    return month_start(month_start(day) - datetime.timedelta(days=1))


def first_business_day(period: datetime.date) -> datetime.date:
    """Return the month's first business day (mainland China's calendar, make-up working days included)."""
    start = month_start(period)
    return start if is_business_day(start) else next_business_day(start)


def _bounds(period: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Return the month's start and the next month's start, as aware times in the service's time zone."""
    zone = timezone.get_default_timezone()
    return (datetime.datetime.combine(period, datetime.time.min, tzinfo=zone),
            datetime.datetime.combine(next_month(period), datetime.time.min, tzinfo=zone))


def parse_month(text: str | None) -> datetime.date | None:
    """Return the first day of a month written YYYY-MM, or None when blank; refuse anything else."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return datetime.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ValidationError({"month": ValidationError(_("Enter a month as YYYY-MM."), code="invalid")}) from None


# --- permissions --------------------------------------------------------------------------------------------

def can_run_reconciliation(user: User, agreement: ConfirmingAgreement) -> bool:
    """Whether the user builds an agreement's reconciliation on demand: the lender's operations."""
    return staff_may(user, RECONCILE, agreement.lender_id)


def can_review_reconciliation(user: User, reconciliation: DeliveryReconciliation) -> bool:
    """Whether the user marks the reconciliation reviewed: the lender's operations, while it is open."""
    return (reconciliation.state == DeliveryReconciliation.State.OPEN
            and staff_may(user, RECONCILE, reconciliation.agreement.lender_id))


# --- selectors ------------------------------------------------------------------------------------------------

@tenancy.rule(DeliveryReconciliation)
def reconciliation_visible(user: User) -> QuerySet[DeliveryReconciliation]:
    """A reconciliation is seen by whoever sees its agreement: the lender's staff and the parties' members."""
    if user.is_superuser:
        return DeliveryReconciliation.objects.all()
    return DeliveryReconciliation.objects.filter(agreement_party_q(user, "agreement__"))


def reconciliation_list(*, user: User, period: datetime.date | None = None,
                        agreement: ConfirmingAgreement | None = None, with_differences: bool | None = None,
                        state: str | None = None) -> QuerySet[DeliveryReconciliation]:
    """Return the reconciliations the user sees, latest month first, filtered when asked."""
    reconciliations = tenancy.visible(DeliveryReconciliation, user).select_related(
        "agreement__lender", "agreement__seller", "agreement__distributor", "agreement__warehouse", "reviewed_by")
    if period is not None:
        reconciliations = reconciliations.filter(period=month_start(period))
    if agreement is not None:
        reconciliations = reconciliations.filter(agreement=agreement)
    if with_differences is not None:
        reconciliations = reconciliations.filter(has_differences=with_differences)
    if state:
        reconciliations = reconciliations.filter(state=state)
    return reconciliations.order_by("-period", "agreement__reference", "pk")


def reconciliation_lines(reconciliation: DeliveryReconciliation) -> list[DeliveryReconciliationLine]:
    """Return the reconciliation's lines in the order the statement prints them."""
    return list(reconciliation.lines.order_by("noticed_on", "release_id", "order_line_id", "pk"))


def reconciliation_releases(agreement: ConfirmingAgreement, period: datetime.date) -> QuerySet[ReleaseRequest]:
    """Return the releases the month reconciles: noticed in it, or noticed earlier and not delivered before it."""
    start, end = _bounds(period)
    return (ReleaseRequest.objects.filter(order__agreement=agreement, noticed_at__isnull=False, noticed_at__lt=end)
            .filter(Q(noticed_at__gte=start) | Q(delivered_at__isnull=True) | Q(delivered_at__gte=start))
            .select_related("order").order_by("noticed_at", "pk"))


def agreements_to_reconcile(period: datetime.date) -> QuerySet[ConfirmingAgreement]:
    """Return the agreements a month is reconciled for: active ones, and those closed during or after it."""
    start, end = _bounds(period)
    return ConfirmingAgreement.objects.filter(
        Q(state=ConfirmingAgreement.State.ACTIVE) | Q(state=ConfirmingAgreement.State.CLOSED, closed_at__gte=start)
    ).filter(Q(activated_at__isnull=True) | Q(activated_at__lt=end)).order_by("pk")


# --- the figures -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Totals:
    release_count: int
    notified: Decimal
    delivered: Decimal
    short: Decimal
    awaiting: Decimal
    has_differences: bool


def _local_date(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(moment).date() if moment else None


def reconciliation_rows(agreement: ConfirmingAgreement, period: datetime.date
                        ) -> list[DeliveryReconciliationLine]:
    """Return the month's lines (unsaved), as the releases stood at the month's end."""
    _start, end = _bounds(period)
    rows = []
    for release in reconciliation_releases(agreement, period):
        delivered = (release.state == ReleaseRequest.State.DELIVERED and release.delivered_at is not None
                     and release.delivered_at < end)
        common = {"release": release, "release_reference": release.reference,
                  "order_reference": release.order.reference, "noticed_on": _local_date(release.noticed_at),
                  "delivered_on": _local_date(release.delivered_at) if delivered else None}
        lines = list(release.lines.select_related("order_line").order_by("order_line_id"))
        if not lines:
            # The release notice is not answered by a delivery notice yet: its whole value is awaited.
            status = Status.UNEXPECTED if delivered else Status.AWAITING
            rows.append(DeliveryReconciliationLine(
                **common, value_notified=release.value,
                value_delivered=release.delivered_value if delivered else ZERO,
                value_difference=release.value - (release.delivered_value if delivered else ZERO), status=status))
            continue
        for line in lines:
            goods = line.order_line
            notified_q, notified_v = line.quantity, line.value
            if not delivered:
                delivered_q, delivered_v, status = Decimal("0.000"), ZERO, Status.AWAITING
            else:
                delivered_q = line.delivered_quantity
                if delivered_q == notified_q:
                    delivered_v, status = notified_v, Status.MATCHED
                elif delivered_q < notified_q:
                    short_v = min(goods_value(notified_q - delivered_q, goods.unit_price), notified_v)
                    delivered_v, status = notified_v - short_v, Status.SHORT
                else:
                    # Refused by the release line's check constraint: shown, never hidden, should it appear.
                    delivered_v = notified_v + goods_value(delivered_q - notified_q, goods.unit_price)
                    status = Status.UNEXPECTED
            rows.append(DeliveryReconciliationLine(
                **common, order_line=goods, description=goods.description, unit=goods.unit,
                unit_price=goods.unit_price, quantity_notified=notified_q, value_notified=notified_v,
                quantity_delivered=delivered_q, value_delivered=delivered_v,
                quantity_difference=notified_q - delivered_q, value_difference=notified_v - delivered_v,
                status=status))
    return rows


def reconciliation_totals(rows: list[DeliveryReconciliationLine]) -> Totals:
    """Return the totals: values notified and delivered, short-delivered, awaiting delivery; any difference."""
    return Totals(
        release_count=len({row.release_id for row in rows}),
        notified=sum((row.value_notified for row in rows), ZERO),
        delivered=sum((row.value_delivered for row in rows), ZERO),
        short=sum((row.value_difference for row in rows if row.status == Status.SHORT), ZERO),
        awaiting=sum((row.value_difference for row in rows if row.status == Status.AWAITING), ZERO),
        has_differences=any(row.status != Status.MATCHED for row in rows))


# --- services ------------------------------------------------------------------------------------------------------

@audited
def reconciliation_build(*, agreement: ConfirmingAgreement, period: datetime.date, acting_user: User | None,
                         replace: bool = True) -> tuple[DeliveryReconciliation, bool]:
    """Build the agreement's reconciliation of a past month; return it and whether it was (re)built.

    Idempotent: a reviewed reconciliation is returned as it is; an open one is rebuilt in place when
    `replace` (on demand) and returned as it is otherwise (the monthly job). The agreement's row is
    locked, so two builds of one agreement run one after the other.
    """
    period = month_start(period)
    if acting_user is not None:
        require(can_run_reconciliation(acting_user, agreement),
                _("Only the lender's operations reconcile an agreement's deliveries."))
    if period >= month_start(timezone.localdate()):
        raise ValidationError({"month": ValidationError(_("Only a month that has ended can be reconciled."),
                                                        code="month_not_ended")})
    agreement = ConfirmingAgreement.objects.select_for_update(of=("self",)).get(pk=agreement.pk)
    existing = DeliveryReconciliation.objects.filter(agreement=agreement, period=period).first()
    if existing is not None and (existing.state == DeliveryReconciliation.State.REVIEWED or not replace):
        return existing, False
    rows = reconciliation_rows(agreement, period)
    totals = reconciliation_totals(rows)
    reconciliation = existing or DeliveryReconciliation(agreement=agreement, period=period)
    reconciliation.currency = agreement.currency
    reconciliation.release_count = totals.release_count
    reconciliation.notified_value = totals.notified
    reconciliation.delivered_value = totals.delivered
    reconciliation.difference_value = totals.short
    reconciliation.awaiting_value = totals.awaiting
    reconciliation.has_differences = totals.has_differences
    reconciliation.generated_at = timezone.now()
    reconciliation.generated_by = acting_user
    reconciliation.full_clean(exclude=["state"])
    reconciliation.save()
    if existing is not None:
        existing.lines.all().delete()
    for row in rows:
        row.reconciliation = reconciliation
    DeliveryReconciliationLine.objects.bulk_create(rows)
    _sync_review_task(reconciliation)
    audit_record(actor=acting_user, action="confirming.reconciliation.generate", target=reconciliation,
                 target_state=reconciliation.state,
                 note=(f"{period:%Y-%m}: {totals.release_count} release(s); notified {totals.notified}, delivered "
                       f"{totals.delivered}, short {totals.short}, awaiting {totals.awaiting}"
                       + ("; rebuilt" if existing is not None else "")))
    return reconciliation, True


@audited
def reconciliation_review(*, reconciliation: DeliveryReconciliation, comment: str, acting_user: User
                          ) -> DeliveryReconciliation:
    """Operations mark the reconciliation reviewed; a comment is required when it shows differences."""
    reconciliation = (DeliveryReconciliation.objects.select_for_update(of=("self",)).select_related("agreement")
                      .get(pk=reconciliation.pk))
    require(staff_may(acting_user, RECONCILE, reconciliation.agreement.lender_id),
            _("Only the lender's operations review a delivery reconciliation."))
    if not can_proceed(reconciliation.mark_reviewed):
        raise ReconciliationStateConflict(
            _("The reconciliation of %(agreement)s for %(month)s is already reviewed.")
            % {"agreement": reconciliation.agreement.reference, "month": f"{reconciliation.period:%Y-%m}"})
    comment = (comment or "").strip()
    if reconciliation.has_differences and not comment:
        raise ValidationError({"comment": ValidationError(
            _("This reconciliation shows differences: say what was found and done about them."), code="required")})
    source = reconciliation.state
    reconciliation.mark_reviewed(by=acting_user, at=timezone.now(), comment=comment)
    reconciliation.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_comment"])
    audit_record(actor=acting_user, action="confirming.reconciliation.mark_reviewed", target=reconciliation,
                 source_state=source, target_state=reconciliation.state, note=comment)
    complete_step(reconciliation, "review", acting_user)
    # The statement prints the figures reviewed, in the distributor's language.
    document_generate(obj=reconciliation, kind_code=RECONCILIATION_STATEMENT,
                      language=getattr(reconciliation.agreement.distributor, "preferred_language", "") or "zh-hans",
                      acting_user=acting_user)
    return reconciliation


def _sync_review_task(reconciliation: DeliveryReconciliation) -> None:
    """Put a reconciliation with differences in operations' inbox; take it out when a rebuild shows none."""
    process = process_for(reconciliation)
    running = process is not None and process.is_open
    if reconciliation.has_differences:
        if running:
            process_sync(reconciliation, amount=reconciliation.difference_value + reconciliation.awaiting_value)
        else:
            case_start(reconciliation)
    elif running:
        process_cancel(reconciliation)


# --- the monthly job --------------------------------------------------------------------------------------------------

def reconciliations_run_monthly(on: datetime.date) -> int:
    """Daily job: on a month's first business day, build every agreement's reconciliation of the month before.

    Any other day does nothing. Return how many reconciliations were built (0 when run again).
    """
    if on != first_business_day(on):
        return 0
    period = previous_month(on)
    built = 0
    for agreement in agreements_to_reconcile(period):
        _reconciliation, created = reconciliation_build(agreement=agreement, period=period, acting_user=None,
                                                        replace=False)
        built += int(created)
    return built
