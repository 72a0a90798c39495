"""Money, interest, amount-in-words and business-day helpers.

Everything here is pure Python on top of :mod:`decimal` (plus the maintained
``holidays`` package for the Chinese calendar), so it imports without Django
settings and can be used from models, services, templates and migrations alike.

Ground rules, applied throughout:

* Amounts are :class:`~decimal.Decimal`, never ``float``: a binary float cannot
  hold most decimal fractions (``2.675`` is really ``2.67499999...``), so a
  float that reaches money code is a bug and is rejected with ``TypeError``.
* Amounts are kept to 0.01 and rounded ``ROUND_HALF_UP`` -- but only where a
  caller asks for it.  Rates, year fractions and intermediate products are
  never rounded; interest is computed exactly and rounded once at the end.
* Day count is ACT/360 unless a contract says ACT/365.  ``days`` is the number
  of calendar days from ``start`` (inclusive) to ``end`` (exclusive).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    localcontext,
)
from types import MappingProxyType
from typing import Union

import holidays

__all__ = [
    "CENT",
    "CURRENCY_MINOR_UNITS",
    "DEFAULT_CURRENCY",
    "MAX_AMOUNT_IN_WORDS",
    "BusinessDayConvention",
    "CurrencyMismatch",
    "DayCount",
    "Money",
    "add_business_days",
    "adjust",
    "allocate_in_order",
    "days_between",
    "is_business_day",
    "next_business_day",
    "previous_business_day",
    "round_down_money",
    "round_money",
    "round_up_money",
    "simple_interest",
    "to_chinese_capital",
    "to_decimal",
    "to_english_words",
    "year_fraction",
]

CENT = Decimal("0.01")
DEFAULT_CURRENCY = "CNY"

#: ISO 4217 codes this system knows, with their minor-unit exponent (number of
#: decimal places).  Kept deliberately short: an unknown code is far more
#: likely to be a typo than a currency we really trade in.
CURRENCY_MINOR_UNITS: Mapping[str, int] = MappingProxyType(
    {
        "CNY": 2,
        "USD": 2,
        "EUR": 2,
        "HKD": 2,
        "JPY": 0,
        "GBP": 2,
        "SGD": 2,
        "AUD": 2,
        "CAD": 2,
        "CHF": 2,
        "MOP": 2,
        "KRW": 0,
    }
)

#: Largest amount :func:`to_chinese_capital` and :func:`to_english_words`
#: accept: 9,999,999,999,999.99 is the top of the 万亿 range.
MAX_AMOUNT_IN_WORDS = Decimal("9999999999999.99")

# 50 significant digits is far more than any amount x rate x days can need
# (a 16-digit principal, a 10-digit rate and a 5-digit day count make 31), so
# products computed in this context are exact; the traps turn anything that
# would silently produce NaN/Infinity into an exception.
_CONTEXT = Context(
    prec=50,
    rounding=ROUND_HALF_UP,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

DecimalLike = Union[Decimal, int, str]


# ---------------------------------------------------------------------------
# Decimal conversion and rounding
# ---------------------------------------------------------------------------


def to_decimal(value: DecimalLike) -> Decimal:
    """Convert ``value`` to a finite :class:`Decimal`.

    Accept ``Decimal``, ``int`` and numeric ``str``.  Raise ``TypeError`` for
    ``float`` (and ``bool`` or any other type) and ``ValueError`` for NaN,
    infinities and strings that are not numbers.
    """
    if isinstance(value, float):
        # Decimal(0.1) would faithfully keep the binary error
        # (0.1000000000000000055511151231257827...), so refuse instead.
        raise TypeError(
            f"float {value!r} is not accepted for money or rates: binary floats "
            "cannot represent most decimal fractions; pass a Decimal or a str "
            f"such as '{value!r}'"
        )
    if isinstance(value, bool):
        # bool is an int subclass; True as an amount is always a bug.
        raise TypeError(f"bool {value!r} is not a number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    else:
        raise TypeError(
            f"{type(value).__name__} {value!r} cannot be converted to Decimal; "
            "pass a Decimal, int or str"
        )
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a number")
    return result


def _quantize(amount: DecimalLike, quantum: Decimal, rounding: str) -> Decimal:
    """Quantize ``amount`` to ``quantum`` in the wide context (so big amounts never overflow)."""
    with localcontext(_CONTEXT):
        return to_decimal(amount).quantize(quantum, rounding=rounding)


def round_money(amount: DecimalLike) -> Decimal:
    """Round ``amount`` to 0.01 with ROUND_HALF_UP.

    Ties go away from zero for both signs: 0.005 -> 0.01, -0.005 -> -0.01.
    """
    return _quantize(amount, CENT, ROUND_HALF_UP)


def round_down_money(amount: DecimalLike) -> Decimal:
    """Truncate ``amount`` to 0.01 (ROUND_DOWN), e.g. for a maximum loan amount.

    ROUND_DOWN works on the magnitude, so a negative amount moves toward zero
    (-1.239 -> -1.23): the result's absolute value never exceeds the input's.
    """
    return _quantize(amount, CENT, ROUND_DOWN)


def round_up_money(amount: DecimalLike) -> Decimal:
    """Round ``amount`` up to 0.01 (ROUND_UP), e.g. for a margin-call cure amount.

    ROUND_UP works on the magnitude, so a negative amount moves away from zero
    (-1.231 -> -1.24): the result's absolute value is never below the input's.
    """
    return _quantize(amount, CENT, ROUND_UP)


# ---------------------------------------------------------------------------
# Allocation
# ---------------------------------------------------------------------------

_ZERO_MONEY = Decimal("0.00")


def allocate_in_order(
    amount: DecimalLike, buckets: Iterable[tuple[str, DecimalLike]]
) -> tuple[dict[str, Decimal], Decimal]:
    """Split ``amount`` over ``buckets`` in their order, each taking at most what it is owed.

    ``buckets`` is a sequence of ``(name, owed)``; a negative ``owed`` counts as
    zero (a bucket takes money, it never gives any back).  Return ``(taken,
    remainder)``: ``taken`` maps each bucket's name, in the given order, to what
    it took, and ``remainder`` is what is left once every bucket is full.  A
    bucket takes something only when every bucket before it is full, and
    ``sum(taken.values()) + remainder == amount``.  Nothing is rounded: amounts
    in cents give amounts in cents.  This is the waterfall a payment follows
    (e.g. penalty, interest, fees, principal; the remainder goes to suspense).
    """
    amount = to_decimal(amount)
    if amount < 0:
        raise ValueError(f"cannot allocate a negative amount ({amount})")
    taken: dict[str, Decimal] = {}
    left = amount
    with localcontext(_CONTEXT):
        for name, owed in buckets:
            if name in taken:
                raise ValueError(f"bucket {name!r} is named twice")
            take = min(left, max(to_decimal(owed), _ZERO_MONEY))
            taken[name] = take
            left -= take
    return taken, left


# ---------------------------------------------------------------------------
# Money
# ---------------------------------------------------------------------------


def format_rate(rate: Decimal | None) -> str | None:
    """Return a rate fraction as a percentage without rounding it away (0.065 → 6.50%, 0.092072 → 9.2072%)."""
    if rate is None:
        return None
    value = (rate * 100).normalize()
    text = f"{value:f}"
    if "." in text:
        whole, frac = text.split(".")
        frac = frac.rstrip("0")
        text = whole if not frac else f"{whole}.{frac}"
    if "." not in text or len(text.split(".")[1]) < 2:
        text = f"{Decimal(text):.2f}"
    return f"{text}%"


class CurrencyMismatch(ValueError):
    """Raised when two amounts in different currencies are combined or compared."""


_CURRENCY_RE = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class Money:
    """An amount in one ISO 4217 currency.

    The amount is kept exactly as given (no implicit rounding); call
    :meth:`rounded` to quantize it to the currency's minor unit.
    Arithmetic is only defined between amounts in the same currency.
    """

    amount: Decimal
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        # Frozen dataclass: normalising the amount needs object.__setattr__.
        object.__setattr__(self, "amount", to_decimal(self.amount))
        currency = self.currency
        if not isinstance(currency, str) or not _CURRENCY_RE.fullmatch(currency):
            raise ValueError(
                f"currency must be three uppercase letters (ISO 4217), got {currency!r}"
            )
        if currency not in CURRENCY_MINOR_UNITS:
            raise ValueError(
                f"unknown currency {currency!r}; known: {', '.join(sorted(CURRENCY_MINOR_UNITS))}"
            )

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        """Return zero in ``currency`` (handy as the start value of ``sum``)."""
        return cls(Decimal(0), currency)

    @property
    def minor_unit(self) -> int:
        """Return the currency's number of decimal places (2 for CNY, 0 for JPY)."""
        return CURRENCY_MINOR_UNITS[self.currency]

    @property
    def quantum(self) -> Decimal:
        """Return the smallest unit of the currency as a Decimal (0.01, or 1 for JPY)."""
        return Decimal(1).scaleb(-self.minor_unit)

    @property
    def is_zero(self) -> bool:
        """Return whether the amount is exactly zero (before any rounding)."""
        # A property rather than a method: `if m.is_zero:` on a method would
        # always be true, silently; calling a property fails loudly instead.
        return self.amount.is_zero()

    def rounded(self) -> Money:
        """Return this amount rounded ROUND_HALF_UP to the currency's minor unit."""
        return Money(_quantize(self.amount, self.quantum, ROUND_HALF_UP), self.currency)

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(
                f"cannot combine {self.currency} with {other.currency}"
            )

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        with localcontext(_CONTEXT):
            return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        with localcontext(_CONTEXT):
            return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: object) -> Money:
        # Only scalars: Money x Money has no meaning.  The product is left
        # unrounded on purpose; callers round once, at the end.
        if not isinstance(factor, (Decimal, int, float)):
            return NotImplemented
        scalar = to_decimal(factor)  # raises TypeError for float and bool
        with localcontext(_CONTEXT):
            return Money(self.amount * scalar, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount >= other.amount

    def __str__(self) -> str:
        """Return e.g. ``"CNY 1,409.50"`` (rounded half-up to the minor unit for display)."""
        # Quantize first: Decimal.__format__ would round half-even.
        shown = self.rounded().amount
        return f"{self.currency} {shown:,.{self.minor_unit}f}"


# ---------------------------------------------------------------------------
# Day count and interest
# ---------------------------------------------------------------------------


class DayCount(str, enum.Enum):
    """Day-count convention: actual days over a 360- or 365-day year."""

    ACT_360 = "ACT/360"
    ACT_365 = "ACT/365"

    @property
    def basis(self) -> int:
        """Return the number of days in the convention's year (360 or 365)."""
        return 360 if self is DayCount.ACT_360 else 365


def _check_date(value: object, name: str) -> date:
    # datetime is a date subclass; its time of day would make (end - start).days
    # silently floor partial days, so insist on plain dates.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a datetime.date, got {type(value).__name__} {value!r}")
    return value


def days_between(start: date, end: date) -> int:
    """Return the calendar days from ``start`` (inclusive) to ``end`` (exclusive).

    Raise ``ValueError`` if ``end`` is before ``start``.
    """
    _check_date(start, "start")
    _check_date(end, "end")
    if end < start:
        raise ValueError(f"end date {end.isoformat()} is before start date {start.isoformat()}")
    return (end - start).days


def year_fraction(
    start: date, end: date, day_count: DayCount | str = DayCount.ACT_360
) -> Decimal:
    """Return ``days_between(start, end) / basis`` as an unrounded Decimal."""
    basis = DayCount(day_count).basis
    with localcontext(_CONTEXT):
        return Decimal(days_between(start, end)) / Decimal(basis)


def simple_interest(
    principal: DecimalLike,
    annual_rate: DecimalLike,
    days: int,
    day_count: DayCount | str = DayCount.ACT_360,
) -> Decimal:
    """Return ``principal x annual_rate x days / basis`` rounded half-up to 0.01.

    The product is formed exactly and divided once; only the final result is
    rounded (rounding the daily interest first would drift by cents over a
    month).  ``annual_rate`` is a fraction: 6.5 % is ``Decimal("0.065")``.
    """
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"days must be an int, got {type(days).__name__} {days!r}")
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    p = to_decimal(principal)
    r = to_decimal(annual_rate)
    basis = DayCount(day_count).basis
    with localcontext(_CONTEXT) as ctx:
        # Trap Inexact while multiplying: the product must be exact, and if it
        # ever were not we want to know rather than round silently.
        ctx.traps[Inexact] = True
        product = p * r * days
        ctx.traps[Inexact] = False
        # basis is 360 = 2^3*3^2*5 or 365 = 5*73, so a quotient that does not
        # terminate repeats with a short period and cannot sit on an exact
        # half cent; rounding the 50-digit quotient is therefore the same as
        # rounding the exact rational value.
        quotient = product / basis
    return round_money(quotient)


