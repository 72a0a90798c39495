"""The factoring quote of DESIGN §5, exact to the rule: round only where the rule says so."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.utils.translation import gettext as _

from scf.money import DayCount, days_between, round_money

RATE_PLACES = Decimal("0.000001")


class InterestMode:
    ADVANCE = "advance"
    ARREARS = "arrears"


@dataclass(frozen=True)
class Quote:
    confirmed_amount: Decimal
    advance: Decimal
    tenor_days: int
    interest: Decimal
    fee: Decimal
    net_disbursement: Decimal
    all_in_rate: Decimal
    interest_mode: str
    day_count: str
    value_date: datetime.date
    due_date: datetime.date
    advance_rate: Decimal
    annual_rate: Decimal
    fee_rate: Decimal

    @property
    def interest_due_at_maturity(self) -> Decimal:
        return self.interest if self.interest_mode == InterestMode.ARREARS else Decimal("0.00")

    @property
    def rebate_at_full_payment(self) -> Decimal:
        """What the supplier gets back when the debtor pays C in full and on time."""
        return self.confirmed_amount - self.advance - self.interest_due_at_maturity


class QuoteError(ValueError):
    """Carries the field that makes a quote impossible."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def factoring_quote(*, confirmed_amount: Decimal, advance_rate: Decimal, annual_rate: Decimal, fee_rate: Decimal,
                    value_date: datetime.date, due_date: datetime.date, day_count: str = "ACT/360",
                    interest_mode: str = InterestMode.ADVANCE, max_tenor_days: int | None = None) -> Quote:
    """Return advance, tenor, interest, fee, net disbursement and all-in rate for one receivable."""
    if confirmed_amount <= 0:
        raise QuoteError("confirmed_amount", _("The confirmed amount must be greater than zero."))
    if not (Decimal("0") < advance_rate <= Decimal("1")):
        raise QuoteError("advance_rate", _("The advance rate must be more than 0 and at most 1."))
    if annual_rate < 0:
        raise QuoteError("annual_rate", _("The interest rate cannot be negative."))
    if fee_rate < 0:
        raise QuoteError("fee_rate", _("The fee rate cannot be negative."))
    if interest_mode not in (InterestMode.ADVANCE, InterestMode.ARREARS):
        raise QuoteError("interest_mode", _("Interest is either 'advance' or 'arrears'."))
    basis = DayCount(day_count).basis
    if due_date <= value_date:
        raise QuoteError("due_date", _("The due date must be at least one day after the value date."))
    tenor_days = days_between(value_date, due_date)
    if max_tenor_days is not None and tenor_days > max_tenor_days:
        raise QuoteError("due_date", _("The tenor of %(days)d days exceeds the facility's maximum of "
                                       "%(max)d days.") % {"days": tenor_days, "max": max_tenor_days})
    with localcontext() as ctx:
        ctx.prec = 50
        advance = round_money(confirmed_amount * advance_rate)
        interest = round_money(advance * annual_rate * tenor_days / basis)
        fee = round_money(confirmed_amount * fee_rate)
        net = advance - interest - fee if interest_mode == InterestMode.ADVANCE else advance - fee
        if net <= 0:
            raise QuoteError("confirmed_amount", _("Interest and fees would consume the whole advance."))
        all_in = ((interest + fee) / net * basis / tenor_days).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
    return Quote(
        confirmed_amount=confirmed_amount, advance=advance, tenor_days=tenor_days, interest=interest, fee=fee,
        net_disbursement=net, all_in_rate=all_in, interest_mode=interest_mode, day_count=str(DayCount(day_count).value),
        value_date=value_date, due_date=due_date, advance_rate=advance_rate, annual_rate=annual_rate,
        fee_rate=fee_rate,
    )
