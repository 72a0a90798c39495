"""The price-shock preview: what a move in one commodity's price would do to the lender's pledge book.

Read-only: nothing is written. For every active agreement holding the commodity, the preview values
the goods at today's approved prices and again with the commodity at the shocked price, and says
which zone the agreement is in now and would be in after (DESIGN §5), the cure amount a margin call
would then demand, and the two prices of the commodity at which the agreement enters the margin-call
and the liquidation zone. The queries do not grow with the number of agreements: the agreements,
their goods and the prices are read in a fixed number of queries, and the figures are computed here
with the same functions as the valuation.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from scf.parties.models import Organization

from . import calculations as calc
from .models import Commodity, PledgeAgreement, PledgedItem
from .selectors import latest_approved_price

PRICE_PLACES = Decimal("0.000001")
CENT = Decimal("0.01")
#: The LTV buckets of the distribution chart: their upper bounds; the last bucket is open.
LTV_BUCKETS = (Decimal("0.50"), Decimal("0.60"), Decimal("0.65"), Decimal("0.70"), Decimal("0.80"))
ZONE_ORDER = {zone: rank for rank, zone in enumerate(calc.Zone.ALL)}


class ShockInputError(ValueError):
    """Carries the field of the preview's form that makes it impossible."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ShockRow:
    """One agreement, now and after the shock."""

    agreement: PledgeAgreement
    quantity: Decimal  # of the shocked commodity pledged under the agreement
    exposure: Decimal
    value_now: Decimal
    value_after: Decimal
    ltv_now: Decimal | None  # 6 places, for display; None when unbounded
    ltv_after: Decimal | None
    zone_now: str
    zone_after: str
    cure_after: Decimal  # K after the shock; 0.00 outside a margin call
    call_price: Decimal | None  # the highest price (to the cent) at which the agreement is in margin call
    liquidation_price: Decimal | None  # the highest price (to the cent) at which it is in liquidation

    @property
    def worsens(self) -> bool:
        return ZONE_ORDER[self.zone_after] > ZONE_ORDER[self.zone_now]


@dataclass(frozen=True)
class ShockPreview:
    commodity: Commodity
    currency: str
    price_now: Decimal
    price_after: Decimal
    rows: list[ShockRow]
    unpriced: list[PledgeAgreement]  # agreements holding other goods without an approved price: not valued

    def _moving_into(self, zone: str) -> list[ShockRow]:
        return [row for row in self.rows if row.worsens and row.zone_after == zone]

    @property
    def to_warning(self) -> list[ShockRow]:
        return self._moving_into(calc.Zone.WARNING)

    @property
    def to_call(self) -> list[ShockRow]:
        return self._moving_into(calc.Zone.CALL)

    @property
    def to_liquidation(self) -> list[ShockRow]:
        return self._moving_into(calc.Zone.LIQUIDATION)

    @property
    def total_cure(self) -> Decimal:
        return sum((row.cure_after for row in self.rows), calc.ZERO_MONEY)

    @property
    def zones_now(self) -> dict[str, int]:
        counts = Counter(row.zone_now for row in self.rows)
        return {zone: counts.get(zone, 0) for zone in calc.Zone.ALL}

    @property
    def zones_after(self) -> dict[str, int]:
        counts = Counter(row.zone_after for row in self.rows)
        return {zone: counts.get(zone, 0) for zone in calc.Zone.ALL}

    def distribution(self) -> list[dict]:
        """The book's LTV distribution now and after, bucket by bucket (unbounded LTV in the last)."""
        bounds = [None, *LTV_BUCKETS]
        buckets = [{"low": low, "high": high, "now": 0, "after": 0}
                   for low, high in zip(bounds, [*LTV_BUCKETS, None], strict=True)]

        def index(ltv: Decimal | None) -> int:
            if ltv is None:
                return len(buckets) - 1
            return next((i for i, high in enumerate(LTV_BUCKETS) if ltv < high), len(buckets) - 1)

        for row in self.rows:
            buckets[index(row.ltv_now)]["now"] += 1
            buckets[index(row.ltv_after)]["after"] += 1
        return buckets


def shocked_price(price: Decimal, *, move_percent: Decimal | None = None, new_price: Decimal | None = None) -> Decimal:
    """Return the price after the shock: `new_price`, or `price` moved by `move_percent` %, to 6 places half up."""
    if (move_percent is None) == (new_price is None):
        raise ShockInputError("move_percent", _("Give either a price move in per cent or a new price, not both."))
    if new_price is not None:
        if new_price <= 0:
            raise ShockInputError("new_price", _("The new price must be above zero."))
        return new_price.quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)
    if move_percent <= Decimal("-100"):
        raise ShockInputError("move_percent", _("A fall of 100 % or more leaves no price."))
    return (price * (1 + move_percent / 100)).quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)