# ---------------------------------------------------------------------------
# Amounts in words
# ---------------------------------------------------------------------------


def _check_amount_for_words(amount: DecimalLike, places: int) -> Decimal:
    value = to_decimal(amount)
    if value < 0:
        raise ValueError(f"amount {value} is negative; amounts in words must not be negative")
    if value > MAX_AMOUNT_IN_WORDS:
        raise ValueError(f"amount {value} exceeds the supported maximum {MAX_AMOUNT_IN_WORDS}")
    quantum = Decimal(1).scaleb(-places)
    with localcontext(_CONTEXT):
        # Compare values, not exponents: Decimal("1.000") is fine, "1.005" is not.
        if value != value.quantize(quantum):
            raise ValueError(
                f"amount {value} has more than {places} decimal places; round it first"
            )
    return value


_CN_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_CN_UNITS = ("", "拾", "佰", "仟")


def _chinese_integer(number: int) -> str:
    """Return the capital-Chinese words for ``0 < number < 10**13`` (without 元)."""
    digits = [int(c) for c in reversed(str(number))]  # digits[p] is the 10**p digit
    parts: list[str] = []
    last_nonzero: int | None = None  # position of the previous (higher) non-zero digit
    for p in range(len(digits) - 1, -1, -1):
        digit = digits[p]
        if digit:
            if last_nonzero is not None and last_nonzero > p + 1:
                # There are zeros between this digit and the previous one.
                # PBOC allows one 零 or none when the gap is only the trailing
                # zeros of the section above and this digit is a 仟 (壹拾万柒仟
                # for 107,000, PBOC's first form); everywhere else write one 零
                # for the whole run (陆仟零柒, 壹拾万零壹拾, 壹亿零柒仟).
                gap_is_section_tail = p % 4 == 3 and last_nonzero <= p + 4
                if not gap_is_section_tail:
                    parts.append("零")
            # Always write the digit before 拾, including a leading 壹拾,
            # as PBOC requires for amounts such as ¥10 (壹拾元).
            parts.append(_CN_DIGITS[digit] + _CN_UNITS[p % 4])
            last_nonzero = p
        # Section markers.  12 is the 万 of 万亿 (written 壹万亿, 壹万零壹亿).
        if p in (4, 12) and any(digits[p : p + 4]):
            parts.append("万")
        elif p == 8 and any(digits[8:]):
            parts.append("亿")
    return "".join(parts)


