"""Properties of scf.money.allocate_in_order, the waterfall a payment follows.

Whatever the amount and the buckets: nothing is created or lost, no bucket takes more than it is
owed (a negative amount owed counts as nothing), and a bucket takes something only once every
bucket before it is full. No database is needed.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scf.money import allocate_in_order

cents = st.integers(min_value=0, max_value=10**14).map(lambda c: D(c).scaleb(-2))
owed_cents = st.integers(min_value=-10**6, max_value=10**14).map(lambda c: D(c).scaleb(-2))
buckets = st.lists(st.tuples(st.text(min_size=1, max_size=8), owed_cents), max_size=7,
                   unique_by=lambda bucket: bucket[0])


@given(amount=cents, buckets=buckets)
def test_the_amount_is_split_without_creating_or_losing_a_cent(amount, buckets):
    taken, remainder = allocate_in_order(amount, buckets)
    assert sum(taken.values(), D("0")) + remainder == amount
    assert remainder >= 0
    assert all(value == value.quantize(D("0.01")) for value in [*taken.values(), remainder])


@given(amount=cents, buckets=buckets)
def test_no_bucket_takes_more_than_it_is_owed_nor_less_than_nothing(amount, buckets):
    taken, _remainder = allocate_in_order(amount, buckets)
    assert list(taken) == [name for name, _owed in buckets]
    for name, owed in buckets:
        assert D("0") <= taken[name] <= max(owed, D("0"))


@given(amount=cents, buckets=buckets)
def test_a_bucket_takes_something_only_once_every_bucket_before_it_is_full(amount, buckets):
    taken, remainder = allocate_in_order(amount, buckets)
    full_so_far = True
    for name, owed in buckets:
        if taken[name] > 0:
            assert full_so_far, (name, taken)
        full_so_far = full_so_far and taken[name] == max(owed, D("0"))
    if remainder > 0:
        assert full_so_far  # only what no bucket is owed is left over


def test_a_worked_waterfall():
    # 1,000.00 over penalty 10, interest 20, fees 30, advance 900, rebate room 25: 15.00 is left over.
    taken, remainder = allocate_in_order(D("1000.00"), [("penalty", D("10.00")), ("interest", D("20.00")),
                                                        ("fees", D("30.00")), ("advance", D("900.00")),
                                                        ("rebate", D("25.00"))])
    assert taken == {"penalty": D("10.00"), "interest": D("20.00"), "fees": D("30.00"), "advance": D("900.00"),
                     "rebate": D("25.00")}
    assert remainder == D("15.00")
    # A short payment of 25.00: penalty 10 in full, interest 15 of 20, nothing to the rest; a negative
    # amount owed takes nothing and does not stop the waterfall.
    taken, remainder = allocate_in_order(D("25.00"), [("penalty", D("10.00")), ("credit", D("-5.00")),
                                                      ("interest", D("20.00")), ("advance", D("900.00"))])
    assert taken == {"penalty": D("10.00"), "credit": D("0"), "interest": D("15.00"), "advance": D("0")}
    assert remainder == D("0")


def test_no_buckets_leave_the_whole_amount_over():
    assert allocate_in_order(D("12.34"), []) == ({}, D("12.34"))


@pytest.mark.parametrize(("amount", "buckets", "error"), [
    (D("-0.01"), [("advance", D("1.00"))], ValueError),
    (D("1.00"), [("advance", D("1.00")), ("advance", D("2.00"))], ValueError),
    (1.5, [("advance", D("1.00"))], TypeError),
    (D("1.00"), [("advance", 0.5)], TypeError),
], ids=["negative amount", "bucket named twice", "float amount", "float owed"])
def test_bad_input_is_refused(amount, buckets, error):
    with pytest.raises(error):
        allocate_in_order(amount, buckets)
