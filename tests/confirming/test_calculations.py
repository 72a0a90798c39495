"""DESIGN §5 "Confirming-warehouse financing", with numbers worked by hand, and the rules' invariants."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.confirming import calculations as calc
from workflows.confirming.calculations import ConfirmingCalculationError, ReleaseMode, confirming_quote

P = D("1000000.00")
M = D("0.30")


def test_order_lines_are_rounded_half_up_one_by_one_then_summed():
    # 12.345 × 3,456.78 = 42,673.9491 → 42,673.95; 3 × 0.335 = 1.005 → 1.01 (half up); P = 42,674.96
    assert calc.order_amount([(D("12.345"), D("3456.78")), (D("3"), D("0.335"))]) == D("42674.96")


def test_an_order_needs_a_line_and_positive_figures():
    with pytest.raises(ConfirmingCalculationError) as error:
        calc.order_amount([])
    assert error.value.field == "lines"
    with pytest.raises(ConfirmingCalculationError) as error:
        calc.order_amount([(D("0"), D("10"))])
    assert error.value.field == "quantity"


def test_initial_margin_funding_and_exposure_at_funding():
    # M0 = 1,000,000 × 0.30 = 300,000.00; the lender pays 700,000.00; exposure P − M0 = 700,000.00
    quote = confirming_quote(order_amount=P, margin_ratio=M)
    assert quote.initial_margin == D("300000.00")
    assert quote.lender_funding == D("700000.00")
    assert quote.exposure == D("700000.00")
    assert quote.refund_due == D("700000.00")
    # mode 1 lets the initial margin's goods out at once
    assert quote.releasable_value == D("300000.00")


def test_initial_margin_is_rounded_half_up():
    # 333,333.33 × 0.35 = 116,666.6655 → 116,666.67; lender 216,666.66
    quote = confirming_quote(order_amount=D("333333.33"), margin_ratio=D("0.35"))
    assert (quote.initial_margin, quote.lender_funding) == (D("116666.67"), D("216666.66"))


@pytest.mark.parametrize(("mode", "paid", "released", "releasable"), [
    # mode 1, full: M − D
    (ReleaseMode.FULL, D("510000.00"), D("100000.00"), D("410000.00")),
    (ReleaseMode.FULL, D("300000.00"), D("350000.00"), D("0.00")),  # never below 0
    # mode 2, proportional: round_down((M − M0) / (1 − m)) − D = 210,000 / 0.7 − 100,000 = 200,000.00
    (ReleaseMode.PROPORTIONAL, D("510000.00"), D("100000.00"), D("200000.00")),
    (ReleaseMode.PROPORTIONAL, D("300000.00"), D("0.00"), D("0.00")),  # the initial margin releases nothing
    # mode 3, initial margin last: M − M0 − D while M < P ...
    (ReleaseMode.INITIAL_MARGIN_LAST, D("510000.00"), D("0.00"), D("210000.00")),
    (ReleaseMode.INITIAL_MARGIN_LAST, D("300000.00"), D("0.00"), D("0.00")),
    # ... and P − D once M = P
    (ReleaseMode.INITIAL_MARGIN_LAST, D("1000000.00"), D("210000.00"), D("790000.00")),
])
def test_releasable_value_by_mode(mode, paid, released, releasable):
    quote = confirming_quote(order_amount=P, margin_ratio=M, release_mode=mode, margin_paid=paid,
                             released_value=released)
    assert quote.releasable_value == releasable
    assert quote.exposure == P - paid
    assert quote.refund_due == P - paid


def test_proportional_release_is_rounded_down():
    # M0 = 116,666.67 (above); (200,000.00 − 116,666.67) / 0.65 = 83,333.33 / 0.65 = 128,205.1230… → 128,205.12
    quote = confirming_quote(order_amount=D("333333.33"), margin_ratio=D("0.35"), release_mode=2,
                             margin_paid=D("200000.00"), released_value=D("28205.12"))
    assert quote.releasable_value == D("100000.00")
    assert quote.exposure == D("133333.33")


def test_an_order_paid_in_full_releases_all_of_it_in_every_mode():
    # P = 100.03, m = 0.30: M0 = round(30.009) = 30.01; mode 2 taken literally at M = P would give
    # round_down(70.02 / 0.7) = round_down(100.0285…) = 100.02, a cent short of goods paid for in full.
    for mode in ReleaseMode.ALL:
        quote = confirming_quote(order_amount=D("100.03"), margin_ratio=M, release_mode=mode,
                                 margin_paid=D("100.03"))
        assert quote.releasable_value == D("100.03")
        assert quote.refund_due == D("0.00")
    # a cent below, mode 2 is the rule itself: (100.02 − 30.01) / 0.7 = 100.0142… → 100.01
    quote = confirming_quote(order_amount=D("100.03"), margin_ratio=M, release_mode=2, margin_paid=D("100.02"))
    assert quote.releasable_value == D("100.01")


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"margin_ratio": D("1")}, "margin_ratio"),
    ({"margin_ratio": D("0")}, "margin_ratio"),
    ({"release_mode": 4}, "release_mode"),
    ({"margin_paid": D("299999.99")}, "margin_paid"),  # below M0
    ({"margin_paid": D("1000000.01")}, "margin_paid"),  # above P
    ({"released_value": D("-1")}, "released_value"),
    ({"order_amount": D("0")}, "order_amount"),
    ({"order_amount": D("10.001")}, "order_amount"),
])
def test_bad_terms_name_their_field(kwargs, field):
    with pytest.raises(ConfirmingCalculationError) as error:
        confirming_quote(**{"order_amount": P, "margin_ratio": M, **kwargs})
    assert error.value.field == field


orders = st.decimals(min_value=D("0.01"), max_value=D("100000000"), places=2)
ratios = st.decimals(min_value=D("0.01"), max_value=D("0.99"), places=2)
shares = st.decimals(min_value=D("0"), max_value=D("1"), places=4)


@given(order=orders, ratio=ratios, share=shares, mode=st.sampled_from(ReleaseMode.ALL))
def test_the_allowance_never_passes_the_order_and_grows_with_the_margin(order, ratio, share, mode):
    m0 = calc.initial_margin(order, ratio)
    paid = m0 + ((order - m0) * share).quantize(D("0.01"), rounding="ROUND_DOWN")
    allowed = calc.allowance(mode, order=order, margin_ratio=ratio, margin_paid=paid)
    assert D("0.00") <= allowed <= order
    more = min(paid + D("0.01"), order)
    assert calc.allowance(mode, order=order, margin_ratio=ratio, margin_paid=more) >= allowed
    # the initial margin's goods come out last in mode 3, never before they would in mode 1
    assert calc.allowance(3, order=order, margin_ratio=ratio, margin_paid=paid) <= \
        calc.allowance(1, order=order, margin_ratio=ratio, margin_paid=paid)
    assert calc.initial_margin(order, ratio) + (order - m0) == order


@given(order=orders, ratio=ratios, share=shares)
def test_in_proportional_mode_the_goods_out_are_covered_by_the_margin_beyond_the_initial_one(order, ratio, share):
    # what stays in custody (P − allowance) is worth at least what the lender still funds (P − M), in
    # proportion: allowance × (1 − m) ≤ M − M0, so released goods are paid for by the margin above M0
    m0 = calc.initial_margin(order, ratio)
    paid = m0 + ((order - m0) * share).quantize(D("0.01"), rounding="ROUND_DOWN")
    if paid >= order:
        return
    allowed = calc.allowance(2, order=order, margin_ratio=ratio, margin_paid=paid)
    assert allowed * (1 - ratio) <= paid - m0