def to_chinese_capital(amount: DecimalLike, currency_prefix: str = "人民币") -> str:
    """Return ``amount`` written in Chinese capitals per the PBOC rules.

    Follow 《正确填写票据和结算凭证的基本规定》, taking the first form wherever
    the rules offer a choice:

    * 整 is written after 元 and after 角 when there is no 分, never after 分
      (人民币壹仟肆佰零玖元伍角整, 人民币伍分).
    * A run of zeros between non-zero digits is written as one 零
      (陆仟零柒元), except that no 零 is written when the run is only the
      trailing zeros of the 万/亿 section above and the next digit is a 仟
      (¥107,000.53 -> 壹拾万柒仟元零伍角叁分).
    * When there are yuan and the units digit of the yuan is 0, a 零 is
      written after 元 before a non-zero 角 (¥1,680.32 -> 壹仟陆佰捌拾元零叁角贰分);
      when 角 is 0 and 分 is not, a 零 is written after 元 (¥325.04 -> 叁佰贰拾伍元零肆分).
    * Below one yuan nothing is written for the yuan (伍角整, 伍分); zero is 零元整.
    * 拾 at the start of the amount is written 壹拾.

    Raise ``ValueError`` for negative amounts, amounts with non-zero digits
    beyond 0.01, and amounts above 9,999,999,999,999.99.
    """
    value = _check_amount_for_words(amount, 2)
    cents = int(value.scaleb(2))
    yuan, fraction = divmod(cents, 100)
    jiao, fen = divmod(fraction, 10)

    if cents == 0:
        return f"{currency_prefix}零元整"

    parts: list[str] = []
    if yuan:
        parts.append(_chinese_integer(yuan) + "元")
    if jiao == 0 and fen == 0:
        parts.append("整")
    else:
        if yuan and (yuan % 10 == 0 or jiao == 0):
            parts.append("零")
        if jiao:
            parts.append(_CN_DIGITS[jiao] + "角")
        parts.append(_CN_DIGITS[fen] + "分" if fen else "整")
    return currency_prefix + "".join(parts)