def _value(lines: list[tuple[int, Decimal]], prices: dict[int, Decimal]) -> Decimal:
    return calc.collateral_value((quantity, prices[commodity_id]) for commodity_id, quantity in lines)


def _threshold_price(lines: list[tuple[int, Decimal]], prices: dict[int, Decimal], commodity_id: int,
                     in_zone) -> Decimal | None:
    """The highest price of the commodity, to the cent, at which `in_zone(value)` holds; None if none above 0.

    The value rises with the price (each line rounded half up), so the zone only improves as the price
    rises: a binary search over cents finds the boundary exactly, line rounding included.
    """
    def holds(price: Decimal) -> bool:
        return in_zone(_value(lines, {**prices, commodity_id: price}))

    if not holds(CENT):
        return None
    low, high = 1, 1
    while holds(Decimal(high) * CENT):
        low, high = high, high * 2
        if high > 10 ** 15:
            return None  # in the zone at any price: the other goods cannot carry the loan either
    while high - low > 1:  # holds(low), not holds(high)
        middle = (low + high) // 2
        if holds(Decimal(middle) * CENT):
            low = middle
        else:
            high = middle
    return Decimal(low) * CENT


def price_shock_preview(*, lender: Organization, commodity: Commodity, on: datetime.date,
                        currency: str = "CNY", move_percent: Decimal | None = None,
                        new_price: Decimal | None = None) -> ShockPreview:
    """Preview a move of `commodity`'s price over the lender's active agreements in `currency`."""
    current = latest_approved_price(commodity, on, lender=lender, currency=currency)
    if current is None:
        raise ShockInputError("commodity", _("This commodity has no approved price to move from."))
    after = shocked_price(current.price, move_percent=move_percent, new_price=new_price)
    holding = (PledgedItem.objects.filter(commodity=commodity, status=PledgedItem.Status.PLEDGED, quantity__gt=0,
                                          agreement__lender=lender, agreement__currency=currency,
                                          agreement__state=PledgeAgreement.State.ACTIVE)
               .values("agreement_id"))
    agreements = list(PledgeAgreement.objects.filter(pk__in=holding).select_related("pledgor", "warehouse")
                      .order_by("reference"))
    goods: dict[int, list[tuple[int, Decimal]]] = {agreement.pk: [] for agreement in agreements}
    for agreement_id, commodity_id, quantity in (
            PledgedItem.objects.filter(Q(agreement__in=agreements), status=PledgedItem.Status.PLEDGED,
                                       quantity__gt=0)
            .order_by("agreement_id", "commodity_id", "pk").values_list("agreement_id", "commodity_id", "quantity")):
        goods[agreement_id].append((commodity_id, quantity))
    # One price per commodity held in the book: the queries grow with the commodities, not the agreements.
    prices_now: dict[int, Decimal] = {commodity.pk: current.price}
    for other in Commodity.objects.filter(pk__in={c for lines in goods.values() for c, _quantity in lines}).exclude(
            pk=commodity.pk):
        price = latest_approved_price(other, on, lender=lender, currency=currency)
        if price is not None:
            prices_now[other.pk] = price.price
    prices_after = {**prices_now, commodity.pk: after}

    rows: list[ShockRow] = []
    unpriced: list[PledgeAgreement] = []
    for agreement in agreements:
        lines = goods[agreement.pk]
        if any(commodity_id not in prices_now for commodity_id, _quantity in lines):
            unpriced.append(agreement)
            continue
        exposure = calc.exposure(agreement.principal_outstanding, agreement.cash_margin)
        zone_lines = calc.Lines(warning=agreement.warning_ltv, call=agreement.call_ltv,
                                liquidation=agreement.liquidation_ltv)
        value_now, value_after = _value(lines, prices_now), _value(lines, prices_after)
        rows.append(ShockRow(
            agreement=agreement, exposure=exposure, value_now=value_now, value_after=value_after,
            quantity=sum((q for c, q in lines if c == commodity.pk), calc.ZERO),
            ltv_now=calc.ltv_display(exposure, value_now), ltv_after=calc.ltv_display(exposure, value_after),
            zone_now=calc.zone(exposure, value_now, zone_lines),
            zone_after=calc.zone(exposure, value_after, zone_lines),
            cure_after=calc.cure_amount(exposure, value_after, agreement.pledge_rate, zone_lines),
            call_price=_threshold_price(lines, prices_now, commodity.pk,
                                        lambda value, e=exposure, z=zone_lines: calc.is_margin_call(e, value, z)),
            liquidation_price=_threshold_price(lines, prices_now, commodity.pk,
                                               lambda value, e=exposure, z=zone_lines: calc.is_default(e, value, z)),
        ))
    return ShockPreview(commodity=commodity, currency=currency, price_now=current.price, price_after=after,
                        rows=rows, unpriced=unpriced)
