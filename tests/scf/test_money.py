"""Tests for scf.money.

Expected values are worked out by hand (the arithmetic is in the comments), or
taken from the PBOC rules 《正确填写票据和结算凭证的基本规定》 and the holiday
notices of the State Council -- never copied from the code's own output.
No database is needed.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scf.money import (
    CENT,
    DEFAULT_CURRENCY,
    MAX_AMOUNT_IN_WORDS,
    BusinessDayConvention,
    CurrencyMismatch,
    DayCount,
    Money,
    add_business_days,
    adjust,
    days_between,
    is_business_day,
    next_business_day,
    previous_business_day,
    round_down_money,
    round_money,
    round_up_money,
    simple_interest,
    to_chinese_capital,
    to_decimal,
    to_english_words,
    year_fraction,
)

# ---------------------------------------------------------------------------
# to_decimal
# ---------------------------------------------------------------------------


def test_constants():
    assert CENT == D("0.01")
    assert DEFAULT_CURRENCY == "CNY"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("1409.50"), D("1409.50")),
        (1409, D("1409")),
        ("1409.50", D("1409.50")),
        ("-0.01", D("-0.01")),
        ("  12.5 ", D("12.5")),
    ],
)
def test_to_decimal_accepts_decimal_int_and_str(value, expected):
    result = to_decimal(value)
    assert isinstance(result, D)
    assert result == expected


def test_to_decimal_keeps_the_exponent_of_strings():
    # "1409.50" must not lose its trailing zero: it is the written amount.
    assert str(to_decimal("1409.50")) == "1409.50"


@pytest.mark.parametrize("value", [0.1, 2.675, 1.0, float("nan")])
def test_to_decimal_rejects_float(value):
    with pytest.raises(TypeError, match="float"):
        to_decimal(value)


@pytest.mark.parametrize("value", [None, True, [1], b"1"])
def test_to_decimal_rejects_other_types(value):
    with pytest.raises(TypeError):
        to_decimal(value)


@pytest.mark.parametrize(
    "value",
    ["abc", "", "1,409.50", "12元", "NaN", "nan", "Infinity", "-inf", D("NaN"), D("sNaN"), D("-Infinity")],
)
def test_to_decimal_rejects_non_numbers(value):
    with pytest.raises(ValueError, match="is not a number"):
        to_decimal(value)


# ---------------------------------------------------------------------------
# Rounding
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("0.005"), D("0.01")),  # a tie rounds up (banker's rounding would give 0.00)
        (D("0.015"), D("0.02")),
        (D("0.025"), D("0.03")),  # half-even would give 0.02
        (D("2.675"), D("2.68")),  # the float 2.675 is 2.67499999..., Decimal is exact
        (D("1.0049"), D("1.00")),  # 1.0049 is below the 1.005 tie
        (D("0.004999"), D("0.00")),
        (D("1.995"), D("2.00")),  # carries into the units
        (D("-0.005"), D("-0.01")),  # ties go away from zero for negatives too
        (D("-2.675"), D("-2.68")),
        (D("1409.5"), D("1409.50")),
        (D("7"), D("7.00")),
        ("2.675", D("2.68")),
        (3, D("3.00")),
    ],
)
def test_round_money_half_up(value, expected):
    result = round_money(value)
    assert result == expected
    assert result.as_tuple().exponent == -2


def test_round_money_rejects_float():
    with pytest.raises(TypeError):
        round_money(2.675)


@pytest.mark.parametrize(
    ("value", "down", "up"),
    [
        (D("1.239"), D("1.23"), D("1.24")),
        (D("1.231"), D("1.23"), D("1.24")),
        (D("1.230"), D("1.23"), D("1.23")),  # already on the cent: unchanged both ways
        (D("0.001"), D("0.00"), D("0.01")),
        (D("999999.999"), D("999999.99"), D("1000000.00")),
        # Negative: both work on the magnitude (ROUND_DOWN toward zero,
        # ROUND_UP away from zero).
        (D("-1.239"), D("-1.23"), D("-1.24")),
        (D("-1.231"), D("-1.23"), D("-1.24")),
    ],
)
def test_round_down_and_up(value, down, up):
    assert round_down_money(value) == down
    assert round_up_money(value) == up


def test_max_loan_is_rounded_down_and_cure_rounded_up():
    # Max loan = 1,234,567.89 x 70% = 864,197.523 -> rounded down 864,197.52
    # (half-up would give the same here, so also check a .xx5 case below).
    assert round_down_money(D("1234567.89") * D("0.70")) == D("864197.52")
    # 100.01 x 0.55 = 55.0055 -> down 55.00 (half-up would be 55.01).
    assert round_down_money(D("100.01") * D("0.55")) == D("55.00")
    # Cure 33,333.331 -> up 33,333.34 (half-up would give 33,333.33).
    assert round_up_money(D("33333.331")) == D("33333.34")


_ANY_AMOUNT = st.decimals(
    min_value=D("-1000000000000"),
    max_value=D("1000000000000"),
    allow_nan=False,
    allow_infinity=False,
    places=6,
)


@given(_ANY_AMOUNT)
def test_round_money_is_idempotent_and_within_half_a_cent(value):
    once = round_money(value)
    assert round_money(once) == once
    assert abs(once - value) <= D("0.005")
    assert once.as_tuple().exponent == -2


@given(_ANY_AMOUNT)
def test_round_down_and_up_bracket_the_magnitude(value):
    down, up = round_down_money(value), round_up_money(value)
    assert abs(down) <= abs(value) <= abs(up)
    assert abs(up - down) <= CENT
    assert round_down_money(down) == down and round_up_money(up) == up


# ---------------------------------------------------------------------------
# Money
# ---------------------------------------------------------------------------


def test_money_defaults_to_cny_and_normalises_amount():
    m = Money(D("1409.50"))
    assert m.currency == "CNY"
    assert m.amount == D("1409.50")
    assert Money("12.30").amount == D("12.30")
    assert isinstance(Money(5).amount, D)


def test_money_rejects_float_amount():
    with pytest.raises(TypeError):
        Money(0.1)


@pytest.mark.parametrize("currency", ["cny", "CN", "CNYY", "RMB", "XYZ", "", "C1Y", None])
def test_money_rejects_bad_currency(currency):
    with pytest.raises(ValueError):
        Money(D("1"), currency)


@pytest.mark.parametrize("currency", ["CNY", "USD", "EUR", "HKD", "JPY", "GBP", "SGD"])
def test_money_accepts_known_currencies(currency):
    assert Money(D("1"), currency).currency == currency


def test_money_minor_units():
    assert Money(D("1"), "CNY").minor_unit == 2
    assert Money(D("1"), "JPY").minor_unit == 0
    assert Money(D("1"), "USD").quantum == D("0.01")
    assert Money(D("1"), "JPY").quantum == D("1")


def test_money_is_frozen():
    m = Money(D("1"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.amount = D("2")


def test_money_add_and_subtract():
    a = Money(D("1000.10"))
    b = Money(D("409.40"))
    assert a + b == Money(D("1409.50"))
    assert a - b == Money(D("590.70"))
    assert b - a == Money(D("-590.70"))


def test_money_sum_with_zero_start():
    total = sum([Money(D("0.10")), Money(D("0.20")), Money(D("0.30"))], Money.zero())
    assert total == Money(D("0.60"))  # with floats this would be 0.6000000000000001


def test_money_currency_mismatch():
    cny, usd = Money(D("1")), Money(D("1"), "USD")
    with pytest.raises(CurrencyMismatch):
        cny + usd
    with pytest.raises(CurrencyMismatch):
        cny - usd
    with pytest.raises(CurrencyMismatch):
        cny < usd
    with pytest.raises(ValueError):  # CurrencyMismatch is a ValueError
        cny >= usd
    assert cny != usd  # equality simply says "not the same money"


def test_money_add_plain_number_is_type_error():
    with pytest.raises(TypeError):
        Money(D("1")) + D("1")
    with pytest.raises(TypeError):
        Money(D("1")) + 1


def test_money_multiplication_is_unrounded():
    # 10.00 x 0.0005 = 0.005 exactly -- kept, not rounded to 0.01.
    product = Money(D("10.00")) * D("0.0005")
    assert product.amount == D("0.005")
    assert product.rounded() == Money(D("0.01"))
    # 1,000,000.00 x 0.065 = 65,000.00; int factor and reflected form too.
    assert Money(D("1000000.00")) * D("0.065") == Money(D("65000"))
    assert 3 * Money(D("1.11")) == Money(D("3.33"))
    assert Money(D("1.11")) * 3 == Money(D("3.33"))


def test_money_multiplication_rejects_float_and_money():
    with pytest.raises(TypeError, match="float"):
        Money(D("1")) * 1.5
    with pytest.raises(TypeError):
        Money(D("1")) * Money(D("2"))


def test_money_comparison():
    assert Money(D("1.00")) < Money(D("1.01"))
    assert Money(D("1.01")) > Money(D("1.00"))
    assert Money(D("1.00")) <= Money(D("1"))
    assert Money(D("1.00")) >= Money(D("1"))
    assert Money(D("1.0")) == Money(D("1.00"))
    assert hash(Money(D("1.0"))) == hash(Money(D("1.00")))
    assert max(Money(D("3")), Money(D("7")), Money(D("5"))) == Money(D("7"))


def test_money_negation_abs_and_is_zero():
    assert -Money(D("5.25")) == Money(D("-5.25"))
    assert abs(Money(D("-5.25"))) == Money(D("5.25"))
    assert Money(D("0.00")).is_zero
    assert Money(D("-0")).is_zero
    assert not Money(D("0.001")).is_zero  # exact zero, not "rounds to zero"
    assert Money.zero("USD") == Money(D("0"), "USD")


def test_money_rounded_per_currency():
    assert Money(D("2.675")).rounded() == Money(D("2.68"))
    assert Money(D("2.675")).rounded().amount.as_tuple().exponent == -2
    assert Money(D("1000.5"), "JPY").rounded() == Money(D("1001"), "JPY")
    assert Money(D("1000.4"), "JPY").rounded() == Money(D("1000"), "JPY")


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(D("1409.5")), "CNY 1,409.50"),
        (Money(D("1409.50")), "CNY 1,409.50"),
        (Money(D("0")), "CNY 0.00"),
        (Money(D("1234567.005")), "CNY 1,234,567.01"),  # half-up for display
        (Money(D("-1409.50")), "CNY -1,409.50"),
        (Money(D("1000"), "JPY"), "JPY 1,000"),
        (Money(D("99.9"), "USD"), "USD 99.90"),
    ],
)
def test_money_str(money, text):
    assert str(money) == text


# ---------------------------------------------------------------------------
# Day count
# ---------------------------------------------------------------------------


def test_day_count_enum():
    assert DayCount.ACT_360.value == "ACT/360"
    assert DayCount.ACT_365.value == "ACT/365"
    assert DayCount.ACT_360.basis == 360
    assert DayCount.ACT_365.basis == 365
    assert DayCount("ACT/365") is DayCount.ACT_365
    assert DayCount.ACT_360 == "ACT/360"  # str enum: stores cleanly in a CharField


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (date(2026, 1, 1), date(2026, 1, 1), 0),  # same day: end exclusive
        (date(2026, 1, 1), date(2026, 1, 2), 1),
        (date(2026, 1, 1), date(2026, 4, 1), 90),  # 31 + 28 + 31
        (date(2027, 2, 28), date(2027, 3, 1), 1),  # 2027 is not a leap year
        (date(2028, 2, 28), date(2028, 3, 1), 2),  # 2028-02-29 exists
        (date(2028, 1, 1), date(2029, 1, 1), 366),
        (date(2026, 1, 1), date(2027, 1, 1), 365),
        (date(2026, 12, 31), date(2027, 1, 1), 1),
    ],
)
def test_days_between(start, end, days):
    assert days_between(start, end) == days


def test_days_between_end_before_start_names_both_dates():
    with pytest.raises(ValueError) as excinfo:
        days_between(date(2026, 3, 2), date(2026, 3, 1))
    assert "2026-03-01" in str(excinfo.value)
    assert "2026-03-02" in str(excinfo.value)


def test_days_between_rejects_datetime():
    with pytest.raises(TypeError):
        days_between(datetime(2026, 1, 1, 23, 0), datetime(2026, 1, 2, 1, 0))


def test_year_fraction():
    # 90 / 360 = 0.25 exactly; 90 / 365 = 18/73 = 0.24657534246575342465...
    assert year_fraction(date(2026, 1, 1), date(2026, 4, 1)) == D("0.25")
    assert year_fraction(date(2026, 1, 1), date(2026, 4, 1), DayCount.ACT_360) == D("0.25")
    f365 = year_fraction(date(2026, 1, 1), date(2026, 4, 1), DayCount.ACT_365)
    assert f365.quantize(D("1E-20")) == D("0.24657534246575342466")
    # Unrounded: far more than 2 (or 8) places are kept.
    assert -f365.as_tuple().exponent > 20
    # A leap year under ACT/365 is more than one year: 366/365.
    leap = year_fraction(date(2028, 1, 1), date(2029, 1, 1), "ACT/365")
    assert leap > 1
    assert (leap * 365).quantize(D("1E-20")) == D(366)


def test_year_fraction_end_before_start():
    with pytest.raises(ValueError):
        year_fraction(date(2026, 1, 2), date(2026, 1, 1))


# ---------------------------------------------------------------------------
# Simple interest
# ---------------------------------------------------------------------------


def test_interest_quarter_act_360():
    # 1,000,000.00 x 0.0650 = 65,000.00; x 90 = 5,850,000.00; / 360 = 16,250.00
    assert simple_interest(D("1000000.00"), D("0.0650"), 90) == D("16250.00")


def test_interest_act_365_with_odd_principal():
    # 123,456.78 x 0.0585 = 6,172.839 (x 0.05) + 1,049.38263 (x 0.0085) = 7,222.22163
    # 7,222.22163 x 73 = 505,555.5141 (x 70) + 21,666.66489 (x 3) = 527,222.17899
    # 527,222.17899 / 365 = 1,444.444326... (73/365 is exactly 0.2: 7,222.22163 x 0.2)
    # -> 1,444.44
    assert simple_interest(D("123456.78"), D("0.0585"), 73, DayCount.ACT_365) == D("1444.44")


def test_interest_never_rounds_the_daily_amount():
    # 1,000,000 x 0.065 x 31 = 2,015,000 ; / 360 = 5,597.2222... -> 5,597.22
    # Rounding the daily interest first would give 180.56 x 31 = 5,597.36.
    assert simple_interest(D("1000000"), D("0.065"), 31) == D("5597.22")
    assert simple_interest(D("1000000"), D("0.065"), 31, DayCount.ACT_360) == D("5597.22")


def test_interest_act_360_versus_act_365():
    # 1,000,000 x 0.0365 x 30 = 1,095,000
    # ACT/365: 1,095,000 / 365 = 3,000.00
    # ACT/360: 1,095,000 / 360 = 3,041.666... -> 3,041.67
    assert simple_interest(D("1000000"), D("0.0365"), 30, DayCount.ACT_365) == D("3000.00")
    assert simple_interest(D("1000000"), D("0.0365"), 30, DayCount.ACT_360) == D("3041.67")
    assert simple_interest(D("1000000"), D("0.0365"), 30, "ACT/365") == D("3000.00")


def test_interest_half_cent_tie_rounds_up():
    # 100 x 0.018 x 1 / 360 = 1.8 / 360 = 0.005 exactly -> 0.01 (half-even would give 0.00)
    assert simple_interest(D("100"), D("0.018"), 1) == D("0.01")
    # 1 x 0.0179 x 1 / 360 = 0.0000497... -> 0.00
    assert simple_interest(D("1"), D("0.0179"), 1) == D("0.00")


def test_interest_over_leap_day():
    # 2028-02-28 -> 2028-03-01 is 2 days: 3,600,000 x 0.05 x 2 / 360 = 1,000.00
    days = days_between(date(2028, 2, 28), date(2028, 3, 1))
    assert simple_interest(D("3600000"), D("0.05"), days) == D("1000.00")


def test_interest_with_many_rate_digits_is_exact():
    # Too many digits to do by hand, so use an independent oracle: the exact
    # rational value P x r x d / 360 (fractions.Fraction, no rounding at all),
    # rounded half-up to cents with integer arithmetic.
    from fractions import Fraction

    p, r, d = D("987654321.98"), D("0.0437512345"), 17
    exact = Fraction(p) * Fraction(r) * d / 360
    cents = exact * 100
    expected = D(int(cents + Fraction(1, 2))) / 100  # half-up for a positive value
    assert simple_interest(p, r, d) == expected


def test_interest_zero_days_and_validation():
    assert simple_interest(D("1000"), D("0.05"), 0) == D("0.00")
    with pytest.raises(ValueError):
        simple_interest(D("1000"), D("0.05"), -1)
    with pytest.raises(TypeError):
        simple_interest(1000.0, D("0.05"), 30)
    with pytest.raises(TypeError):
        simple_interest(D("1000"), 0.05, 30)
    with pytest.raises(TypeError):
        simple_interest(D("1000"), D("0.05"), 30.0)


# ---------------------------------------------------------------------------
# Chinese capitals
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        # The spec's own example: 整 after 角 when there is no 分.
        ("1409.50", "人民币壹仟肆佰零玖元伍角整"),
        ("1000", "人民币壹仟元整"),
        ("1000.00", "人民币壹仟元整"),
        ("1409.53", "人民币壹仟肆佰零玖元伍角叁分"),
        # PBOC (2)(1): a zero in the middle is written 零.
        ("1409.00", "人民币壹仟肆佰零玖元整"),
        # PBOC (2)(2): several zeros in the middle, one 零.
        ("6007.14", "人民币陆仟零柒元壹角肆分"),
        # PBOC (2)(3), first forms: 零 after 元 when the yuan end in 0 and 角 is not 0;
        # no 零 between 万 and a non-zero 仟.
        ("1680.32", "人民币壹仟陆佰捌拾元零叁角贰分"),
        ("107000.53", "人民币壹拾万柒仟元零伍角叁分"),
        # PBOC (2)(4): 角 is 0 and 分 is not: 零 after 元.
        ("16409.02", "人民币壹万陆仟肆佰零玖元零贰分"),
        ("325.04", "人民币叁佰贰拾伍元零肆分"),
        # Under one yuan.
        ("0.50", "人民币伍角整"),
        ("0.05", "人民币伍分"),
        ("0.55", "人民币伍角伍分"),
        ("0.10", "人民币壹角整"),
        ("0.01", "人民币壹分"),
        ("0.00", "人民币零元整"),
        ("0", "人民币零元整"),
        # 壹拾 at the start.
        ("10", "人民币壹拾元整"),
        ("15.00", "人民币壹拾伍元整"),
        ("110000", "人民币壹拾壹万元整"),
        ("100000", "人民币壹拾万元整"),
        ("100000000", "人民币壹亿元整"),
        ("1000000001", "人民币壹拾亿零壹元整"),
        ("10010000", "人民币壹仟零壹万元整"),
        ("120000000.00", "人民币壹亿贰仟万元整"),
        ("100010.00", "人民币壹拾万零壹拾元整"),
        # More zero cases.
        ("1", "人民币壹元整"),
        ("1.000", "人民币壹元整"),  # extra zero places are fine; extra digits are not
        ("10.01", "人民币壹拾元零壹分"),
        ("10.10", "人民币壹拾元零壹角整"),
        ("1680.02", "人民币壹仟陆佰捌拾元零贰分"),  # one 零 for 元 and 角 both zero
        ("1010.10", "人民币壹仟零壹拾元零壹角整"),
        ("100000.50", "人民币壹拾万元零伍角整"),
        ("101", "人民币壹佰零壹元整"),
        ("1001", "人民币壹仟零壹元整"),
        ("10001", "人民币壹万零壹元整"),
        ("10100", "人民币壹万零壹佰元整"),
        ("11000", "人民币壹万壹仟元整"),
        ("1001000", "人民币壹佰万壹仟元整"),  # same first-form rule as 107,000
        ("10007000", "人民币壹仟万柒仟元整"),
        ("100007000", "人民币壹亿零柒仟元整"),  # a whole empty 万 section: write 零
        ("100100000", "人民币壹亿零壹拾万元整"),
        ("1020000000", "人民币壹拾亿贰仟万元整"),
        ("1000000000000", "人民币壹万亿元整"),
        ("1000100000000", "人民币壹万零壹亿元整"),
        ("1000000000001.01", "人民币壹万亿零壹元零壹分"),
        ("1200000000000", "人民币壹万贰仟亿元整"),
        ("1234567890123.45", "人民币壹万贰仟叁佰肆拾伍亿陆仟柒佰捌拾玖万零壹佰贰拾叁元肆角伍分"),
        (
            "9999999999999.99",
            "人民币玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
        ),
    ],
)
def test_to_chinese_capital(amount, expected):
    assert to_chinese_capital(D(amount)) == expected


def test_to_chinese_capital_without_prefix():
    assert to_chinese_capital(D("1409.50"), currency_prefix="") == "壹仟肆佰零玖元伍角整"
    assert to_chinese_capital(D("0"), currency_prefix="") == "零元整"


def test_to_chinese_capital_accepts_int_and_str():
    assert to_chinese_capital(10) == "人民币壹拾元整"
    assert to_chinese_capital("0.05") == "人民币伍分"


@pytest.mark.parametrize(
    ("amount", "exception"),
    [
        (D("-0.01"), ValueError),
        (D("-1409.50"), ValueError),
        (D("1.005"), ValueError),
        (D("0.001"), ValueError),
        (D("10000000000000"), ValueError),
        (D("9999999999999.995"), ValueError),
        (D("NaN"), ValueError),
        (1409.5, TypeError),
    ],
)
def test_to_chinese_capital_rejects(amount, exception):
    with pytest.raises(exception):
        to_chinese_capital(amount)


_CN_DIGIT_VALUES = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}


def _parse_chinese_capital(text: str) -> D:
    """Independent reader for the capitals, to check the value round-trips."""
    assert text.startswith("人民币")
    text = text[len("人民币") :]
    total = section = number = 0
    fraction = D(0)
    for ch in text:
        if ch in _CN_DIGIT_VALUES:
            number = _CN_DIGIT_VALUES[ch]
        elif ch in "拾佰仟":
            section += number * {"拾": 10, "佰": 100, "仟": 1000}[ch]
            number = 0
        elif ch == "万":
            total += (section + number) * 10**4
            section = number = 0
        elif ch == "亿":
            total = (total + section + number) * 10**8
            section = number = 0
        elif ch == "元":
            total += section + number
            section = number = 0
        elif ch == "角":
            fraction += D(number) / 10
            number = 0
        elif ch == "分":
            fraction += D(number) / 100
            number = 0
        elif ch == "整":
            pass
        else:  # pragma: no cover - would be a bug in the writer
            raise AssertionError(f"unexpected character {ch!r} in {text!r}")
    return D(total) + fraction


_WORD_AMOUNTS = st.decimals(
    min_value=D("0"), max_value=MAX_AMOUNT_IN_WORDS, places=2, allow_nan=False, allow_infinity=False
)
# Small and sparse amounts exercise the zero rules far more than uniform ones.
_SPARSE_AMOUNTS = st.lists(
    st.sampled_from([0, 0, 0, 0, 1, 5, 9]), min_size=3, max_size=15
).map(lambda ds: D("".join(map(str, ds))).scaleb(-2))


@given(st.one_of(_WORD_AMOUNTS, _SPARSE_AMOUNTS))
def test_chinese_capital_properties(amount):
    text = to_chinese_capital(amount)
    body = text.removeprefix("人民币")
    assert "零零" not in body
    assert not body.startswith("零") or body == "零元整"
    assert body.endswith("整") or body.endswith("分")
    assert not body.endswith("分整")
    # 零 only ever stands in front of a non-zero digit (never 零万, 零元, 零角...).
    for i, ch in enumerate(body):
        if ch == "零" and body != "零元整":
            assert body[i + 1] in "壹贰叁肆伍陆柒捌玖", body
    assert _parse_chinese_capital(text) == amount


# ---------------------------------------------------------------------------
# English words
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("1409.50", "Renminbi One Thousand Four Hundred Nine Yuan and Fifty Fen Only"),
        ("0", "Renminbi Zero Yuan Only"),
        ("0.00", "Renminbi Zero Yuan Only"),
        ("1000", "Renminbi One Thousand Yuan Only"),
        ("1000.00", "Renminbi One Thousand Yuan Only"),
        ("0.50", "Renminbi Fifty Fen Only"),
        ("0.05", "Renminbi Five Fen Only"),
        ("0.01", "Renminbi One Fen Only"),
        ("1", "Renminbi One Yuan Only"),
        ("10", "Renminbi Ten Yuan Only"),
        ("13", "Renminbi Thirteen Yuan Only"),
        ("19.19", "Renminbi Nineteen Yuan and Nineteen Fen Only"),
        ("20", "Renminbi Twenty Yuan Only"),
        ("21", "Renminbi Twenty-One Yuan Only"),
        ("99.99", "Renminbi Ninety-Nine Yuan and Ninety-Nine Fen Only"),
        ("100", "Renminbi One Hundred Yuan Only"),
        ("115", "Renminbi One Hundred Fifteen Yuan Only"),
        ("1680.32", "Renminbi One Thousand Six Hundred Eighty Yuan and Thirty-Two Fen Only"),
        ("100000", "Renminbi One Hundred Thousand Yuan Only"),
        ("107000.53", "Renminbi One Hundred Seven Thousand Yuan and Fifty-Three Fen Only"),
        ("1000001", "Renminbi One Million One Yuan Only"),
        ("2000000000", "Renminbi Two Billion Yuan Only"),
        ("1000000000000", "Renminbi One Trillion Yuan Only"),
        (
            "1234567890123.45",
            "Renminbi One Trillion Two Hundred Thirty-Four Billion Five Hundred Sixty-Seven"
            " Million Eight Hundred Ninety Thousand One Hundred Twenty-Three Yuan and"
            " Forty-Five Fen Only",
        ),
        (
            "9999999999999.99",
            "Renminbi Nine Trillion Nine Hundred Ninety-Nine Billion Nine Hundred Ninety-Nine"
            " Million Nine Hundred Ninety-Nine Thousand Nine Hundred Ninety-Nine Yuan and"
            " Ninety-Nine Fen Only",
        ),
    ],
)
def test_to_english_words_cny(amount, expected):
    assert to_english_words(D(amount)) == expected
    assert to_english_words(D(amount), "CNY") == expected


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("100.05", "USD", "US Dollars One Hundred and Cents Five Only"),
        ("100", "USD", "US Dollars One Hundred Only"),
        ("0.05", "USD", "US Dollars Cents Five Only"),
        ("0", "USD", "US Dollars Zero Only"),
        ("1.01", "USD", "US Dollars One and Cents One Only"),
        ("2500.75", "EUR", "Euros Two Thousand Five Hundred and Cents Seventy-Five Only"),
        ("12.30", "HKD", "Hong Kong Dollars Twelve and Cents Thirty Only"),
        ("12.10", "GBP", "Pounds Sterling Twelve and Pence Ten Only"),
        ("1000000.01", "SGD", "Singapore Dollars One Million and Cents One Only"),
        ("1000", "JPY", "Japanese Yen One Thousand Only"),
        ("1000.00", "JPY", "Japanese Yen One Thousand Only"),
        ("0", "JPY", "Japanese Yen Zero Only"),
    ],
)
def test_to_english_words_other_currencies(amount, currency, expected):
    assert to_english_words(D(amount), currency) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "exception"),
    [
        (D("-1"), "CNY", ValueError),
        (D("-0.01"), "USD", ValueError),
        (D("1.005"), "CNY", ValueError),
        (D("1000.5"), "JPY", ValueError),  # yen has no minor unit
        (D("10000000000000"), "CNY", ValueError),
        (D("1"), "XYZ", ValueError),
        (D("1"), "cny", ValueError),
        (1.5, "CNY", TypeError),
    ],
)
def test_to_english_words_rejects(amount, currency, exception):
    with pytest.raises(exception):
        to_english_words(amount, currency)


@given(_WORD_AMOUNTS, st.sampled_from(["CNY", "USD", "EUR", "HKD", "GBP", "SGD"]))
def test_english_words_properties(amount, currency):
    text = to_english_words(amount, currency)
    assert "  " not in text
    assert text.endswith(" Only")
    assert text == text.strip()
    assert " and and " not in text
    assert text.count(" and ") <= 1  # "and" only joins whole and minor units


# ---------------------------------------------------------------------------
# Business days (mainland China, holidays package data)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 1, 1), False),  # Thu, New Year's Day
        (date(2026, 1, 2), False),  # Fri, day off swapped with Sun 01-04
        (date(2026, 1, 3), False),  # Sat
        (date(2026, 1, 4), True),  # Sun, make-up working day
        (date(2026, 1, 5), True),  # Mon
        (date(2026, 2, 13), True),  # Fri before the Spring Festival
        (date(2026, 2, 14), True),  # Sat, make-up working day
        (date(2026, 2, 15), False),  # Sun
        (date(2026, 2, 16), False),  # Mon, Spring Festival eve
        (date(2026, 2, 17), False),
        (date(2026, 2, 18), False),
        (date(2026, 2, 19), False),
        (date(2026, 2, 20), False),  # Fri, day off swapped with Sat 02-14
        (date(2026, 2, 21), False),  # Sat
        (date(2026, 2, 22), False),  # Sun
        (date(2026, 2, 23), False),  # Mon, day off swapped with Sat 02-28
        (date(2026, 2, 24), True),  # Tue, back to work
        (date(2026, 2, 28), True),  # Sat, make-up working day
        (date(2026, 9, 20), True),  # Sun, make-up working day
        *[(date(2026, 10, d), False) for d in range(1, 8)],  # National Day week
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Sat, make-up working day
        (date(2026, 10, 11), False),  # Sun
        (date(2026, 10, 30), True),  # Fri
        (date(2026, 10, 31), False),  # Sat
        (date(2026, 11, 2), True),  # Mon
    ],
)
def test_is_business_day_2026(day, expected):
    assert is_business_day(day) is expected


def test_next_and_previous_business_day_are_strict():
    assert next_business_day(date(2026, 2, 13)) == date(2026, 2, 14)
    assert next_business_day(date(2026, 2, 14)) == date(2026, 2, 24)
    assert next_business_day(date(2026, 9, 30)) == date(2026, 10, 8)
    assert previous_business_day(date(2026, 2, 24)) == date(2026, 2, 14)
    assert previous_business_day(date(2026, 10, 8)) == date(2026, 9, 30)
    assert previous_business_day(date(2026, 1, 5)) == date(2026, 1, 4)  # the make-up Sunday


@pytest.mark.parametrize(
    ("day", "convention", "expected"),
    [
        # Sat 2026-10-31: following is Mon 11-02, in the next month, so
        # modified following rolls back to Fri 10-30.
        (date(2026, 10, 31), BusinessDayConvention.FOLLOWING, date(2026, 11, 2)),
        (date(2026, 10, 31), BusinessDayConvention.MODIFIED_FOLLOWING, date(2026, 10, 30)),
        (date(2026, 10, 31), BusinessDayConvention.PRECEDING, date(2026, 10, 30)),
        (date(2026, 10, 31), BusinessDayConvention.UNADJUSTED, date(2026, 10, 31)),
        # National Day: following stays in October, so modified following = following.
        (date(2026, 10, 1), BusinessDayConvention.FOLLOWING, date(2026, 10, 8)),
        (date(2026, 10, 1), BusinessDayConvention.MODIFIED_FOLLOWING, date(2026, 10, 8)),
        (date(2026, 10, 1), BusinessDayConvention.PRECEDING, date(2026, 9, 30)),
        # Labour Day 2026: 05-01..05-05 off (05-03 is a Sunday), 05-06 back.
        (date(2026, 5, 1), BusinessDayConvention.MODIFIED_FOLLOWING, date(2026, 5, 6)),
        (date(2026, 5, 5), BusinessDayConvention.PRECEDING, date(2026, 4, 30)),
        # A make-up Saturday is a business day: unchanged by every convention.
        (date(2026, 2, 28), BusinessDayConvention.FOLLOWING, date(2026, 2, 28)),
        (date(2026, 2, 28), BusinessDayConvention.MODIFIED_FOLLOWING, date(2026, 2, 28)),
        (date(2026, 2, 28), BusinessDayConvention.PRECEDING, date(2026, 2, 28)),
        # Sat 2026-01-31: following Mon 02-02 leaves January -> Fri 01-30.
        (date(2026, 1, 31), BusinessDayConvention.MODIFIED_FOLLOWING, date(2026, 1, 30)),
        # Convention given as its string value.
        (date(2026, 10, 31), "MODIFIED_FOLLOWING", date(2026, 10, 30)),
    ],
)
def test_adjust(day, convention, expected):
    assert adjust(day, convention) == expected


def test_adjust_rejects_unknown_convention():
    with pytest.raises(ValueError):
        adjust(date(2026, 10, 31), "NEAREST")


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        # Spring Festival 2026: Fri 02-13, Sat 02-14 (make-up), then off until Tue 02-24.
        (date(2026, 2, 13), 1, date(2026, 2, 14)),
        (date(2026, 2, 13), 2, date(2026, 2, 24)),
        (date(2026, 2, 12), 5, date(2026, 2, 26)),  # 13, 14, 24, 25, 26
        (date(2026, 2, 16), 1, date(2026, 2, 24)),  # counting from a holiday
        (date(2026, 2, 24), -1, date(2026, 2, 14)),
        (date(2026, 2, 24), -2, date(2026, 2, 13)),
        # National Day: 09-30, then 10-08, 10-09, 10-10 (make-up Saturday).
        (date(2026, 9, 30), 3, date(2026, 10, 10)),
        (date(2026, 9, 30), 4, date(2026, 10, 12)),  # Sun 10-11 is off
        (date(2026, 10, 31), 0, date(2026, 10, 31)),  # zero: unchanged, even on a Saturday
    ],
)
def test_add_business_days(day, n, expected):
    assert add_business_days(day, n) == expected


def test_add_business_days_validation():
    with pytest.raises(TypeError):
        add_business_days(date(2026, 1, 5), 1.0)
    with pytest.raises(TypeError):
        add_business_days(datetime(2026, 1, 5, 9, 0), 1)