@dataclass(frozen=True)
class _EnglishCurrency:
    name: str  # written first, e.g. "US Dollars"
    major_unit: str | None  # written after the whole number (CNY: "Yuan"), else None
    minor_unit: str | None  # "Cents"; None when the currency has no minor unit
    minor_unit_first: bool  # "and Cents Five" (True) versus "and Fifty Fen" (False)


_ENGLISH_CURRENCIES: Mapping[str, _EnglishCurrency] = MappingProxyType(
    {
        "CNY": _EnglishCurrency("Renminbi", "Yuan", "Fen", False),
        "USD": _EnglishCurrency("US Dollars", None, "Cents", True),
        "EUR": _EnglishCurrency("Euros", None, "Cents", True),
        "HKD": _EnglishCurrency("Hong Kong Dollars", None, "Cents", True),
        "JPY": _EnglishCurrency("Japanese Yen", None, None, True),
        "GBP": _EnglishCurrency("Pounds Sterling", None, "Pence", True),
        "SGD": _EnglishCurrency("Singapore Dollars", None, "Cents", True),
        "AUD": _EnglishCurrency("Australian Dollars", None, "Cents", True),
        "CAD": _EnglishCurrency("Canadian Dollars", None, "Cents", True),
        "CHF": _EnglishCurrency("Swiss Francs", None, "Centimes", True),
        "MOP": _EnglishCurrency("Macao Patacas", None, "Avos", True),
        "KRW": _EnglishCurrency("Korean Won", None, None, True),
    }
)

