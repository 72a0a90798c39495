"""The pledge arithmetic of DESIGN §5, with numbers worked by hand in the comments."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.pledge import calculations as calc
from workflows.pledge.calculations import Lines, PledgeCalculationError, Zone

D = Decimal
T = D("0.001")  # tonnes
P = D("1")  # pieces

# The running example: 100 t at 5,000.00 a tonne, pledge rate 0.60, lines 0.65 / 0.70 / 0.80.
#   V = round(100 × 5,000.00) = 500,000.00; max loan = 500,000.00 × 0.60 = 300,000.00
#   the lines in money: warning at E = 325,000, call at E = 350,000, liquidation at E = 400,000.
V = D("500000.00")
R = D("0.60")


# --- value -----------------------------------------------------------------------------------

def test_value_rounds_each_line_half_up_then_adds():
    # 12.345 × 3,456.78 = 41,481.36 + 0.345 × 3,456.78 (= 1,192.5891) = 42,673.9491 → 42,673.95
    # 0.005 × 1.00 = 0.005 → 0.01 (half up); total 42,673.96
    assert calc.collateral_value([(D("12.345"), D("3456.78")), (D("0.005"), D("1.00"))]) == D("42673.96")


def test_value_rounds_per_line_not_the_sum():
    # two lines of 0.005 each: 0.01 + 0.01 = 0.02, where rounding the sum 0.010 would give 0.01
    assert calc.collateral_value([(D("0.005"), D("1")), (D("0.005"), D("1"))]) == D("0.02")


def test_value_of_no_collateral_is_zero():
    assert calc.collateral_value([]) == D("0.00")


def test_value_of_the_running_example():
    assert calc.line_value(D("100"), D("5000.00")) == V


# --- max loan, exposure, available -----------------------------------------------------------------

def test_max_loan_rounds_down():
    # 42,673.95 × 0.65 = 25,604.37 + 2,133.6975 = 27,738.0675 → 27,738.06 (down, not 27,738.07)
    assert calc.max_loan(D("42673.95"), D("0.65")) == D("27738.06")
    assert calc.max_loan(V, R) == D("300000.00")


def test_max_loan_of_one_cent_short():
    # 0.01 × 0.60 = 0.006 → 0.00 (down)
    assert calc.max_loan(D("0.01"), R) == D("0.00")


def test_exposure_deducts_the_cash_margin_and_never_goes_below_zero():
    assert calc.exposure(D("350000.00"), D("30000.00")) == D("320000.00")
    assert calc.exposure(D("350000.00")) == D("350000.00")
    assert calc.exposure(D("10000.00"), D("25000.00")) == D("0.00")  # more margin than principal
    assert calc.exposure(D("0.00")) == D("0.00")


def test_available_is_max_loan_less_exposure_capped_by_headroom():
    # max loan 300,000.00 − E 250,000.00 = 50,000.00; headroom 20,000.00 caps it
    assert calc.available_to_draw(V, R, D("250000.00")) == D("50000.00")
    assert calc.available_to_draw(V, R, D("250000.00"), headroom=D("20000.00")) == D("20000.00")
    # E above the max loan: nothing to draw, never negative
    assert calc.available_to_draw(V, R, D("310000.00")) == D("0.00")
    assert calc.available_to_draw(V, R, D("0.00"), headroom=D("-5.00")) == D("0.00")


# --- LTV and zones -----------------------------------------------------------------------------

def test_ltv_is_exact_and_rounded_only_for_display():
    # 100 / 300 = 0.3333…; 200 / 300 = 0.6666… → 0.666667 (half up)
    assert calc.ltv(D("100"), D("400")) == D("0.25")
    assert D("0.333333") < calc.ltv(D("100"), D("300")) < D("0.3333334")  # not cut to 6 places
    assert calc.ltv_display(D("100"), D("300")) == D("0.333333")
    assert calc.ltv_display(D("200"), D("300")) == D("0.666667")
    assert calc.ltv_display(D("300000.00"), V) == D("0.600000")


def test_ltv_with_nothing_outstanding_is_zero_and_with_no_value_is_unbounded():
    assert calc.ltv(D("0.00"), V) == 0
    assert calc.ltv(D("0.00"), D("0.00")) == 0
    assert calc.ltv(D("1.00"), D("0.00")) is None
    assert calc.ltv_display(D("1.00"), D("0.00")) is None


@pytest.mark.parametrize("exposure, expected", [
    ("0.00", Zone.NORMAL),
    ("324999.99", Zone.NORMAL),  # LTV 0.64999998
    ("325000.00", Zone.WARNING),  # exactly on the warning line 0.65
    ("349999.99", Zone.WARNING),  # LTV 0.69999998
    ("350000.00", Zone.CALL),  # exactly on the call line 0.70
    ("399999.99", Zone.CALL),
    ("400000.00", Zone.LIQUIDATION),  # exactly on the liquidation line 0.80
    ("600000.00", Zone.LIQUIDATION),  # LTV 1.2
])
def test_zones_on_and_around_each_line(exposure, expected):
    assert calc.zone(D(exposure), V) == expected


def test_zone_with_no_value_under_a_loan_is_liquidation():
    assert calc.zone(D("0.01"), D("0.00")) == Zone.LIQUIDATION
    assert calc.is_default(D("0.01"), D("0.00"))
    assert calc.zone(D("0.00"), D("0.00")) == Zone.NORMAL


def test_equal_lines_skip_the_middle_zones():
    lines = Lines(warning=D("0.70"), call=D("0.70"), liquidation=D("0.70"))
    assert calc.zone(D("349999.99"), V, lines) == Zone.NORMAL
    assert calc.zone(D("350000.00"), V, lines) == Zone.LIQUIDATION


def test_margin_call_and_default_flags():
    assert (calc.is_margin_call(D("349999.99"), V), calc.is_default(D("349999.99"), V)) == (False, False)
    assert (calc.is_margin_call(D("350000.00"), V), calc.is_default(D("350000.00"), V)) == (True, False)
    assert (calc.is_margin_call(D("400000.00"), V), calc.is_default(D("400000.00"), V)) == (True, True)


# --- margin call: cure amount and quantity --------------------------------------------------

def test_cure_amount_exactly_on_the_call_line():
    # E = 350,000.00, V × r = 300,000.00 → K = 50,000.00
    assert calc.cure_amount(D("350000.00"), V, R) == D("50000.00")


def test_cure_amount_is_zero_without_a_call():
    # LTV 0.69999998 < 0.70: a warning, no obligation
    assert calc.cure_amount(D("349999.99"), V, R) == D("0.00")
    assert calc.cure_amount(D("0.00"), V, R) == D("0.00")


def test_cure_amount_rounds_up():
    # V = 14,285.71, E = 10,000.00: LTV 0.7000000… ≥ 0.70 → call
    # V × r = 8,571.426; K = 10,000 − 8,571.426 = 1,428.574 → 1,428.58 (up)
    assert calc.cure_amount(D("10000.00"), D("14285.71"), R) == D("1428.58")


def test_cure_amount_in_liquidation_and_with_no_value():
    # E = 400,000.00 on the liquidation line: K = 400,000 − 300,000 = 100,000.00
    assert calc.cure_amount(D("400000.00"), V, R) == D("100000.00")
    # nothing pledged: all of E must be cured
    assert calc.cure_amount(D("100.00"), D("0.00"), R) == D("100.00")


def test_cure_quantity_rounds_up_to_the_precision():
    # K = 50,000.00 at 5,000.00 × 0.60 = 3,000.00 a tonne: 16.6666… t → 16.667 t, or 17 pieces
    assert calc.cure_quantity(D("50000.00"), D("5000.00"), R, T) == D("16.667")
    assert calc.cure_quantity(D("50000.00"), D("5000.00"), R, P) == D("17")
    # K = 1,428.58 at 100.00 × 0.60 = 60.00: 23.80966… → 23.810 or 24
    assert calc.cure_quantity(D("1428.58"), D("100.00"), R, T) == D("23.810")
    assert calc.cure_quantity(D("1428.58"), D("100.00"), R, P) == D("24")


def test_cure_quantity_exact_is_not_rounded_further():
    # K = 30,000.00 / 3,000.00 = exactly 10 → 10.000, not 10.001
    assert calc.cure_quantity(D("30000.00"), D("5000.00"), R, T) == D("10.000")
    assert calc.cure_quantity(D("0.00"), D("5000.00"), R, T) == D("0.000")


# --- floor value ------------------------------------------------------------------------------

def test_floor_value_rounds_up():
    # E = 100.00, r = 0.70: 142.857142… → 142.86
    assert calc.floor_value(D("100.00"), D("0.70")) == D("142.86")
    # E = 320,000.00, r = 0.60: 533,333.333… → 533,333.34
    assert calc.floor_value(D("320000.00"), R) == D("533333.34")


def test_floor_value_exact_and_zero():
    # E = 70.00, r = 0.70 → exactly 100.00
    assert calc.floor_value(D("70.00"), D("0.70")) == D("100.00")
    assert calc.floor_value(D("0.00"), R) == D("0.00")


def test_floor_value_takes_the_lenders_floor_when_higher():
    assert calc.floor_value(D("70.00"), D("0.70"), lender_floor=D("150.00")) == D("150.00")
    assert calc.floor_value(D("70.00"), D("0.70"), lender_floor=D("90.00")) == D("100.00")


def test_substitution_needs_value_in_at_least_out_and_after_at_least_the_floor():
    assert calc.substitution_allowed(value_in=D("100.00"), value_out=D("100.00"), value_after=D("500.00"),
                                     floor=D("500.00"))
    assert not calc.substitution_allowed(value_in=D("99.99"), value_out=D("100.00"), value_after=D("600.00"),
                                         floor=D("500.00"))
    assert not calc.substitution_allowed(value_in=D("100.00"), value_out=D("50.00"), value_after=D("499.99"),
                                         floor=D("500.00"))


# --- release --------------------------------------------------------------------------------

def test_releasable_value_with_nothing_outstanding_is_everything():
    assert calc.releasable_value(V, D("0.00"), R) == V


def test_releasable_value_at_the_max_loan_is_nothing():
    # E = 300,000: E / r = 500,000.00 = V → 0.00
    assert calc.releasable_value(V, D("300000.00"), R) == D("0.00")


def test_releasable_value_counts_pending_release_orders():
    # E = 180,000: E / r = 300,000.00; R = 50,000.00 → 500,000 − 300,000 − 50,000 = 150,000.00
    assert calc.releasable_value(V, D("180000.00"), R) == D("200000.00")
    assert calc.releasable_value(V, D("180000.00"), R, D("50000.00")) == D("150000.00")
    # more pending than is free: never negative
    assert calc.releasable_value(V, D("180000.00"), R, D("250000.00")) == D("0.00")


def test_releasable_value_rounds_the_kept_value_up():
    # V = 33,333.00 (100 × 333.33), E = 10,000: E / r = 16,666.666… → 16,666.67; 33,333.00 − 16,666.67 = 16,666.33
    assert calc.releasable_value(D("33333.00"), D("10000.00"), R) == D("16666.33")


def test_releasable_quantity_with_pending_release():
    # keep (E / r + R) / price = (300,000 + 50,000) / 5,000 = 70.000 t → 100 − 70 = 30.000 t
    assert calc.quantity_to_keep(D("180000.00"), R, D("5000.00"), T, D("50000.00")) == D("70.000")
    assert calc.releasable_quantity(D("100.000"), D("180000.00"), R, D("5000.00"), T, D("50000.00")) == D("30.000")


def test_releasable_quantity_precision_one_against_a_thousandth():
    # 100 pieces at 333.33, E = 10,000, r = 0.60: keep 10,000 / 199.998 = 50.0005000…
    #   to 0.001 → 50.001, releasable 49.999; to 1 → 51, releasable 49
    assert calc.releasable_quantity(D("100"), D("10000.00"), R, D("333.33"), T) == D("49.999")
    assert calc.releasable_quantity(D("100"), D("10000.00"), R, D("333.33"), P) == D("49")


def test_releasable_quantity_exact_keep_is_not_rounded_further():
    # keep 300,000 / (0.60 × 5,000) = exactly 100.000 t: nothing to release, not −0.001
    assert calc.releasable_quantity(D("100.000"), D("300000.00"), R, D("5000.00"), T) == D("0.000")
    # nothing outstanding, nothing pending: all of it
    assert calc.releasable_quantity(D("100.000"), D("0.00"), R, D("5000.00"), T) == D("100.000")
    # more owed than the goods cover: zero, never negative
    assert calc.releasable_quantity(D("10"), D("300000.00"), R, D("5000.00"), P) == D("0")


# --- validation -------------------------------------------------------------------------------

@pytest.mark.parametrize("rate", ["0", "1", "1.00", "-0.1", "1.5"])
def test_pledge_rate_outside_zero_and_one_is_refused(rate):
    with pytest.raises(PledgeCalculationError) as error:
        calc.validate_pledge_rate(D(rate))
    assert error.value.field == "pledge_rate"


def test_pledge_rate_just_inside_is_accepted():
    calc.validate_pledge_rate(D("0.999999"))
    calc.validate_pledge_rate(D("0.000001"))


@pytest.mark.parametrize("w, c, l, field", [
    ("0.75", "0.70", "0.80", "call_ltv"),  # warning above call
    ("0.65", "0.85", "0.80", "liquidation_ltv"),  # call above liquidation
    ("0.65", "0.70", "1.01", "liquidation_ltv"),
    ("0", "0.70", "0.80", "warning_ltv"),
])
def test_lines_out_of_order_are_refused(w, c, l, field):
    with pytest.raises(PledgeCalculationError) as error:
        calc.validate_lines(Lines(D(w), D(c), D(l)))
    assert error.value.field == field


def test_equal_lines_up_to_one_are_accepted():
    calc.validate_lines(Lines(D("1"), D("1"), D("1")))


def test_quantity_finer_than_the_precision_is_refused():
    calc.validate_quantity(D("10.125"), T)
    with pytest.raises(PledgeCalculationError):
        calc.validate_quantity(D("10.5"), P)
    with pytest.raises(PledgeCalculationError):
        calc.validate_quantity(D("10.0001"), T)
    with pytest.raises(PledgeCalculationError):
        calc.validate_quantity(D("0"), T)
    with pytest.raises(PledgeCalculationError):
        calc.validate_precision(D("0.01"))


# --- the quote --------------------------------------------------------------------------------

def test_quote_without_outstanding_gives_value_and_max_loan_only():
    quote = calc.pledge_quote(quantity=D("100"), unit_price=D("5000.00"), pledge_rate=R)
    assert (quote.collateral_value, quote.max_loan, quote.exposure, quote.zone) == (V, D("300000.00"), None, None)


def test_quote_in_a_margin_call():
    # E = 350,000 − 0: LTV 0.700000, call; K = 50,000.00, 16.667 t; F = 583,333.333… → 583,333.34;
    # releasable value 500,000 − 583,333.34 < 0 → 0.00; keep 350,000 / 3,000 = 116.666… → 116.667 > 100 → 0.000
    quote = calc.pledge_quote(quantity=D("100"), unit_price=D("5000.00"), pledge_rate=R, outstanding=D("350000.00"))
    assert quote == calc.PledgeQuote(
        collateral_value=V, max_loan=D("300000.00"), exposure=D("350000.00"), ltv=D("0.700000"), zone=Zone.CALL,
        margin_call=True, default=False, cure_amount=D("50000.00"), cure_quantity=D("16.667"),
        floor_value=D("583333.34"), releasable_value=D("0.00"), releasable_quantity=D("0.000"))


# --- properties: the rounding never lets goods go that the loan needs -----------------------------

money = st.decimals(min_value=D("0.00"), max_value=D("5000000.00"), places=2)
prices = st.decimals(min_value=D("0.01"), max_value=D("100000.00"), places=2)
rates = st.decimals(min_value=D("0.01"), max_value=D("0.99"), places=2)


@settings(max_examples=300, deadline=None)
@given(quantity=st.integers(min_value=1, max_value=10_000_000), precision=st.sampled_from([T, P]), price=prices,
       rate=rates, exposure=money, pending=money)
def test_what_stays_after_a_release_always_covers_the_loan_and_one_unit_more_would_not(
        quantity, precision, price, rate, exposure, pending):
    qty = (D(quantity) * precision).quantize(precision)
    free = calc.releasable_quantity(qty, exposure, rate, price, precision, pending)
    assert D("0") <= free <= qty
    kept = qty - free
    # exactly: kept × price ≥ E / r + R, i.e. kept × price × r ≥ E + R × r
    if free > 0:
        assert kept * price * rate >= exposure + pending * rate
        # releasing one more unit of precision would leave too little
        assert (kept - precision) * price * rate < exposure + pending * rate


@settings(max_examples=300, deadline=None)
@given(value=money, exposure=money, rate=rates)
def test_the_cure_brings_ltv_to_the_pledge_rate_and_the_floor_covers_the_exposure(value, exposure, rate):
    lines = Lines(warning=D("0.99"), call=D("0.99"), liquidation=D("1"))
    cure = calc.cure_amount(exposure, value, rate, lines)
    if calc.is_margin_call(exposure, value, lines):
        assert exposure - cure <= value * rate < exposure - cure + D("0.01")
    else:
        assert cure == D("0.00")
    floor = calc.floor_value(exposure, rate)
    assert floor * rate >= exposure > (floor - D("0.01")) * rate or exposure == 0
