"""Every figure of the portal's dashboards, for the lender's staff and for clients, from one place.

A `Book` is what the reader may count: each product's cases as its list shows them
(`tenancy.visible`), narrowed to the reader's lender(s) for staff and to the reader's own
organizations for a client. Each figure is one grouped query over the book (a GROUP BY in the
database, never a loop over cases), so that the number of queries stays the same however many
cases there are; the rows that come back are bounded by currencies × products × buckets, by the
30 days of the maturity window, or by the counterparties.

Definitions (amounts per currency, never added across currencies):
- Exposure: factoring, the advance outstanding of disbursed, overdue and recourse-claimed
  financings (reverse factoring apart); pledge, the principal outstanding of disbursed
  drawdowns; confirming, P − M (never below 0) of funded, refund-demanded and advanced orders,
  as `workflows.confirming.orders.agreement_exposure` counts it.
- Counterparty of an exposure: who pays it, the factoring debtor, the pledgor, the distributor.
  Concentration share = the counterparty's exposure / the currency's whole exposure × 100,
  rounded half up to 0.1 %; the top 10 are shown, the rest summed as one row.
- Maturities: exposures falling due today and in the 29 days after it, by week from today
  (days 0–6, 7–13, 14–20, 21–27, then 28–29).
- Overdue ageing: exposures past their due date (the financing's due date, the drawdown's
  maturity, the order's maturity); days overdue = today − due date; buckets 1–30, 31–60,
  61–90 and over 90 days (91 and more).
- Disbursements by month: factoring advances by disbursement date, pledge drawdowns by
  disbursement date, confirming loans from the lender's funds by funding date and advances at
  maturity by their date. Collections: receipts in the lender's collection account by value
  date, those returned to the payer excepted. The last 12 months, this month included.
- Suspense: receipts in suspense, their amount to suspense.
- Tasks: open tasks meant for the lender (its staff's steps), by step and by age since the
  task was created: under 1 day, 1–3 days, 3–7 days, 7 days or more.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    F,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Greatest, TruncMonth
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.models import Task

from scf.collections.models import Receipt
from scf.core import tenancy
from scf.facilities.models import CreditFacility, Product
from scf.parties.models import Organization, User
from scf.parties.selectors import user_lender_ids, user_organization_ids
from workflows.confirming.models import PurchaseOrder
from workflows.factoring.models import FactoringFinancing
from workflows.inbox import registry
from workflows.inbox.models import CaseProcess
from workflows.inbox.selectors import OPEN_STATUSES
from workflows.pledge.models import PledgeDrawdown

ZERO = Decimal("0.00")
TOP_COUNTERPARTIES = 10
MATURITY_DAYS = 30
MONTHS = 12
AGEING = ((1, 30), (31, 60), (61, 90), (91, None))
TASK_AGES = ((0, 1), (1, 3), (3, 7), (7, None))
FACTORING_LIVE = (FactoringFinancing.State.DISBURSED, FactoringFinancing.State.OVERDUE,
                  FactoringFinancing.State.RECOURSE_CLAIMED)
CONFIRMING_LIVE = (PurchaseOrder.State.FUNDED, PurchaseOrder.State.REFUND_DEMANDED, PurchaseOrder.State.ADVANCED)
MONEY = DecimalField(max_digits=20, decimal_places=2)
AGEING_LABELS = [_("1–30 days"), _("31–60 days"), _("61–90 days"), _("Over 90 days")]
TASK_AGE_LABELS = [_("Under 1 day"), _("1–3 days"), _("3–7 days"), _("7 days or more")]


def share_percent(part: Decimal, whole: Decimal) -> Decimal:
    """Return part / whole × 100 rounded half up to 0.1 (0 when whole is 0)."""
    if not whole:
        return Decimal("0.0")
    return (part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def month_starts(today: datetime.date, months: int = MONTHS) -> list[datetime.date]:
    """Return the first days of the last `months` months, oldest first, this month last."""
    year, month = today.year, today.month
    starts = []
    for _step in range(months):
        starts.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def ageing_bucket(days_overdue: int) -> int:
    """Return the index in AGEING of a number of days overdue (1 or more)."""
    for i, (low, high) in enumerate(AGEING):
        if days_overdue >= low and (high is None or days_overdue <= high):
            return i
    raise ValueError(days_overdue)


class Book:
    """The cases a reader may count: each product's visible rows, narrowed to the reader's side."""

    def __init__(self, user: User, *, as_client: bool) -> None:
        self.user = user
        self.as_client = as_client
        self.lender_ids: set[int] | None = None
        self.organization_ids: set[int] | None = None
        if as_client:
            self.organization_ids = set(user_organization_ids(user))
        elif not user.is_superuser:
            self.lender_ids = user_lender_ids(user)

    @cached_property
    def financings(self) -> QuerySet[FactoringFinancing]:
        qs = tenancy.visible(FactoringFinancing, self.user).order_by()
        if self.lender_ids is not None:
            qs = qs.filter(lender_id__in=self.lender_ids)
        if self.organization_ids is not None:
            qs = qs.filter(Q(supplier_id__in=self.organization_ids) | Q(debtor_id__in=self.organization_ids))
        return qs

    @cached_property
    def drawdowns(self) -> QuerySet[PledgeDrawdown]:
        qs = tenancy.visible(PledgeDrawdown, self.user).order_by()
        if self.lender_ids is not None:
            qs = qs.filter(agreement__lender_id__in=self.lender_ids)
        if self.organization_ids is not None:
            qs = qs.filter(agreement__pledgor_id__in=self.organization_ids)
        return qs

    @cached_property
    def orders(self) -> QuerySet[PurchaseOrder]:
        qs = tenancy.visible(PurchaseOrder, self.user).order_by()
        if self.lender_ids is not None:
            qs = qs.filter(agreement__lender_id__in=self.lender_ids)
        if self.organization_ids is not None:
            qs = qs.filter(agreement__distributor_id__in=self.organization_ids)
        return qs

    @cached_property
    def facilities(self) -> QuerySet[CreditFacility]:
        qs = tenancy.visible(CreditFacility, self.user).order_by()
        if self.lender_ids is not None:
            qs = qs.filter(lender_id__in=self.lender_ids)
        if self.organization_ids is not None:
            qs = qs.filter(obligor_id__in=self.organization_ids)
        return qs

    @cached_property
    def receipts(self) -> QuerySet[Receipt]:
        qs = tenancy.visible(Receipt, self.user).order_by()
        if self.lender_ids is not None:
            qs = qs.filter(lender_id__in=self.lender_ids)
        return qs

    # The live exposures of each product, as (queryset, product expression, counterparty, currency, due, amount).

    def exposures(self) -> list[tuple[QuerySet, object, str, str, str, object]]:
        factoring = self.financings.filter(state__in=FACTORING_LIVE, advance_outstanding__gt=0)
        pledge = self.drawdowns.filter(state=PledgeDrawdown.State.DISBURSED, principal_outstanding__gt=0)
        confirming = self.orders.filter(state__in=CONFIRMING_LIVE, order_amount__gt=F("margin_paid"))
        reverse = Case(When(reverse=True, then=Value(Product.REVERSE_FACTORING)), default=Value(Product.FACTORING))
        return [
            (factoring, reverse, "debtor_id", "currency", "due_date", F("advance_outstanding")),
            (pledge, Value(Product.PLEDGE), "agreement__pledgor_id", "agreement__currency", "maturity_date",
             F("principal_outstanding")),
            (confirming, Value(Product.CONFIRMING), "agreement__distributor_id", "currency", "maturity_date",
             Greatest(F("order_amount") - F("margin_paid"), Value(ZERO), output_field=MONEY)),
        ]


# --- the figures ---------------------------------------------------------------------------------


@dataclass
class Money:
    currency: str
    amount: Decimal = ZERO
    cases: int = 0


@dataclass
class ProductExposure:
    product: str
    label: str
    currency: str
    amount: Decimal
    cases: int
    share: Decimal = Decimal("0.0")


@dataclass
class CounterpartyExposure:
    organization: Organization | None  # None: the others, summed
    currency: str
    amount: Decimal
    cases: int
    share: Decimal


@dataclass
class Utilisation:
    product: str
    label: str
    currency: str
    facilities: int
    limit: Decimal
    reserved: Decimal
    outstanding: Decimal

    @property
    def used(self) -> Decimal:
        return self.reserved + self.outstanding

    @property
    def available(self) -> Decimal:
        return max(self.limit - self.used, ZERO)

    @property
    def share(self) -> Decimal:
        return share_percent(self.used, self.limit)


@dataclass
class Bucket:
    label: str
    start: object
    end: object
    amount: Decimal = ZERO
    cases: int = 0


@dataclass
class MonthFlow:
    month: datetime.date
    disbursed: Decimal = ZERO
    collected: Decimal = ZERO


@dataclass
class TaskRow:
    step: str
    label: str
    counts: list[int]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass
class StaffDashboard:
    today: datetime.date
    exposure_by_product: list[ProductExposure]
    exposure_totals: dict[str, Money]
    counterparties: dict[str, list[CounterpartyExposure]]
    utilisation: list[Utilisation]
    maturities: dict[str, list[Bucket]]
    ageing: dict[str, list[Bucket]]
    flows: dict[str, list[MonthFlow]]
    suspense: list[dict]
    tasks: list[TaskRow]
    task_ages: list[str] = field(default_factory=list)


@dataclass
class Due:
    product: str
    label: str
    reference: str
    counterparty: str
    currency: str
    amount: Decimal
    due_date: datetime.date
    overdue: bool
    url: str


@dataclass
class ClientDashboard:
    today: datetime.date
    facilities: list[CreditFacility]
    utilisation: list[Utilisation]
    dues: list[Due]
    maturities: dict[str, list[Bucket]]
    ageing: dict[str, list[Bucket]]
    open_cases: list[dict]
    open_cases_total: int
    recent_cases: list[CaseProcess]


def _product_label(product: str) -> str:
    return Product(product).label


@dataclass
class LiveBook:
    """The live exposures summed in one pass per product: by product, per counterparty, by due-date bucket."""

    by_product: list[ProductExposure]
    totals: dict[str, Money]
    by_party: dict[str, dict[int, Money]]
    maturities: dict[str, list[Bucket]]
    ageing: dict[str, list[Bucket]]
    # The factoring advances disbursed per (currency, month) since `flows_since`, when asked for.
    factoring_disbursed: dict[tuple[str, datetime.date], Decimal] | None = None


LATER = -1  # due after the maturity window


def _due_bucket(due: str, today: datetime.date, days: int) -> Case:
    """Return a CASE numbering the due date's bucket: 0–3 the AGEING buckets, 10 + the week of the window, LATER."""
    whens = [When(**{f"{due}__gte": today - datetime.timedelta(days=high), f"{due}__lt": today}, then=Value(i))
             for i, (_low, high) in enumerate(AGEING) if high is not None]
    whens.append(When(**{f"{due}__lt": today}, then=Value(len(AGEING) - 1)))
    whens += [When(**{f"{due}__lte": today + datetime.timedelta(days=min(start + 6, days - 1))},
                   then=Value(10 + start // 7)) for start in range(0, days, 7)]
    return Case(*whens, default=Value(LATER), output_field=IntegerField())


def _month(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def live_book(book: Book, today: datetime.date, days: int = MATURITY_DAYS,
              flows_since: datetime.date | None = None) -> LiveBook:
    """Return the live exposures per product, counterparty and currency, the maturities and the overdue ageing.

    One grouped query per product, on (product, counterparty, currency, due-date bucket): a single scan of
    each product's live cases feeds every figure of the exposure, the concentration, the maturities
    (today and the `days` − 1 days after it, by week from today) and the ageing. With `flows_since`, the
    factoring pass also reads the financings disbursed from that day to today and sums their advances per
    month (the monthly disbursements' factoring line), so that the financings are scanned once.
    """

    def weeks() -> list[Bucket]:
        return [Bucket(label="", start=today + datetime.timedelta(days=start),
                       end=today + datetime.timedelta(days=min(start + 6, days - 1))) for start in range(0, days, 7)]

    def ages() -> list[Bucket]:
        return [Bucket(label=label, start=low, end=high) for label, (low, high) in zip(AGEING_LABELS, AGEING)]

    products: dict[tuple[str, str], ProductExposure] = {}
    totals: dict[str, Money] = {}
    by_party: dict[str, dict[int, Money]] = defaultdict(dict)
    maturities: dict[str, list[Bucket]] = {}
    ageing: dict[str, list[Bucket]] = {}
    disbursed: dict[tuple[str, datetime.date], Decimal] | None = None
    for qs, product, party, currency, due, amount in book.exposures():
        if flows_since is not None and qs.model is FactoringFinancing:
            grouped, disbursed = _factoring_pass(book, product, _due_bucket(due, today, days), flows_since, today)
        else:
            grouped = (qs.annotate(_product=product, _party=F(party), _currency=F(currency),
                                   _bucket=_due_bucket(due, today, days))
                       .values("_product", "_party", "_currency", "_bucket")
                       .annotate(amount=Sum(amount, output_field=MONEY), cases=Count("pk")))
        for row in grouped:
            currency_code, money, cases = row["_currency"], row["amount"], row["cases"]
            entry = products.setdefault((row["_product"], currency_code), ProductExposure(
                product=row["_product"], label=_product_label(row["_product"]), currency=currency_code,
                amount=ZERO, cases=0))
            for target in (entry, totals.setdefault(currency_code, Money(currency=currency_code)),
                           by_party[currency_code].setdefault(row["_party"], Money(currency=currency_code))):
                target.amount += money
                target.cases += cases
            bucket = row["_bucket"]
            if 0 <= bucket < len(AGEING):
                target = ageing.setdefault(currency_code, ages())[bucket]
            elif bucket >= 10:
                target = maturities.setdefault(currency_code, weeks())[bucket - 10]
            else:
                continue
            target.amount += money
            target.cases += cases
    rows = sorted(products.values(), key=lambda r: (r.currency, -r.amount, r.product))
    for row in rows:
        row.share = share_percent(row.amount, totals[row.currency].amount)
    return LiveBook(by_product=rows, totals=dict(sorted(totals.items())), by_party=dict(by_party),
                    maturities=dict(sorted(maturities.items())), ageing=dict(sorted(ageing.items())),
                    factoring_disbursed=disbursed)


def _factoring_pass(book: Book, product, bucket: Case, since: datetime.date,
                    today: datetime.date) -> tuple[list[dict], dict[tuple[str, datetime.date], Decimal]]:
    """Return the live financings' grouped rows (as `live_book` reads them) and the advances disbursed per month.

    One scan over the financings that are live or were disbursed from `since` to today: the live ones'
    outstanding and count (the `FILTER`ed sums) by (product, debtor, currency, due-date bucket), and the
    disbursed ones' advances by (currency, month); a row of the one never counts in the other's figures.
    """
    live = Q(state__in=FACTORING_LIVE, advance_outstanding__gt=0)
    recent = Q(disbursed_on__isnull=False, disbursed_on__gte=since, disbursed_on__lte=today)
    rows = (book.financings.filter(live | recent)
            .annotate(_product=product, _party=F("debtor_id"), _currency=F("currency"), _bucket=bucket,
                      _month=Case(When(recent, then=TruncMonth("disbursed_on")), default=Value(None),
                                  output_field=DateField()))
            .values("_product", "_party", "_currency", "_bucket", "_month")
            .annotate(amount=Sum("advance_outstanding", filter=live, output_field=MONEY),
                      cases=Count("pk", filter=live),
                      disbursed=Sum("advance_amount", filter=recent, output_field=MONEY)))
    grouped: dict[tuple, dict] = {}
    disbursed: dict[tuple[str, datetime.date], Decimal] = {}
    for row in rows:
        if row["disbursed"] is not None:
            key = (row["_currency"], _month(row["_month"]))
            disbursed[key] = disbursed.get(key, ZERO) + row["disbursed"]
        if row["cases"]:
            key = (row["_product"], row["_party"], row["_currency"], row["_bucket"])
            entry = grouped.setdefault(key, {"_product": key[0], "_party": key[1], "_currency": key[2],
                                             "_bucket": key[3], "amount": ZERO, "cases": 0})
            entry["amount"] += row["amount"]
            entry["cases"] += row["cases"]
    return list(grouped.values()), disbursed


def top_counterparties(by_party: dict[str, dict[int, Money]], totals: dict[str, Money],
                       top: int = TOP_COUNTERPARTIES) -> dict[str, list[CounterpartyExposure]]:
    """Return the `top` largest counterparties per currency with their shares, then the rest as one row."""
    chosen = {currency: sorted(parties.items(), key=lambda item: (-item[1].amount, item[0]))
              for currency, parties in by_party.items()}
    names = Organization.objects.in_bulk({pk for ranked in chosen.values() for pk, _m in ranked[:top]})
    result = {}
    for currency, ranked in sorted(chosen.items()):
        whole = totals[currency].amount
        rows = [CounterpartyExposure(organization=names.get(pk), currency=currency, amount=m.amount, cases=m.cases,
                                     share=share_percent(m.amount, whole)) for pk, m in ranked[:top]]
        rest = ranked[top:]
        if rest:
            amount = sum((m.amount for _pk, m in rest), ZERO)
            rows.append(CounterpartyExposure(organization=None, currency=currency, amount=amount,
                                             cases=sum(m.cases for _pk, m in rest),
                                             share=share_percent(amount, whole)))
        result[currency] = rows
    return result


def facility_utilisation(book: Book) -> list[Utilisation]:
    """Return the active facilities' limits, reserved and outstanding amounts per product and currency."""
    rows = (book.facilities.filter(state=CreditFacility.State.ACTIVE).values("product", "currency")
            .annotate(n=Count("pk"), limit=Sum("limit_amount"), reserved=Sum("reserved_amount"),
                      outstanding=Sum("outstanding_amount")).order_by("currency", "product"))
    return [Utilisation(product=r["product"], label=_product_label(r["product"]), currency=r["currency"],
                        facilities=r["n"], limit=r["limit"], reserved=r["reserved"], outstanding=r["outstanding"])
            for r in rows]


def monthly_flows(book: Book, today: datetime.date, months: int = MONTHS,
                  factoring: dict[tuple[str, datetime.date], Decimal] | None = None) -> dict[str, list[MonthFlow]]:
    """Return what was disbursed and collected per month and currency over the last `months` months.

    `factoring`: the factoring advances per (currency, month) already summed by `live_book`'s pass over
    the same months; without it they are read here.
    """
    starts = month_starts(today, months)
    since = starts[0]
    disbursed = [] if factoring is not None else [
        (book.financings.filter(disbursed_on__isnull=False), "disbursed_on", "currency", "advance_amount"),
    ]
    disbursed += [
        (book.drawdowns.filter(disbursed_on__isnull=False), "disbursed_on", "agreement__currency", "amount"),
        (book.orders.filter(funded_on__isnull=False, loan_principal__gt=0), "funded_on", "currency",
         "loan_principal"),
        (book.orders.filter(advanced_on__isnull=False, advance_amount__gt=0), "advanced_on", "currency",
         "advance_amount"),
    ]
    result: dict[str, dict[datetime.date, MonthFlow]] = {}

    def slot(currency: str, month) -> MonthFlow:
        per_month = result.setdefault(currency, {start: MonthFlow(month=start) for start in starts})
        return per_month[_month(month)]

    for (currency, month), total in (factoring or {}).items():
        slot(currency, month).disbursed += total

    for qs, on, currency, amount in disbursed:
        rows = (qs.filter(**{f"{on}__gte": since, f"{on}__lte": today})
                .annotate(_currency=F(currency), _month=TruncMonth(on)).values("_currency", "_month")
                .annotate(total=Sum(amount)))
        for row in rows:
            slot(row["_currency"], row["_month"]).disbursed += row["total"]
    if not book.as_client:
        rows = (book.receipts.exclude(status=Receipt.Status.RETURNED)
                .filter(value_date__gte=since, value_date__lte=today)
                .annotate(_month=TruncMonth("value_date")).values("currency", "_month").annotate(total=Sum("amount")))
        for row in rows:
            slot(row["currency"], row["_month"]).collected += row["total"]
    return {currency: list(per_month.values()) for currency, per_month in sorted(result.items())}


def suspense_totals(book: Book) -> list[dict]:
    """Return the money waiting in suspense per currency: receipts, amount, the oldest value date."""
    return list(book.receipts.filter(status=Receipt.Status.SUSPENSE).values("currency")
                .annotate(receipts=Count("pk"), amount=Sum("suspense"), oldest=Min("value_date"),
                          newest=Max("value_date")).order_by("currency"))


def task_ages(book: Book, now: datetime.datetime) -> list[TaskRow]:
    """Return the open tasks meant for the reader's lender(s), per step, counted per age bucket (TASK_AGES)."""
    tasks = Task.objects.filter(status__in=OPEN_STATUSES).order_by()
    if book.lender_ids is not None:
        tasks = tasks.filter(owner_permission_content_type=ContentType.objects.get_for_model(Organization),
                             owner_permission_obj_pk__in=[str(pk) for pk in sorted(book.lender_ids)])
    whens = [When(created__gt=now - datetime.timedelta(days=high), then=Value(i))
             for i, (_low, high) in enumerate(TASK_AGES) if high is not None]
    rows = (tasks.annotate(_age=Case(*whens, default=Value(len(TASK_AGES) - 1), output_field=IntegerField()))
            .values("flow_task", "_age").annotate(n=Count("pk")))
    titles = {get_task_ref(node): str(node.task_title) for node in registry.human_nodes()}
    steps: dict[str, TaskRow] = {}
    for row in rows:
        ref = row["flow_task"] if isinstance(row["flow_task"], str) else get_task_ref(row["flow_task"])
        step = steps.setdefault(ref, TaskRow(step=ref, label=titles.get(ref, ref.rsplit(".", 1)[-1]),
                                             counts=[0] * len(TASK_AGES)))
        step.counts[row["_age"]] += row["n"]
    return sorted(steps.values(), key=lambda r: (-r.total, r.label))


def staff_dashboard(*, user: User, today: datetime.date | None = None,
                    now: datetime.datetime | None = None) -> StaffDashboard:
    """Return the lender staff's dashboard figures over their lender's book (every lender's for a superuser)."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    book = Book(user, as_client=False)
    live = live_book(book, today, flows_since=month_starts(today)[0])
    return StaffDashboard(
        today=today, exposure_by_product=live.by_product, exposure_totals=live.totals,
        counterparties=top_counterparties(live.by_party, live.totals), utilisation=facility_utilisation(book),
        maturities=live.maturities, ageing=live.ageing,
        flows=monthly_flows(book, today, factoring=live.factoring_disbursed), suspense=suspense_totals(book),
        tasks=task_ages(book, now),
        task_ages=TASK_AGE_LABELS)



def _dues(book: Book, today: datetime.date, limit: int) -> list[Due]:
    """Return the reader's `limit` next exposures by due date (the overdue first), across products."""
    dues: list[Due] = []
    for qs, product, party, currency, due, amount in book.exposures():
        rows = (qs.annotate(_product=product, _party=F(party), _currency=F(currency), _due=F(due),
                            _amount=amount)
                .filter(**{f"{due}__isnull": False}).order_by(due, "pk")
                .values("pk", "reference", "_product", "_party", "_currency", "_due", "_amount")[:limit])
        dues.extend(rows)
    names = dict(Organization.objects.filter(pk__in={r["_party"] for r in dues}).values_list("pk", "legal_name"))
    urls = {Product.FACTORING: ("factoring:financing-detail", "financing_pk"),
            Product.REVERSE_FACTORING: ("factoring:financing-detail", "financing_pk"),
            Product.PLEDGE: ("pledge:drawdown-detail", "drawdown_pk"),
            Product.CONFIRMING: ("confirming:order-detail", "cw_order_pk")}
    result = []
    for r in sorted(dues, key=lambda r: (r["_due"], r["reference"]))[:limit]:
        url_name, kwarg = urls[r["_product"]]
        result.append(Due(product=r["_product"], label=_product_label(r["_product"]), reference=r["reference"],
                          counterparty=names.get(r["_party"], ""), currency=r["_currency"], amount=r["_amount"],
                          due_date=r["_due"], overdue=r["_due"] < today,
                          url=reverse(url_name, kwargs={kwarg: r["pk"]})))
    return result


def client_dashboard(*, user: User, today: datetime.date | None = None, dues: int = 10) -> ClientDashboard:
    """Return a client's dashboard figures over its own organizations' cases and facilities."""
    today = today or timezone.localdate()
    book = Book(user, as_client=True)
    live = live_book(book, today)
    facilities = list(book.facilities.exclude(state=CreditFacility.State.CLOSED).select_related("lender", "obligor")
                      .order_by("currency", "product", "reference"))
    own = book.organization_ids
    cases = CaseProcess.objects.filter(is_open=True).filter(Q(applicant_id__in=own) | Q(counterparty_id__in=own))
    by_product = [{"product": r["product"], "label": _product_label(r["product"]), "count": r["n"]}
                  for r in cases.order_by().values("product").annotate(n=Count("pk")).order_by("product")]
    return ClientDashboard(
        today=today, facilities=facilities, utilisation=facility_utilisation(book), dues=_dues(book, today, dues),
        maturities=live.maturities, ageing=live.ageing, open_cases=by_product,
        open_cases_total=sum(r["count"] for r in by_product),
        recent_cases=list(cases.order_by("-created", "-pk")[:10]),
    )
