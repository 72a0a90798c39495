"""The confirming-warehouse (保兑仓) arithmetic of DESIGN §5, exact to the rule.

Pure functions on Decimal; the pages, the services and the quote API call these and nothing else.
Round only where the rule says so:

* order amount P: each line round(quantity × unit price) half up, then summed;
* initial margin M0 = round(P × m), half up;
* mode 2's allowance round_down((M − M0) / (1 − m)) to 0.01, computed in a wide context so a
  quotient that does not terminate is never rounded up past what the margin paid for.

Names follow DESIGN: P order amount, m margin ratio, M cumulative margin paid (M0 ≤ M ≤ P),
D value already released or requested.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext

from django.utils.translation import gettext as _

from scf.money import round_down_money, round_money

ZERO = Decimal("0")
ZERO_MONEY = Decimal("0.00")
ONE = Decimal("1")
DEFAULT_MARGIN_RATIO = Decimal("0.30")
DEFAULT_REFUND_NOTICE_DAYS = 5

_WIDE_PREC = 60


class ReleaseMode:
    """How goods are released against margin (DESIGN §5)."""

    FULL = 1  # 首笔可全额提货: every margin payment, the initial one included, releases its value
    PROPORTIONAL = 2  # 首笔后期按比例: margin beyond the initial one releases at 1 / (1 − m)
    INITIAL_MARGIN_LAST = 3  # 首笔最后提货: the initial margin's goods come out only once all is paid

    ALL = (FULL, PROPORTIONAL, INITIAL_MARGIN_LAST)


class ConfirmingCalculationError(ValueError):
    """Carries the field that makes a calculation impossible."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- validation ------------------------------------------------------------------------------

def validate_margin_ratio(ratio: Decimal, *, field: str = "margin_ratio") -> None:
    """Refuse a margin ratio outside 0 < m < 1 (m = 1 is a cash purchase; mode 2 divides by 1 − m)."""
    if not (ZERO < ratio < ONE):
        raise ConfirmingCalculationError(field, _("The margin ratio must be more than 0 and less than 1."))


def validate_release_mode(mode: int, *, field: str = "release_mode") -> None:
    if mode not in ReleaseMode.ALL:
        raise ConfirmingCalculationError(field, _("The release mode must be 1, 2 or 3."))


def validate_order_amount(amount: Decimal, *, field: str = "order_amount") -> None:
    if amount <= ZERO:
        raise ConfirmingCalculationError(field, _("The order amount must be more than zero."))
    if amount != round_money(amount):
        raise ConfirmingCalculationError(field, _("The order amount is kept to 0.01."))


# --- the rules ---------------------------------------------------------------------------------

def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """Return one order line's amount: round(quantity × unit price), half up."""
    if quantity <= ZERO:
        raise ConfirmingCalculationError("quantity", _("The quantity must be more than zero."))
    if unit_price <= ZERO:
        raise ConfirmingCalculationError("unit_price", _("The unit price must be more than zero."))
    with localcontext() as context:
        context.prec = _WIDE_PREC
        return round_money(quantity * unit_price)


def order_amount(lines: Iterable[tuple[Decimal, Decimal]]) -> Decimal:
    """Return P, the sum of the lines' amounts, each (quantity, unit price) rounded half up first."""
    amounts = [line_amount(quantity, price) for quantity, price in lines]
    if not amounts:
        raise ConfirmingCalculationError("lines", _("An order has at least one line of goods."))
    return sum(amounts, ZERO_MONEY)


def initial_margin(order: Decimal, margin_ratio: Decimal) -> Decimal:
    """Return M0 = round(P × m), half up: what the distributor pays before the order is funded."""
    with localcontext() as context:
        context.prec = _WIDE_PREC
        return round_money(order * margin_ratio)


def exposure(order: Decimal, margin_paid: Decimal) -> Decimal:
    """Return the exposure P − M: what the margin has not yet paid for."""
    return max(order - margin_paid, ZERO_MONEY)


