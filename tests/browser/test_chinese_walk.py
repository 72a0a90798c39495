"""The portal in Chinese, in Chromium: the language chosen at login, dates the browser can read, amounts
typed as people write them, a long invoice number that wraps, the menu folded on a narrow screen.

In 简体中文 Django writes dates as 2026/12/04; a date input reads only 2026-12-04 and showed empty, so the
quote ("查看融资测算") and the payment form posted nothing. Each step saves a screenshot.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from scf.parties.demo import ORGS

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = {org.key: org.legal_name for org in ORGS}
LONG_INVOICE = "INV-" + "8" * 56  # 60 characters, the longest the field takes


def _long_invoice(today):
    """supplier2's invoice on core1 with the longest number, registered through the service the page calls."""
    from scf.parties.models import Organization, User
    from workflows.factoring import services

    supplier = Organization.objects.get(legal_name=NAMES["supplier2"])
    return services.receivable_create(
        supplier=supplier, debtor=Organization.objects.get(legal_name=NAMES["core1"]), invoice_number=LONG_INVOICE,
        issue_date=today - datetime.timedelta(days=5), due_date=today + datetime.timedelta(days=90),
        face_amount=Decimal("100000.00"), acting_user=User.objects.get(username="supplier2"))


def test_dates_amounts_and_layout_in_chinese(today, login, shoot):
    from playwright.sync_api import expect
    from viewflow.workflow.models import Task

    from workflows.factoring.flows import FactoringFlow

    assert len(LONG_INVOICE) == 60
    _long_invoice(today)

    # The supplier prefers Chinese: the portal speaks it from the login on, whatever the browser asked for.
    supplier = login("supplier2", "zh-hans")
    expect(supplier.locator("html")).to_have_attribute("lang", "zh-hans")

    supplier.goto("/factoring/request/")
    expect(supplier.get_by_role("heading", level=1)).to_have_text("申请融资")
    value_date = supplier.get_by_label("起息日")
    expect(value_date).to_have_attribute("type", "date")
    expect(value_date).to_have_value(today.isoformat())  # blank before: value="2026/12/04"
    supplier.get_by_label(LONG_INVOICE, exact=True).check()
    supplier.get_by_role("button", name="查看融资测算").click()
    expect(supplier.locator("#quote")).to_be_visible()
    expect(supplier.get_by_label("起息日")).to_have_value(today.isoformat())  # and kept after the post
    shoot(supplier, "quote-zh")

    # A long invoice number wraps in its cell: the table stays inside the page.
    supplier.set_viewport_size({"width": 1024, "height": 800})
    supplier.goto("/factoring/receivables/")
    cell = supplier.locator("td").filter(has_text=LONG_INVOICE).first
    expect(cell).to_be_visible()
    widths = supplier.evaluate("""() => ({table: document.querySelector('main table').getBoundingClientRect().right,
                                          main: document.querySelector('main').getBoundingClientRect().right,
                                          page: document.documentElement.scrollWidth, view: window.innerWidth})""")
    assert widths["table"] <= widths["main"] and widths["page"] <= widths["view"], widths
    shoot(supplier, "long-invoice-zh")

    # On a phone the menu folds behind one button and opens with it.
    supplier.set_viewport_size({"width": 390, "height": 800})
    menu = supplier.get_by_role("navigation", name="主导航")
    expect(menu).to_be_hidden()
    shoot(supplier, "narrow-menu-closed-zh")
    supplier.locator("label.nav-toggle-button").click()
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link").first).to_be_visible()
    shoot(supplier, "narrow-menu-open-zh")

    # Operations record the demo's buy-back payment in Chinese: the value date is there, the amount is typed
    # with thousands separators, and the form posts.
    task = Task.objects.get(flow_task=FactoringFlow.collect, status="NEW")
    reference = task.process.coerced.reference
    ops = login("ops", "zh-hans")
    ops.goto(f"/inbox/{task.pk}/")
    received_on = ops.get_by_label("起息日")
    expect(received_on).to_have_value(today.isoformat())
    amount = ops.get_by_label("收款金额")
    owed = Decimal(amount.input_value())
    amount.fill(f"{owed:,.2f}")  # e.g. 242,340.00
    ops.get_by_label("银行流水号").fill("CN-BB-ZH-0001")
    shoot(ops, "record-payment-zh")
    ops.get_by_role("button", name="登记", exact=True).click()
    expect(ops.locator(".messages")).to_contain_text(reference)
    shoot(ops, "payment-recorded-zh")
    from scf.releases.models import Release

    assert Release.objects.filter(reference=reference, amount=owed).exists()


def test_the_same_pages_in_english_for_comparison(today, login, shoot):
    """The English reader's request page and narrow menu (screenshots beside the Chinese ones)."""
    from playwright.sync_api import expect

    _long_invoice(today)
    supplier = login("supplier2", "en")
    expect(supplier.locator("html")).to_have_attribute("lang", "en")
    supplier.goto("/factoring/request/")
    expect(supplier.get_by_label("Value date")).to_have_value(today.isoformat())
    supplier.get_by_label(LONG_INVOICE, exact=True).check()
    supplier.get_by_role("button", name="Show the quote").click()
    expect(supplier.locator("#quote")).to_be_visible()
    shoot(supplier, "quote-en")
    supplier.set_viewport_size({"width": 390, "height": 800})
    supplier.goto("/factoring/receivables/")
    expect(supplier.get_by_role("navigation", name="Main")).to_be_hidden()
    supplier.get_by_text("Menu", exact=True).click()
    expect(supplier.get_by_role("navigation", name="Main")).to_be_visible()
    shoot(supplier, "narrow-menu-open-en")
