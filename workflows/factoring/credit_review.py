"""What the credit officer reads beside a factoring request: exposure, overdue history, concentration.

Reads only, each for one lender: a lender's staff see their own lender's book, never another
lender's business with the same client (`credit_review_for` answers None to anyone else).

Exposure is what the lender has at risk: the advance still outstanding on the financings paid
out (disbursed, overdue, buy-back claimed) plus the advance approved and not yet paid out
(approved, contract issued, signed), which the facility has reserved. Interest, fees and penalty
owed are shown beside it, not in it. The case under review is never counted in the figures of
the other business; it is added once, as "with this request". Amounts are in the case's currency:
the lender's business in another currency is not added to it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from scf.audit.models import AuditRecord
from scf.parties.models import Organization, User
from scf.parties.permissions import is_staff_of

from .models import FactoringFinancing
from .settlement import overdue_from

State = FactoringFinancing.State
ZERO = Decimal("0.00")
FUNDED = (State.DISBURSED, State.OVERDUE, State.RECOURSE_CLAIMED)
COMMITTED = (State.APPROVED, State.CONTRACT_ISSUED, State.SIGNED)
WAITING = (State.DRAFT, State.UNDER_REVIEW, State.RETURNED)
# States a financing only reaches after being overdue (closed ones are found in the audit trail).
WENT_OVERDUE = (State.OVERDUE, State.RECOURSE_CLAIMED, State.BOUGHT_BACK, State.WRITTEN_OFF)


def _share(part: Decimal, whole: Decimal) -> Decimal | None:
    return part / whole if whole > 0 else None


def as_percent(share: Decimal | None) -> Decimal | None:
    """Return a share as a percentage for the page, to 0.01 % (half up); the share itself stays exact."""
    return None if share is None else (share * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def case_at_risk(financing: FactoringFinancing) -> Decimal:
    """Return what the case itself puts at risk: its advance until paid out, then what is outstanding of it."""
    if financing.state in FUNDED:
        return financing.advance_outstanding
    if financing.state in WAITING or financing.state in COMMITTED:
        return financing.advance_amount
    return ZERO


def _money(expression) -> Coalesce:
    return Coalesce(expression, Value(ZERO), output_field=DecimalField(max_digits=20, decimal_places=2))


def _at_risk(financings) -> Decimal:
    """Return the advance outstanding on the funded financings plus the advance committed on the approved ones."""
    totals = financings.aggregate(
        funded=_money(Sum("advance_outstanding", filter=Q(state__in=FUNDED))),
        committed=_money(Sum("advance_amount", filter=Q(state__in=COMMITTED))),
    )
    return totals["funded"] + totals["committed"]


@dataclass(frozen=True)
class Exposure:
    """The applicant's business with this lender, in one currency, without the case under review."""

    currency: str
    funded_count: int
    advance_outstanding: Decimal
    charges_outstanding: Decimal  # interest, fees and penalty interest owed on the funded financings
    committed_count: int
    committed: Decimal
    waiting_count: int
    waiting: Decimal  # the advances of its other requests not yet decided
    this_request: Decimal

    @property
    def total(self) -> Decimal:
        """Return the exposure today: the advance outstanding plus the advance approved not yet paid."""
        return self.advance_outstanding + self.committed

    @property
    def owed(self) -> Decimal:
        return self.advance_outstanding + self.charges_outstanding

    @property
    def with_request(self) -> Decimal:
        return self.total + self.this_request


def applicant_exposure(*, lender: Organization, supplier: Organization, currency: str,
                       request: FactoringFinancing | None = None) -> Exposure:
    """Return the supplier's exposure with `lender` in `currency`; `request` is left out and shown apart."""
    financings = FactoringFinancing.objects.filter(lender=lender, supplier=supplier, currency=currency)
    if request is not None:
        financings = financings.exclude(pk=request.pk)
    totals = financings.aggregate(
        funded_count=Count("pk", filter=Q(state__in=FUNDED)),
        advance=_money(Sum("advance_outstanding", filter=Q(state__in=FUNDED))),
        interest=_money(Sum("interest_outstanding", filter=Q(state__in=FUNDED))),
        fees=_money(Sum("fees_outstanding", filter=Q(state__in=FUNDED))),
        penalty=_money(Sum("penalty_outstanding", filter=Q(state__in=FUNDED))),
        committed_count=Count("pk", filter=Q(state__in=COMMITTED)),
        committed=_money(Sum("advance_amount", filter=Q(state__in=COMMITTED))),
        waiting_count=Count("pk", filter=Q(state__in=WAITING)),
        waiting=_money(Sum("advance_amount", filter=Q(state__in=WAITING))),
    )
    return Exposure(
        currency=currency, funded_count=totals["funded_count"], advance_outstanding=totals["advance"],
        charges_outstanding=totals["interest"] + totals["fees"] + totals["penalty"],
        committed_count=totals["committed_count"], committed=totals["committed"],
        waiting_count=totals["waiting_count"], waiting=totals["waiting"],
        this_request=case_at_risk(request) if request is not None and request.currency == currency else ZERO,
    )


@dataclass(frozen=True)
class OverdueCase:
    """One of the applicant's financings with this lender that fell overdue, and what became of it."""

    financing: FactoringFinancing
    overdue_on: datetime.date  # its first overdue day: the day after the grace days that follow the due date
    recourse_claimed_on: datetime.date | None
    owed: Decimal  # what the lender is still owed on it
    written_off: Decimal

    @property
    def recourse_claimed(self) -> bool:
        return self.recourse_claimed_on is not None or self.financing.state in (State.RECOURSE_CLAIMED,
                                                                                State.BOUGHT_BACK)