def allowance(mode: int, *, order: Decimal, margin_ratio: Decimal, margin_paid: Decimal) -> Decimal:
    """Return the value the mode lets out in all, released or requested, for the margin paid so far.

    1 full: M; 2 proportional: round_down((M − M0) / (1 − m)); 3 initial-margin-last: M − M0 while M < P,
    and P once M = P. Never below 0, never above P.

    Once the margin pays the whole order every mode lets all of it out: mode 2's quotient, taken literally,
    can miss P by a cent or pass it by a few (M0 is rounded before it is divided by 1 − m), and goods paid
    for in full belong to the distributor.
    """
    if mode not in ReleaseMode.ALL:
        raise ConfirmingCalculationError("release_mode", _("The release mode must be 1, 2 or 3."))
    if margin_paid >= order:
        return order
    m0 = initial_margin(order, margin_ratio)
    if mode == ReleaseMode.FULL:
        allowed = margin_paid
    elif mode == ReleaseMode.PROPORTIONAL:
        with localcontext() as context:
            context.prec = _WIDE_PREC
            allowed = round_down_money((margin_paid - m0) / (ONE - margin_ratio))
    else:  # initial margin last: M − M0 until the order is paid in full
        allowed = margin_paid - m0
    return min(max(allowed, ZERO_MONEY), order)


def releasable_value(mode: int, *, order: Decimal, margin_ratio: Decimal, margin_paid: Decimal,
                     released: Decimal) -> Decimal:
    """Return what may be released now: the mode's allowance less D (released or requested), never below 0."""
    allowed = allowance(mode, order=order, margin_ratio=margin_ratio, margin_paid=margin_paid)
    return max(allowed - released, ZERO_MONEY)


def refund_due(order: Decimal, margin_paid: Decimal) -> Decimal:
    """Return S = P − M: what the core enterprise refunds at maturity when the margin falls short."""
    return exposure(order, margin_paid)


# --- the quote -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConfirmingQuote:
    initial_margin: Decimal
    lender_funding: Decimal
    exposure: Decimal
    releasable_value: Decimal
    refund_due: Decimal


def confirming_quote(*, order_amount: Decimal, margin_ratio: Decimal, release_mode: int = ReleaseMode.FULL,
                     margin_paid: Decimal | None = None, released_value: Decimal = ZERO) -> ConfirmingQuote:
    """Return the figures of one order: initial margin, the lender's part, exposure, releasable value, refund due.

    `margin_paid` (M) defaults to the initial margin; it is never below it (the order is funded only once
    the initial margin is paid) nor above the order amount. `released_value` (D) may exceed the mode's
    allowance only by a mistake of the caller: the releasable value is then 0, never negative.
    """
    validate_order_amount(order_amount)
    validate_margin_ratio(margin_ratio)
    validate_release_mode(release_mode)
    m0 = initial_margin(order_amount, margin_ratio)
    paid = m0 if margin_paid is None else margin_paid
    if paid < m0:
        raise ConfirmingCalculationError(
            "margin_paid", _("The margin paid cannot be below the initial margin of %(margin)s: an order is funded "
                             "only once the initial margin is paid.") % {"margin": f"{m0:,.2f}"})
    if paid > order_amount:
        raise ConfirmingCalculationError("margin_paid", _("The margin paid cannot exceed the order amount."))
    if released_value < ZERO:
        raise ConfirmingCalculationError("released_value", _("The value released cannot be negative."))
    if released_value > order_amount:
        raise ConfirmingCalculationError("released_value", _("The value released cannot exceed the order amount."))
    return ConfirmingQuote(
        initial_margin=m0,
        lender_funding=order_amount - m0,
        exposure=exposure(order_amount, paid),
        releasable_value=releasable_value(release_mode, order=order_amount, margin_ratio=margin_ratio,
                                          margin_paid=paid, released=released_value),
        refund_due=refund_due(order_amount, paid),
    )
