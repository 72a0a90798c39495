"""Commodity prices: maker-checker (service and database), price > 0, the latest approved price, staleness."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from scf.core.exceptions import ActionNotPermitted
from workflows.pledge.exceptions import CommodityNotEligible, PriceAlreadyDecided, PriceFourEyes
from workflows.pledge.models import Commodity, CommodityPrice
from workflows.pledge.selectors import latest_approved_price, price_check, price_is_stale
from workflows.pledge.services import price_approve, price_propose, price_reject

D = Decimal
pytestmark = pytest.mark.django_db


def propose(world, *, price="68450.00", on=None, commodity=None, user=None):
    return price_propose(lender=world.lender, commodity=commodity or world.copper, price=D(price),
                         source=CommodityPrice.Source.EXCHANGE, effective_date=on or timezone.localdate(),
                         reference="SHFE CU2601 settlement", acting_user=user or world.ops)


def approved(world, *, price="68450.00", on=None, commodity=None):
    return price_approve(price=propose(world, price=price, on=on, commodity=commodity), acting_user=world.risk)


def test_a_second_person_approves_a_price(world):
    entry = propose(world)
    assert entry.state == CommodityPrice.State.PROPOSED
    assert latest_approved_price(world.copper, timezone.localdate(), lender=world.lender) is None  # not yet
    price_approve(price=entry, acting_user=world.risk)
    entry = CommodityPrice.objects.get(pk=entry.pk)
    assert (entry.state, entry.decided_by, entry.created_by) == ("approved", world.risk, world.ops)
    assert latest_approved_price(world.copper, timezone.localdate(), lender=world.lender) == entry


def test_the_maker_cannot_approve_its_own_price(world):
    entry = propose(world, user=world.risk)  # the risk manager may enter and approve, but not both
    with pytest.raises(PriceFourEyes) as error:
        price_approve(price=entry, acting_user=world.risk)
    assert (error.value.code, error.value.http_status) == ("price_four_eyes", 409)
    entry = CommodityPrice.objects.get(pk=entry.pk)
    assert (entry.state, entry.decided_by) == ("proposed", None)


def test_the_maker_cannot_reject_its_own_price_either(world):
    entry = propose(world, user=world.risk)
    with pytest.raises(PriceFourEyes):
        price_reject(price=entry, acting_user=world.risk)
    assert CommodityPrice.objects.get(pk=entry.pk).state == "proposed"


def test_the_database_refuses_a_price_decided_by_its_maker(world):
    entry = propose(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommodityPrice.objects.filter(pk=entry.pk).update(state="approved", decided_by=world.ops,
                                                          decided_at=timezone.now())
    assert CommodityPrice.objects.get(pk=entry.pk).state == "proposed"


def test_the_database_refuses_a_price_of_zero_or_less(world):
    entry = propose(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommodityPrice.objects.filter(pk=entry.pk).update(price=D("0"))
    assert CommodityPrice.objects.get(pk=entry.pk).price == D("68450.00")


@pytest.mark.parametrize("price", ["0", "0.000000", "-1.00"])
def test_a_price_of_zero_or_less_is_refused_and_nothing_is_saved(world, price):
    with pytest.raises(ValidationError) as error:
        propose(world, price=price)
    assert error.value.message_dict["price"] == ["The price must be greater than zero."]
    assert CommodityPrice.objects.count() == 0


def test_a_price_in_the_future_is_refused(world):
    with pytest.raises(ValidationError) as error:
        propose(world, on=timezone.localdate() + datetime.timedelta(days=1))
    assert "effective_date" in error.value.message_dict
    assert CommodityPrice.objects.count() == 0


def test_a_commodity_the_lender_does_not_accept_is_refused(world):
    nickel = Commodity.objects.create(code="NI", name_en="Nickel", name_zh="镍", unit="t", precision="0.001")
    with pytest.raises(CommodityNotEligible):
        propose(world, commodity=nickel)
    assert CommodityPrice.objects.count() == 0


def test_a_corporate_user_cannot_enter_a_price(world):
    with pytest.raises(ActionNotPermitted):
        propose(world, user=world.pledgor_user)
    assert CommodityPrice.objects.count() == 0


def test_operations_enter_but_do_not_approve(world):
    entry = propose(world, user=world.risk)
    with pytest.raises(ActionNotPermitted):
        price_approve(price=entry, acting_user=world.ops)
    assert CommodityPrice.objects.get(pk=entry.pk).state == "proposed"


def test_a_decided_price_is_not_decided_again(world):
    entry = approved(world)
    with pytest.raises(PriceAlreadyDecided):
        price_reject(price=entry, acting_user=world.risk)
    assert CommodityPrice.objects.get(pk=entry.pk).state == "approved"


def test_a_rejected_price_never_counts(world):
    price_reject(price=propose(world), acting_user=world.risk, note="Wrong contract month")
    assert latest_approved_price(world.copper, timezone.localdate(), lender=world.lender) is None


def test_latest_approved_price_takes_the_newest_effective_on_or_before_the_day(world):
    today = timezone.localdate()
    old = approved(world, price="67000.00", on=today - datetime.timedelta(days=10))
    recent = approved(world, price="68000.00", on=today - datetime.timedelta(days=2))
    propose(world, price="99999.00", on=today)  # proposed only: does not count
    assert latest_approved_price(world.copper, today, lender=world.lender) == recent
    assert latest_approved_price(world.copper, today - datetime.timedelta(days=3), lender=world.lender) == old
    assert latest_approved_price(world.copper, today - datetime.timedelta(days=11), lender=world.lender) is None
    # another commodity's price is not this one's
    assert latest_approved_price(world.batteries, today, lender=world.lender) is None


def test_latest_approved_price_is_the_lenders_own(world, other_lender_world):
    approved(world)
    other, _user = other_lender_world
    assert latest_approved_price(world.copper, timezone.localdate(), lender=other) is None


def test_same_day_prices_the_last_approved_wins(world):
    today = timezone.localdate()
    first = propose(world, price="68000.00")
    second = propose(world, price="68100.00")
    price_approve(price=second, acting_user=world.risk)
    price_approve(price=first, acting_user=world.risk)
    assert latest_approved_price(world.copper, today, lender=world.lender) == first


def test_a_missing_price_is_stale_never_zero(world):
    check = price_check(world.copper, timezone.localdate(), lender=world.lender)
    assert (check.price, check.missing, check.stale, check.age_days) == (None, True, True, None)


@pytest.mark.parametrize("age, stale", [(0, False), (5, False), (6, True)])
def test_a_price_older_than_the_maximum_age_is_stale(world, age, stale):
    today = timezone.localdate()
    approved(world, on=today - datetime.timedelta(days=age))
    check = price_check(world.copper, today, lender=world.lender)  # default maximum age 5 days
    assert (check.age_days, check.stale) == (age, stale)


def test_the_maximum_age_is_the_callers(world):
    today = timezone.localdate()
    price = approved(world, on=today - datetime.timedelta(days=3))
    assert price_is_stale(price, on=today, max_age_days=2)
    assert not price_is_stale(price, on=today, max_age_days=3)
    assert price_is_stale(None, on=today, max_age_days=365)


def test_a_price_in_another_currency_never_stands_for_the_agreements(world):
    today = timezone.localdate()
    cny = approved(world)
    usd = price_approve(price=price_propose(lender=world.lender, commodity=world.copper, price=D("9000.00"),
                                            currency="USD", source="spot", effective_date=today,
                                            acting_user=world.ops), acting_user=world.risk)
    assert latest_approved_price(world.copper, today, lender=world.lender) == cny
    assert latest_approved_price(world.copper, today, lender=world.lender, currency="USD") == usd
    assert latest_approved_price(world.copper, today, lender=world.lender, currency="EUR") is None
