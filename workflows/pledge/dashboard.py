"""The collateral dashboard's figures for a lender's staff: every number on the page is computed here.

Read from the stored valuations (`PledgeValuation`, what the last revaluation found) of the lender's
active agreements, so that the page agrees with the zones the margin calls and notices follow; each
panel is one or two queries whatever the number of agreements:

* by zone: the count of agreements, their exposure E and collateral value V per zone and currency, and
  the active agreements with no stored valuation yet;
* stale: the valuations resting on a price older than the agreement's maximum age, or missing a price;
* concentration: per warehouse and currency, V of the goods under the lender's active agreements there,
  against the warehouse's concentration limit (`WarehouseApproval`); the share used is V / limit to
  4 places half up, and a warehouse is over its limit when V > limit (at the limit it is not);
  a warehouse holding goods without an active approval is shown as such, with no limit;
* price history: the lender's approved prices per commodity and currency over the last `price_days`
  days, one per date (of one date, the last approved, as the valuation takes it);
* stock counts: the latest counts under the lender's agreements, their lines and variances.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone

from scf.parties.models import Organization

from .calculations import Zone
from .models import (
    Commodity,
    CommodityPrice,
    PledgeAgreement,
    PledgeMarginCall,
    PledgeStockCount,
    PledgeStockCountLine,
    PledgeValuation,
    WarehouseApproval,
)

ZERO = Decimal("0.00")
SHARE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class ZoneRow:
    zone: str
    currency: str
    agreements: int
    exposure: Decimal
    value: Decimal


@dataclass(frozen=True)
class ConcentrationRow:
    warehouse: Organization
    currency: str
    agreements: int
    value: Decimal
    limit: Decimal | None  # None: the warehouse holds goods without an active approval

    @property
    def share(self) -> Decimal | None:
        """V / limit to 4 places, half up (0.8333 is 83.33 %)."""
        if self.limit is None:
            return None
        return (self.value / self.limit).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)

    @property
    def share_percent(self) -> Decimal | None:
        share = self.share
        return None if share is None else (share * 100).quantize(Decimal("0.01"))

    @property
    def exceeded(self) -> bool:
        return self.limit is None or self.value > self.limit


@dataclass(frozen=True)
class PricePoint:
    on: datetime.date
    price: Decimal


@dataclass
class PriceSeries:
    commodity: Commodity
    currency: str
    points: list[PricePoint] = field(default_factory=list)

    @property
    def low(self) -> Decimal:
        return min(p.price for p in self.points)

    @property
    def high(self) -> Decimal:
        return max(p.price for p in self.points)

    @property
    def change(self) -> Decimal:
        """The last price less the first of the period."""
        return self.points[-1].price - self.points[0].price


@dataclass
class Dashboard:
    lender: Organization
    on: datetime.date
    zones: list[ZoneRow]
    not_valued: int
    stale: list[PledgeValuation]
    stale_total: int
    concentration: list[ConcentrationRow]
    prices: list[PriceSeries]
    stock_counts: list[PledgeStockCount]
    calls: list[PledgeMarginCall]
    calls_total: int
    calls_cure_total: dict[str, Decimal]

    def zone_total(self, zone: str) -> int:
        return sum(row.agreements for row in self.zones if row.zone == zone)

    @property
    def over_limit(self) -> list[ConcentrationRow]:
        return [row for row in self.concentration if row.exceeded]


def _active(lender: Organization):
    return PledgeValuation.objects.filter(agreement__lender=lender, agreement__state=PledgeAgreement.State.ACTIVE)


def zones_of(lender: Organization) -> list[ZoneRow]:
    """Agreements, E and V per zone and currency, zones in their order from normal up."""
    rows = (_active(lender).values("zone", "currency")
            .annotate(agreements=Count("pk"), exposure=Sum("exposure"), value=Sum("value")))
    order = {zone: i for i, zone in enumerate(Zone.ALL)}
    return sorted((ZoneRow(zone=r["zone"], currency=r["currency"], agreements=r["agreements"],
                           exposure=r["exposure"] or ZERO, value=r["value"] or ZERO) for r in rows),
                  key=lambda row: (order.get(row.zone, 99), row.currency))


def not_valued_count(lender: Organization) -> int:
    """Active agreements without a stored valuation (never revalued yet)."""
    return PledgeAgreement.objects.filter(lender=lender, state=PledgeAgreement.State.ACTIVE,
                                          stored_valuation__isnull=True).count()


def stale_of(lender: Organization, *, limit: int = 50) -> tuple[list[PledgeValuation], int]:
    """The valuations not to rely on (a price stale or missing), oldest price first, and how many there are."""
    unreliable = _active(lender).filter(Q(stale=True) | Q(missing_price=True))
    rows = list(unreliable.select_related("agreement__pledgor", "agreement__warehouse")
                .order_by("oldest_price_date", "agreement__reference")[:limit])
    total = len(rows) if len(rows) < limit else unreliable.count()
    return rows, total


def concentration_of(lender: Organization) -> list[ConcentrationRow]:
    """V per warehouse and currency against the warehouse's limit; approved warehouses without goods at 0."""
    held = {(r["agreement__warehouse"], r["currency"]): (r["value"] or ZERO, r["agreements"])
            for r in _active(lender).values("agreement__warehouse", "currency")
            .annotate(value=Sum("value"), agreements=Count("pk"))}
    approvals = {(a.warehouse_id, a.currency): a for a in WarehouseApproval.objects.filter(
        lender=lender, is_active=True).select_related("warehouse")}
    unapproved_ids = {warehouse_id for warehouse_id, currency in held if (warehouse_id, currency) not in approvals}
    others = Organization.objects.in_bulk(unapproved_ids) if unapproved_ids else {}
    rows = []
    for key in set(held) | set(approvals):
        value, agreements = held.get(key, (ZERO, 0))
        approval = approvals.get(key)
        warehouse = approval.warehouse if approval else others[key[0]]
        rows.append(ConcentrationRow(warehouse=warehouse, currency=key[1], agreements=agreements, value=value,
                                     limit=approval.concentration_limit if approval else None))
    return sorted(rows, key=lambda r: (not r.exceeded, -(r.share or Decimal(0)), r.warehouse.legal_name))


