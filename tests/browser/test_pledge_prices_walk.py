"""Commodity prices in the browser: operations enter one, a bad price is refused, the risk manager approves
it in Chinese, and the person who entered a price is never offered its approval."""

from decimal import Decimal

import pytest

from workflows.pledge.models import CommodityPrice

from .test_factoring_walk import _expect, _nav

pytestmark = pytest.mark.django_db(transaction=True)


def _enter_price(page, commodity: str, price: str, source: str = "exchange") -> None:
    form = page.locator("form.stack")
    form.locator("select[name=commodity]").select_option(label=commodity)
    form.locator("input[name=price]").fill(price)
    form.locator("select[name=source]").select_option(source)
    form.locator("input[name=reference]").fill("SHFE CU settlement")
    form.locator("button[type=submit]").click()


def test_operations_enter_a_price_and_a_second_person_approves_it(today, login, shoot):
    expect = _expect()
    ops = login("ops")
    _nav(ops, "Commodity prices")
    expect(ops.get_by_role("heading", level=1)).to_have_text("Commodity prices")
    # The demo's prices are approved and current.
    expect(ops.locator("#current-CU")).to_contain_text("68,450.00")
    expect(ops.locator("#current-CU")).to_contain_text("Current")
    shoot(ops, "current-prices")

    # A price of zero is refused with the reason, and nothing is saved.
    before = CommodityPrice.objects.count()
    _enter_price(ops, "CU · Copper cathode", "0")
    expect(ops.locator(".errorlist")).to_contain_text("The price must be greater than zero.")
    assert CommodityPrice.objects.count() == before
    shoot(ops, "zero-refused")

    ops.locator("input[name=price]").fill("69120.50")
    ops.locator("form.stack button[type=submit]").click()
    expect(ops.locator(".messages")).to_contain_text(
        "Price of Copper cathode entered; a second person must approve it.")
    entered = CommodityPrice.objects.get(price=Decimal("69120.50"))
    row = ops.locator(f"#price-{entered.pk}")
    expect(row).to_contain_text("Proposed")
    expect(row).to_contain_text("You entered this price: a second person approves it.")
    expect(row.get_by_role("button", name="Approve")).to_have_count(0)
    # Until approved it does not count: the current price is still the demo's.
    expect(ops.locator("#current-CU")).to_contain_text("68,450.00")
    shoot(ops, "entered-proposed")

    risk = login("risk")
    with risk.expect_navigation():
        risk.locator("select[name=language]").select_option("zh-hans")
    expect(risk.locator("html")).to_have_attribute("lang", "zh-hans")
    risk.get_by_role("navigation").get_by_role("link", name="商品价格", exact=True).click()
    expect(risk.get_by_role("heading", level=1)).to_have_text("商品价格")
    row = risk.locator(f"#price-{entered.pk}")
    expect(row).to_contain_text("已申报")
    shoot(risk, "zh-to-approve")
    row.get_by_role("button", name="批准").click()
    expect(risk.locator(".messages")).to_contain_text("电解铜 的价格已审批：此后估值采用该价格。")
    expect(risk.locator("#current-CU")).to_contain_text("69,120.50")
    shoot(risk, "zh-approved")
    entered = CommodityPrice.objects.get(pk=entered.pk)
    assert (entered.state, entered.created_by.username, entered.decided_by.username) == ("approved", "ops", "risk")

    # The risk manager enters a price of the battery packs: it waits for someone else.
    _enter_price(risk, "EVB · 动力电池包", "12650", source="spot")
    own = CommodityPrice.objects.get(price=Decimal("12650"))
    own_row = risk.locator(f"#price-{own.pk}")
    expect(own_row).to_contain_text("此价格由您录入：须由另一人审批。")
    expect(own_row.get_by_role("button", name="批准")).to_have_count(0)
    shoot(risk, "zh-own-price-waits")
    assert CommodityPrice.objects.get(pk=own.pk).state == "proposed"