_EN_ONES = (
    "Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine",
    "Ten", "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen",
    "Seventeen", "Eighteen", "Nineteen",
)  # fmt: skip
_EN_TENS = ("", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety")
_EN_SCALES = ((10**12, "Trillion"), (10**9, "Billion"), (10**6, "Million"), (10**3, "Thousand"))


def _english_below_thousand(number: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(number, 100)
    if hundreds:
        words += [_EN_ONES[hundreds], "Hundred"]
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else ""))
    elif rest:
        words.append(_EN_ONES[rest])
    return words


def _english_integer(number: int) -> str:
    """Return ``0 <= number < 10**15`` in title-case English words, without "and"."""
    if number == 0:
        return "Zero"
    words: list[str] = []
    for scale, name in _EN_SCALES:
        chunk, number = divmod(number, scale)
        if chunk:
            words += _english_below_thousand(chunk) + [name]
    words += _english_below_thousand(number)
    return " ".join(words)


def to_english_words(amount: DecimalLike, currency: str = DEFAULT_CURRENCY) -> str:
    """Return ``amount`` in English words as written on Chinese bank contracts.

    CNY: ``"Renminbi One Thousand Four Hundred Nine Yuan and Fifty Fen Only"``.
    Other currencies put the minor unit before its number, as in trade
    finance: ``"US Dollars One Hundred and Cents Five Only"``.

    Numbers use American style: "and" never appears inside a number (One
    Hundred Nine, not One Hundred and Nine), so the only "and" joins the whole
    units to the minor units and cannot be misread.  Tens are hyphenated
    (Twenty-One).  The whole part is omitted below one unit (Renminbi Fifty
    Fen Only); zero is "Renminbi Zero Yuan Only" / "US Dollars Zero Only".

    Raise ``ValueError`` for negative amounts, amounts more precise than the
    currency's minor unit, amounts above 9,999,999,999,999.99 and currencies
    without English names here.
    """
    if currency not in _ENGLISH_CURRENCIES:
        raise ValueError(f"no English currency wording for {currency!r}")
    spec = _ENGLISH_CURRENCIES[currency]
    places = CURRENCY_MINOR_UNITS[currency]
    value = _check_amount_for_words(amount, places)
    whole = int(value)  # value is non-negative, so int() truncates to the whole units
    minor = int((value - whole).scaleb(places))

    parts = [spec.name]
    if whole or not minor:
        parts.append(_english_integer(whole))
        if spec.major_unit:
            parts.append(spec.major_unit)
    if minor:
        assert spec.minor_unit is not None  # places > 0 implies a minor unit
        if whole:
            parts.append("and")
        minor_words = _english_integer(minor)
        if spec.minor_unit_first:
            parts += [spec.minor_unit, minor_words]
        else:
            parts += [minor_words, spec.minor_unit]
    parts.append("Only")
    return " ".join(parts)