def overdue_history(*, lender: Organization, supplier: Organization,
                    request: FactoringFinancing | None = None) -> list[OverdueCase]:
    """Return the supplier's financings with `lender` that were ever overdue, newest due date first.

    Found by state, and through the audit trail for those since settled and closed: a financing
    paid late and closed was overdue all the same.
    """
    financings = FactoringFinancing.objects.filter(lender=lender, supplier=supplier)
    if request is not None:
        financings = financings.exclude(pk=request.pk)
    content_type = ContentType.objects.get_for_model(FactoringFinancing)
    label = FactoringFinancing._meta.label_lower
    events: dict[int, dict[str, datetime.date]] = {}  # financing → transition → the day it was fired
    records = AuditRecord.objects.filter(
        content_type=content_type, action__in=[f"{label}.mark_overdue", f"{label}.claim_recourse"],
        object_id__in=[str(pk) for pk in financings.values_list("pk", flat=True)],
    ).order_by("seq").values_list("object_id", "action", "at")
    for object_id, action, at in records:
        events.setdefault(int(object_id), {}).setdefault(action.rsplit(".", 1)[-1], at.date())
    found = (financings.filter(Q(pk__in=list(events)) | Q(state__in=WENT_OVERDUE))
             .select_related("facility", "debtor").order_by("-due_date", "-pk"))
    return [
        OverdueCase(financing=financing, overdue_on=overdue_from(financing),
                    recourse_claimed_on=events.get(financing.pk, {}).get("claim_recourse"),
                    owed=financing.lender_owed, written_off=financing.written_off_amount)
        for financing in found
    ]


@dataclass(frozen=True)
class Concentration:
    """How much of the facility and of the lender's factoring book would sit on this debtor."""

    currency: str
    facility_limit: Decimal
    facility_on_debtor: Decimal  # at risk on this debtor under this facility, without the request
    facility_total: Decimal  # at risk under this facility, without the request
    book_on_debtor: Decimal  # at risk on this debtor across the lender's factoring book, without the request
    book_total: Decimal  # at risk across the lender's factoring book, without the request
    this_request: Decimal
    share_of_limit: Decimal | None = field(init=False)
    share_of_facility: Decimal | None = field(init=False)
    share_of_book: Decimal | None = field(init=False)

    def __post_init__(self):
        on_facility = self.facility_on_debtor + self.this_request
        on_book = self.book_on_debtor + self.this_request
        object.__setattr__(self, "share_of_limit", _share(on_facility, self.facility_limit))
        object.__setattr__(self, "share_of_facility", _share(on_facility, self.facility_total + self.this_request))
        object.__setattr__(self, "share_of_book", _share(on_book, self.book_total + self.this_request))

    @property
    def facility_on_debtor_with_request(self) -> Decimal:
        return self.facility_on_debtor + self.this_request

    @property
    def book_on_debtor_with_request(self) -> Decimal:
        return self.book_on_debtor + self.this_request

    @property
    def book_total_with_request(self) -> Decimal:
        return self.book_total + self.this_request

    @property
    def share_of_limit_percent(self) -> Decimal | None:
        return as_percent(self.share_of_limit)

    @property
    def share_of_facility_percent(self) -> Decimal | None:
        return as_percent(self.share_of_facility)

    @property
    def share_of_book_percent(self) -> Decimal | None:
        return as_percent(self.share_of_book)


def debtor_concentration(*, financing: FactoringFinancing) -> Concentration:
    """Return the concentration on the financing's debtor, the request included, in its facility and lender's book.

    Shares: on the debtor ÷ the facility's limit; on the debtor ÷ all at risk under the facility;
    on the debtor ÷ all at risk in the lender's factoring book (same currency), the request
    counted on both sides of each.
    """
    book = (FactoringFinancing.objects.filter(lender_id=financing.lender_id, currency=financing.currency)
            .exclude(pk=financing.pk))
    facility = book.filter(facility_id=financing.facility_id)
    this_request = case_at_risk(financing)
    return Concentration(
        currency=financing.currency, facility_limit=financing.facility.limit_amount,
        facility_on_debtor=_at_risk(facility.filter(debtor_id=financing.debtor_id)),
        facility_total=_at_risk(facility),
        book_on_debtor=_at_risk(book.filter(debtor_id=financing.debtor_id)),
        book_total=_at_risk(book), this_request=this_request,
    )


@dataclass(frozen=True)
class CreditReview:
    exposure: Exposure
    overdue: list[OverdueCase]
    concentration: Concentration


def credit_review(*, financing: FactoringFinancing) -> CreditReview:
    """Return the figures of the credit review of `financing`, read within its lender's book."""
    return CreditReview(
        exposure=applicant_exposure(lender=financing.lender, supplier=financing.supplier,
                                    currency=financing.currency, request=financing),
        overdue=overdue_history(lender=financing.lender, supplier=financing.supplier, request=financing),
        concentration=debtor_concentration(financing=financing),
    )


def credit_review_for(*, financing: FactoringFinancing, user: User) -> CreditReview | None:
    """Return the credit review of `financing` to its lender's staff, None to anyone else."""
    if not is_staff_of(user, financing.lender_id):
        return None
    return credit_review(financing=financing)
