"""The valuation of an agreement's collateral (DESIGN §5), read for the pages, the API and the services.

Every figure comes from calculations.py; this module only gathers the inputs: the goods pledged under
the agreement now, the lender's latest approved price of each commodity, the exposure and the
facility's headroom. A line without an approved price is listed as missing and is not valued (never
at zero): the valuation then cannot be relied on, and neither can one with a stale price.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from scf.facilities.models import CreditFacility

from . import calculations as calc
from .models import Commodity, PledgeAgreement, PledgedItem
from .selectors import latest_approved_price, price_is_stale


@dataclass(frozen=True)
class ValuationLine:
    """One pledged receipt or lot, priced (or not) on the valuation date."""

    item: PledgedItem
    commodity: Commodity
    quantity: Decimal
    price: Decimal | None
    price_date: datetime.date | None
    stale: bool
    value: Decimal | None  # round(quantity × price) half up; None when the price is missing

    @property
    def missing(self) -> bool:
        return self.price is None

    @property
    def number(self) -> str:
        return self.item.receipt.number if self.item.receipt_id else self.item.lot.lot_number

    @property
    def kind(self) -> str:
        return "receipt" if self.item.receipt_id else "lot"


@dataclass(frozen=True)
class AgreementValuation:
    """V, E, LTV, zone, max loan, what may be drawn, the floor, and whether the figures may be relied on."""

    agreement: PledgeAgreement
    on: datetime.date
    lines: list[ValuationLine]
    value: Decimal  # V over the priced lines
    exposure: Decimal  # E
    ltv: Decimal | None  # unrounded; None when V = 0 with E > 0
    ltv_display: Decimal | None  # 6 places, for display
    zone: str
    max_loan: Decimal
    headroom: Decimal
    available: Decimal  # max loan − E, capped by the headroom
    floor_value: Decimal | None  # a dynamic pledge's floor; None for a static pledge
    stale: bool  # some line's latest approved price is older than the agreement's maximum age
    missing: list[Commodity] = field(default_factory=list)  # commodities without an approved price

    @property
    def reliable(self) -> bool:
        """Whether the valuation may be relied on: every line priced, no price stale."""
        return not self.missing and not self.stale

    @property
    def currency(self) -> str:
        return self.agreement.currency


def facility_headroom(facility: CreditFacility, on: datetime.date) -> Decimal:
    """Return what the facility still lends: its available amount while active and valid, else nothing."""
    if facility.state != CreditFacility.State.ACTIVE or not facility.is_within_validity(on):
        return calc.ZERO_MONEY
    return max(calc.ZERO_MONEY, facility.available_amount)


def pledged_items(agreement: PledgeAgreement):
    """Return the items that count in the agreement's valuation now: pledged, with a quantity left."""
    return (agreement.items.filter(status=PledgedItem.Status.PLEDGED, quantity__gt=0)
            .select_related("commodity", "receipt", "lot").order_by("commodity__code", "pk"))


def agreement_valuation(agreement: PledgeAgreement, on: datetime.date | None = None) -> AgreementValuation:
    """Return the agreement's valuation on `on` (today by default) at the lender's latest approved prices."""
    on = on or timezone.localdate()
    prices: dict[int, object] = {}
    lines: list[ValuationLine] = []
    missing: dict[int, Commodity] = {}
    for item in pledged_items(agreement):
        if item.commodity_id not in prices:
            prices[item.commodity_id] = latest_approved_price(item.commodity, on, lender=agreement.lender_id,
                                                              currency=agreement.currency)
        price = prices[item.commodity_id]
        if price is None:
            missing[item.commodity_id] = item.commodity
            lines.append(ValuationLine(item=item, commodity=item.commodity, quantity=item.quantity, price=None,
                                       price_date=None, stale=True, value=None))
            continue
        lines.append(ValuationLine(
            item=item, commodity=item.commodity, quantity=item.quantity, price=price.price,
            price_date=price.effective_date,
            stale=price_is_stale(price, on=on, max_age_days=agreement.price_max_age_days),
            value=calc.line_value(item.quantity, price.price)))
    value = calc.collateral_value((line.quantity, line.price) for line in lines if line.price is not None)
    exposure = calc.exposure(agreement.principal_outstanding, agreement.cash_margin)
    lines_ = calc.Lines(warning=agreement.warning_ltv, call=agreement.call_ltv, liquidation=agreement.liquidation_ltv)
    headroom = facility_headroom(agreement.facility, on)
    floor = (calc.floor_value(exposure, agreement.pledge_rate, agreement.floor_value_minimum)
             if agreement.kind == PledgeAgreement.Kind.DYNAMIC else None)
    return AgreementValuation(
        agreement=agreement, on=on, lines=lines, value=value, exposure=exposure,
        ltv=calc.ltv(exposure, value), ltv_display=calc.ltv_display(exposure, value),
        zone=calc.zone(exposure, value, lines_), max_loan=calc.max_loan(value, agreement.pledge_rate),
        headroom=headroom, available=calc.available_to_draw(value, agreement.pledge_rate, exposure, headroom),
        floor_value=floor, stale=any(line.stale for line in lines if line.price is not None),
        missing=list(missing.values()))