# ---------------------------------------------------------------------------
# Business days (mainland China)
# ---------------------------------------------------------------------------


class BusinessDayConvention(str, enum.Enum):
    """How to move a date that is not a business day."""

    FOLLOWING = "FOLLOWING"
    MODIFIED_FOLLOWING = "MODIFIED_FOLLOWING"
    PRECEDING = "PRECEDING"
    UNADJUSTED = "UNADJUSTED"


@functools.lru_cache(maxsize=64)
def _china_calendar(year: int) -> holidays.HolidayBase:
    """Return the cached mainland-China public holidays for ``year``."""
    # Building a holidays object computes lunar dates and 调休 tables; one per
    # year is enough and the objects are only ever read.
    return holidays.China(years=year)


def is_business_day(d: date) -> bool:
    """Return whether ``d`` is a working day in mainland China.

    A weekday is a business day unless it is a public holiday or a 调休 day
    off; a Saturday or Sunday is one only if it is an official make-up
    working day (调休上班).  Make-up days are published by the State Council
    each year, so the ``holidays`` package only knows them for years it has
    data for; later years show just the statutory holidays.
    """
    _check_date(d, "d")
    # is_working_day consults weekend_workdays for weekends and the holiday
    # list for weekdays, which is exactly the rule above.
    return _china_calendar(d.year).is_working_day(d)


def next_business_day(d: date) -> date:
    """Return the first business day strictly after ``d``."""
    _check_date(d, "d")
    candidate = d + timedelta(days=1)
    while not is_business_day(candidate):
        candidate += timedelta(days=1)
    return candidate


def previous_business_day(d: date) -> date:
    """Return the last business day strictly before ``d``."""
    _check_date(d, "d")
    candidate = d - timedelta(days=1)
    while not is_business_day(candidate):
        candidate -= timedelta(days=1)
    return candidate


def adjust(d: date, convention: BusinessDayConvention | str) -> date:
    """Return ``d`` moved to a business day by ``convention``.

    A business day is returned unchanged under every convention.
    MODIFIED_FOLLOWING rolls forward unless that leaves the month, then back.
    """
    convention = BusinessDayConvention(convention)
    _check_date(d, "d")
    if convention is BusinessDayConvention.UNADJUSTED or is_business_day(d):
        return d
    if convention is BusinessDayConvention.PRECEDING:
        return previous_business_day(d)
    following = next_business_day(d)
    if convention is BusinessDayConvention.MODIFIED_FOLLOWING and following.month != d.month:
        return previous_business_day(d)
    return following


def add_business_days(d: date, n: int) -> date:
    """Return the ``n``-th business day after ``d`` (before it if ``n`` is negative).

    Count only days strictly after (or before) ``d``, so whether ``d`` itself
    is a business day does not matter: from Friday 2026-02-13, one business
    day is Saturday 2026-02-14 (a make-up day) and two is 2026-02-24.
    ``n == 0`` returns ``d`` unchanged.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {type(n).__name__} {n!r}")
    _check_date(d, "d")
    step = next_business_day if n > 0 else previous_business_day
    for _ in range(abs(n)):
        d = step(d)
    return d
