"""The pledge arithmetic of DESIGN §5 "Warehouse-receipt and inventory pledge", exact to the rule.

Pure functions on Decimal: the pages, the services and the quote API call these and nothing else.
Round only where the rule says so:

* collateral value: each line round(quantity × price) half up, then summed;
* max loan: V × r rounded down to 0.01;
* cure amount, floor value, the part of V that stays pledged: rounded up to 0.01;
* cure quantity and the quantity that stays pledged: rounded up to the unit's precision;
* LTV is never rounded for a decision (zones compare E with line × V exactly); it is rounded to
  6 places half up only for display.

A division whose result is rounded up is done with ROUND_CEILING in a wide context, so a quotient
that does not terminate is never rounded down below a boundary before the final rounding up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, ROUND_UP, Decimal, localcontext

from django.utils.translation import gettext as _

from scf.money import allocate_in_order, round_down_money, round_money, round_up_money

ZERO = Decimal("0")
ZERO_MONEY = Decimal("0.00")
ONE = Decimal("1")
LTV_DISPLAY_PLACES = Decimal("0.000001")

#: The quantity precisions a commodity's unit may have: tonnes to 0.001, pieces to 1.
PRECISION_THOUSANDTH = Decimal("0.001")
PRECISION_UNIT = Decimal("1")
PRECISIONS = (PRECISION_THOUSANDTH, PRECISION_UNIT)

DEFAULT_PLEDGE_RATE = Decimal("0.60")
DEFAULT_WARNING_LTV = Decimal("0.65")
DEFAULT_CALL_LTV = Decimal("0.70")
DEFAULT_LIQUIDATION_LTV = Decimal("0.80")

_WIDE_PREC = 60


class Zone:
    """The LTV zones, from the lowest line up."""

    NORMAL = "normal"
    WARNING = "warning"
    CALL = "call"
    LIQUIDATION = "liquidation"

    ALL = (NORMAL, WARNING, CALL, LIQUIDATION)


class PledgeCalculationError(ValueError):
    """Carries the field that makes a calculation impossible."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Lines:
    """The warning, call and liquidation LTV lines w ≤ c ≤ l."""

    warning: Decimal = DEFAULT_WARNING_LTV
    call: Decimal = DEFAULT_CALL_LTV
    liquidation: Decimal = DEFAULT_LIQUIDATION_LTV


# --- validation ------------------------------------------------------------------------------

def validate_pledge_rate(rate: Decimal, *, field: str = "pledge_rate") -> None:
    """Refuse a pledge rate outside 0 < r < 1."""
    if not (ZERO < rate < ONE):
        raise PledgeCalculationError(field, _("The pledge rate must be more than 0 and less than 1."))


def validate_lines(lines: Lines) -> None:
    """Refuse lines other than 0 < w ≤ c ≤ l ≤ 1."""
    if not (ZERO < lines.warning <= ONE):
        raise PledgeCalculationError("warning_ltv", _("The warning line must be more than 0 and at most 1."))
    if not (ZERO < lines.call <= ONE):
        raise PledgeCalculationError("call_ltv", _("The margin call line must be more than 0 and at most 1."))
    if not (ZERO < lines.liquidation <= ONE):
        raise PledgeCalculationError("liquidation_ltv",
                                     _("The liquidation line must be more than 0 and at most 1."))
    if lines.warning > lines.call:
        raise PledgeCalculationError("call_ltv", _("The margin call line cannot be below the warning line."))
    if lines.call > lines.liquidation:
        raise PledgeCalculationError("liquidation_ltv",
                                     _("The liquidation line cannot be below the margin call line."))


def validate_precision(precision: Decimal, *, field: str = "precision") -> None:
    """Refuse a quantity precision other than 0.001 or 1."""
    if precision not in PRECISIONS:
        raise PledgeCalculationError(field, _("The quantity precision is either 0.001 or 1."))