def price_history(lender: Organization, *, on: datetime.date, days: int = 90) -> list[PriceSeries]:
    """The approved prices of the last `days` days up to `on`, per commodity and currency, one per date."""
    prices = (CommodityPrice.objects.filter(lender=lender, state=CommodityPrice.State.APPROVED,
                                            effective_date__gt=on - datetime.timedelta(days=days),
                                            effective_date__lte=on)
              .select_related("commodity").order_by("commodity__code", "currency", "effective_date", "decided_at",
                                                    "pk"))
    series: dict[tuple[int, str], PriceSeries] = {}
    for price in prices:
        one = series.setdefault((price.commodity_id, price.currency), PriceSeries(price.commodity, price.currency))
        if one.points and one.points[-1].on == price.effective_date:
            one.points[-1] = PricePoint(price.effective_date, price.price)  # the last approved of the date wins
        else:
            one.points.append(PricePoint(price.effective_date, price.price))
    return list(series.values())


def recent_stock_counts(lender: Organization, *, limit: int = 20) -> list[PledgeStockCount]:
    """The latest stock counts under the lender's agreements, with their lines (shortfalls first within a count)."""
    lines = PledgeStockCountLine.objects.select_related("item__commodity", "item__receipt", "item__lot").order_by(
        "-shortfall", "item_id")
    return list(PledgeStockCount.objects.filter(agreement__lender=lender)
                .select_related("agreement", "warehouse").prefetch_related(Prefetch("lines", queryset=lines))
                .order_by("-counted_on", "-pk")[:limit])


def open_calls_of(lender: Organization, *, limit: int = 50
                  ) -> tuple[list[PledgeMarginCall], int, dict[str, Decimal]]:
    """The lender's open margin calls, nearest deadline first; how many there are; their cure amounts K per currency."""
    open_calls = PledgeMarginCall.objects.filter(agreement__lender=lender, state__in=PledgeMarginCall.OPEN)
    rows = list(open_calls.select_related("agreement__pledgor").order_by("deadline", "reference")[:limit])
    totals = {row["agreement__currency"]: row["total"] for row in
              open_calls.values("agreement__currency").annotate(total=Sum("cure_amount")).order_by("agreement__currency")}
    total = len(rows) if len(rows) < limit else open_calls.count()
    return rows, total, totals


def collateral_dashboard(*, lender: Organization, on: datetime.date | None = None,
                         price_days: int = 90) -> Dashboard:
    """Every figure of the lender's collateral dashboard."""
    on = on or timezone.localdate()
    stale, stale_total = stale_of(lender)
    calls, calls_total, calls_cure_total = open_calls_of(lender)
    return Dashboard(lender=lender, on=on, zones=zones_of(lender), not_valued=not_valued_count(lender),
                     stale=stale, stale_total=stale_total, concentration=concentration_of(lender),
                     prices=price_history(lender, on=on, days=price_days), stock_counts=recent_stock_counts(lender),
                     calls=calls, calls_total=calls_total, calls_cure_total=calls_cure_total)