def validate_quantity(quantity: Decimal, precision: Decimal, *, field: str = "quantity") -> None:
    """Refuse a quantity that is not positive or is finer than the unit's precision."""
    if quantity <= 0:
        raise PledgeCalculationError(field, _("The quantity must be greater than zero."))
    if quantity != quantity.quantize(precision, rounding=ROUND_HALF_UP):
        raise PledgeCalculationError(field, _("The quantity has more decimal places than the unit allows (%(precision)s).")
                                     % {"precision": precision})


def validate_price(price: Decimal, *, field: str = "unit_price") -> None:
    """Refuse a price that is not positive: a missing price never counts as zero."""
    if price <= 0:
        raise PledgeCalculationError(field, _("The price must be greater than zero."))


# --- value, loan, exposure ---------------------------------------------------------------------

def line_value(quantity: Decimal, price: Decimal) -> Decimal:
    """Return one collateral line's value, round(quantity × price) half up to 0.01."""
    return round_money(quantity * price)


def collateral_value(lines: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """Return V = Σ round(quantityᵢ × priceᵢ), rounded per line, over (quantity, price) pairs."""
    return sum((line_value(quantity, price) for quantity, price in lines), ZERO_MONEY)


def max_loan(value: Decimal, pledge_rate: Decimal) -> Decimal:
    """Return the maximum loan, V × r rounded down to 0.01."""
    return round_down_money(value * pledge_rate)


def exposure(outstanding: Decimal, cash_margin: Decimal = ZERO) -> Decimal:
    """Return E = max(0, principal outstanding − cash margin held)."""
    return max(ZERO_MONEY, outstanding - cash_margin)


def available_to_draw(value: Decimal, pledge_rate: Decimal, exposure_: Decimal,
                      headroom: Decimal | None = None) -> Decimal:
    """Return max(0, max loan − E), capped by the facility's headroom when given."""
    available = max(ZERO_MONEY, max_loan(value, pledge_rate) - exposure_)
    if headroom is not None:
        available = min(available, max(ZERO_MONEY, headroom))
    return available


# --- LTV and zones --------------------------------------------------------------------------

def ltv(exposure_: Decimal, value: Decimal) -> Decimal | None:
    """Return LTV = E / V unrounded; None when V = 0 and E > 0 (no collateral under a loan).

    With nothing outstanding the LTV is 0, whatever the value.
    """
    if exposure_ <= 0:
        return ZERO
    if value <= 0:
        return None
    with localcontext() as ctx:
        ctx.prec = _WIDE_PREC
        return exposure_ / value


def ltv_display(exposure_: Decimal, value: Decimal) -> Decimal | None:
    """Return the LTV rounded half up to 6 places, for display only; None when it is unbounded."""
    ratio = ltv(exposure_, value)
    if ratio is None:
        return None
    return ratio.quantize(LTV_DISPLAY_PLACES, rounding=ROUND_HALF_UP)


def _at_or_above(exposure_: Decimal, value: Decimal, line: Decimal) -> bool:
    """Return whether E / V ≥ line, compared exactly as E ≥ line × V (V = 0 with E > 0 is above all)."""
    if exposure_ <= 0:
        return False
    return exposure_ >= line * value


def zone(exposure_: Decimal, value: Decimal, lines: Lines = Lines()) -> str:
    """Return the zone: LTV < w normal; w ≤ LTV < c warning; c ≤ LTV < l call; LTV ≥ l liquidation."""
    if _at_or_above(exposure_, value, lines.liquidation):
        return Zone.LIQUIDATION
    if _at_or_above(exposure_, value, lines.call):
        return Zone.CALL
    if _at_or_above(exposure_, value, lines.warning):
        return Zone.WARNING
    return Zone.NORMAL


def is_margin_call(exposure_: Decimal, value: Decimal, lines: Lines = Lines()) -> bool:
    """Return whether LTV ≥ the call line (a margin call is open, or it is already a default)."""
    return _at_or_above(exposure_, value, lines.call)


def is_default(exposure_: Decimal, value: Decimal, lines: Lines = Lines()) -> bool:
    """Return whether LTV ≥ the liquidation line."""
    return _at_or_above(exposure_, value, lines.liquidation)


# --- margin call ------------------------------------------------------------------------------

def _ceil_div(numerator: Decimal, denominator: Decimal) -> Decimal:
    """Divide so that the quotient is never below the exact one (for a result that is rounded up)."""
    with localcontext() as ctx:
        ctx.prec = _WIDE_PREC
        ctx.rounding = ROUND_CEILING
        return numerator / denominator


def round_up_quantity(quantity: Decimal, precision: Decimal) -> Decimal:
    """Round a non-negative quantity up to the unit's precision (0.001 or 1)."""
    return quantity.quantize(precision, rounding=ROUND_UP)


def cure_amount(exposure_: Decimal, value: Decimal, pledge_rate: Decimal, lines: Lines = Lines()) -> Decimal:
    """Return K = E − V × r rounded up to 0.01 while a call is open (LTV ≥ c); 0.00 when there is no call."""
    if not is_margin_call(exposure_, value, lines):
        return ZERO_MONEY
    return max(ZERO_MONEY, round_up_money(exposure_ - value * pledge_rate))


def cure_quantity(cure: Decimal, price: Decimal, pledge_rate: Decimal, precision: Decimal) -> Decimal:
    """Return the extra quantity of one commodity that cures alone: K / (price × r) rounded up to its precision."""
    if cure <= 0:
        return ZERO.quantize(precision)
    return round_up_quantity(_ceil_div(cure, price * pledge_rate), precision)


# --- dynamic pledge floor and release ---------------------------------------------------------

def floor_value(exposure_: Decimal, pledge_rate: Decimal, lender_floor: Decimal | None = None) -> Decimal:
    """Return F = E / r rounded up to 0.01, or the floor the lender set when that is higher."""
    floor = round_up_money(_ceil_div(exposure_, pledge_rate)) if exposure_ > 0 else ZERO_MONEY
    if lender_floor is not None and lender_floor > floor:
        return lender_floor
    return floor


def substitution_allowed(*, value_in: Decimal, value_out: Decimal, value_after: Decimal, floor: Decimal) -> bool:
    """Return whether a substitution may go ahead: value in ≥ value out and value after ≥ F."""
    return value_in >= value_out and value_after >= floor


def releasable_value(value: Decimal, exposure_: Decimal, pledge_rate: Decimal,
                     pending_release_value: Decimal = ZERO) -> Decimal:
    """Return max(0, V − round_up(E / r) − R), R being the value of release orders not yet executed."""
    kept = round_up_money(_ceil_div(exposure_, pledge_rate)) if exposure_ > 0 else ZERO_MONEY
    return max(ZERO_MONEY, value - kept - pending_release_value)


def quantity_to_keep(exposure_: Decimal, pledge_rate: Decimal, price: Decimal, precision: Decimal,
                     pending_release_value: Decimal = ZERO, other_value: Decimal = ZERO) -> Decimal:
    """Return the quantity of one commodity line that must stay pledged: (E / r + R) / price, rounded up.

    Computed as (E + R × r) / (r × price) in one division, so nothing is rounded before the end.
    With other commodities under the agreement, `other_value` (their value, staying pledged) covers
    part of E / r + R: (E / r + R − other) / price, i.e. (E + (R − other) × r) / (r × price).
    """
    needed = exposure_ + (pending_release_value - other_value) * pledge_rate
    if needed <= 0:
        return ZERO.quantize(precision)
    return round_up_quantity(_ceil_div(needed, pledge_rate * price), precision)


def releasable_quantity(quantity: Decimal, exposure_: Decimal, pledge_rate: Decimal, price: Decimal,
                        precision: Decimal, pending_release_value: Decimal = ZERO,
                        other_value: Decimal = ZERO) -> Decimal:
    """Return max(0, quantity − the quantity that must stay pledged) for one commodity line."""
    keep = quantity_to_keep(exposure_, pledge_rate, price, precision, pending_release_value, other_value)
    return max(ZERO.quantize(precision), quantity - keep).quantize(precision)


# --- the quote --------------------------------------------------------------------------------

@dataclass(frozen=True)
class PledgeQuote:
    collateral_value: Decimal
    max_loan: Decimal
    exposure: Decimal | None = None
    ltv: Decimal | None = None
    zone: str | None = None
    margin_call: bool | None = None
    default: bool | None = None
    cure_amount: Decimal | None = None
    cure_quantity: Decimal | None = None
    floor_value: Decimal | None = None
    releasable_value: Decimal | None = None
    releasable_quantity: Decimal | None = None


def pledge_quote(*, quantity: Decimal, unit_price: Decimal, pledge_rate: Decimal,
                 precision: Decimal = PRECISION_THOUSANDTH, outstanding: Decimal | None = None,
                 cash_margin: Decimal = ZERO, warning_ltv: Decimal = DEFAULT_WARNING_LTV,
                 call_ltv: Decimal = DEFAULT_CALL_LTV, liquidation_ltv: Decimal = DEFAULT_LIQUIDATION_LTV,
                 pending_release_value: Decimal = ZERO) -> PledgeQuote:
    """Return the valuation of one commodity line and, with an outstanding principal, its zone, call and release."""
    validate_precision(precision)
    validate_quantity(quantity, precision)
    validate_price(unit_price)
    validate_pledge_rate(pledge_rate)
    lines = Lines(warning=warning_ltv, call=call_ltv, liquidation=liquidation_ltv)
    validate_lines(lines)
    if cash_margin < 0:
        raise PledgeCalculationError("cash_margin", _("The cash margin cannot be negative."))
    if pending_release_value < 0:
        raise PledgeCalculationError("pending_release_value",
                                     _("The value of pending release orders cannot be negative."))
    value = line_value(quantity, unit_price)
    loan = max_loan(value, pledge_rate)
    if outstanding is None:
        return PledgeQuote(collateral_value=value, max_loan=loan)
    if outstanding < 0:
        raise PledgeCalculationError("outstanding", _("The principal outstanding cannot be negative."))
    e = exposure(outstanding, cash_margin)
    cure = cure_amount(e, value, pledge_rate, lines)
    return PledgeQuote(
        collateral_value=value, max_loan=loan, exposure=e, ltv=ltv_display(e, value), zone=zone(e, value, lines),
        margin_call=is_margin_call(e, value, lines), default=is_default(e, value, lines), cure_amount=cure,
        cure_quantity=cure_quantity(cure, unit_price, pledge_rate, precision),
        floor_value=floor_value(e, pledge_rate),
        releasable_value=releasable_value(value, e, pledge_rate, pending_release_value),
        releasable_quantity=releasable_quantity(quantity, e, pledge_rate, unit_price, precision,
                                                pending_release_value),
    )


@dataclass(frozen=True)
class DisposalAllocation:
    """How a disposal's proceeds are applied (DESIGN §5 "Default"): costs, interest, principal, then surplus."""

    costs: Decimal
    interest: Decimal
    principal: Decimal
    surplus: Decimal  # goes back to the pledgor
    shortfall: Decimal  # interest and principal still owed after the sale


def disposal_allocation(*, proceeds: Decimal, costs: Decimal, interest_due: Decimal,
                        principal_due: Decimal) -> DisposalAllocation:
    """Apply the gross proceeds of a sale: the costs of sale first, then interest, then principal.

    What is left once everything is paid is the pledgor's surplus; what the proceeds do not cover
    stays owed (the shortfall). Nothing is rounded: amounts in cents give amounts in cents.
    Refused: negative proceeds or costs, costs above the proceeds.
    """
    if proceeds < 0:
        raise PledgeCalculationError("gross_proceeds", _("The proceeds cannot be negative."))
    if costs < 0:
        raise PledgeCalculationError("costs_of_sale", _("The costs of sale cannot be negative."))
    if costs > proceeds:
        raise PledgeCalculationError("costs_of_sale", _("The costs of sale cannot be more than the proceeds."))
    taken, surplus = allocate_in_order(proceeds, [("costs", costs), ("interest", interest_due),
                                                  ("principal", principal_due)])
    shortfall = (interest_due - taken["interest"]) + (principal_due - taken["principal"])
    return DisposalAllocation(costs=taken["costs"], interest=taken["interest"], principal=taken["principal"],
                              surplus=surplus, shortfall=shortfall)
