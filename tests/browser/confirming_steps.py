"""Steps of the confirming-warehouse walks shared by test_confirming_walk.py and test_confirming_advance_walk.py.

Each step goes through the pages as the party who takes it would: the agreement prepared, approved and signed,
an order applied for, confirmed by the seller, reviewed, margined and funded under maker-checker.
"""

from __future__ import annotations

import re
from decimal import Decimal

from scf.parties.demo import ORGS
from tests.second_factor import fill_code

from .test_agreement_walk import _sign_task
from .test_factoring_walk import _expect, _fact, _nav, _open_task

NAMES = {org.key: org.legal_name for org in ORGS}
AGREEMENT = re.compile(r"CWA-\d{4}-\d{5}")
ORDER = re.compile(r"CWO-\d{4}-\d{5}")

SIGN_TITLES = {
    "distributor": "Sign the confirming-warehouse agreement as the distributor",
    "seller": "Sign the confirming-warehouse agreement as the seller",
    "warehouse": "Sign the four-party agreement as the warehouse",
    "lender": "Sign the confirming-warehouse agreement for the lender",
}


def _badge(page):
    return page.get_by_role("heading", level=1).locator(".badge")


def _open_order(page, reference: str) -> None:
    _nav(page, "Confirming-warehouse orders")
    page.get_by_role("link", name=reference, exact=True).click()
    _expect()(page.get_by_role("heading", level=1)).to_contain_text(reference)


def _margin(ops, order: str, amount: str, bank_reference: str, today, shoot, step: str) -> None:
    """Operations record margin the bank received from dist1, on the order's page (collections, a receipt PDF)."""
    expect = _expect()
    _open_order(ops, order)
    form = ops.locator("#margin-form")
    form.get_by_label("Amount").fill(amount)
    form.get_by_label("Value date").fill(today.isoformat())
    form.get_by_label("Bank reference").fill(bank_reference)
    shoot(ops, f"{step}-margin")
    form.get_by_role("button", name="Record the margin").click()
    expect(ops.locator(".messages")).to_contain_text(f"Margin recorded on {order}; its receipt is being issued.")
    expect(ops.locator("#margin tbody tr").filter(has_text=bank_reference)).to_contain_text(
        f"CNY {Decimal(amount):,.2f}")


def prepare_agreement(officer, shoot, *, form: str, warehouse: str | None, limit: str, note: str) -> str:
    """The credit officer prepares an agreement between core2 (seller) and dist1 and sends it to credit review."""
    expect = _expect()
    _nav(officer, "Confirming-warehouse agreements")
    officer.get_by_role("link", name="Prepare an agreement").click()
    officer.get_by_label("Seller (core enterprise)").select_option(label=NAMES["core2"])
    officer.get_by_label("Distributor").select_option(label=NAMES["dist1"])
    officer.get_by_label("Form").select_option(form)
    if warehouse:
        officer.get_by_label("Warehouse").select_option(label=NAMES[warehouse])
    officer.get_by_label("Limit").fill(limit)
    officer.get_by_label("Margin ratio").fill("0.30")
    officer.get_by_label("Release mode").select_option("2")
    officer.get_by_label("Annual interest rate").fill("0.0450")
    officer.get_by_label("The core enterprise's refund undertaking").fill(
        "卖方对经销商未提货部分承担差额退款责任。 / The seller refunds the value of the goods not delivered.")
    shoot(officer, "prepare")
    officer.get_by_role("button", name="Prepare the agreement").click()
    expect(officer.locator(".messages")).to_contain_text("prepared.")
    agreement = AGREEMENT.search(officer.get_by_role("heading", level=1).inner_text()).group()
    officer.get_by_label("Note for the approvers").fill(note)
    officer.get_by_role("button", name="Submit for credit review").click()
    expect(officer.locator(".messages")).to_contain_text(f"{agreement} sent to credit review.")
    return agreement


def approve(approver, reference: str, title: str) -> None:
    """A credit decision on the task page: approve."""
    _open_task(approver, reference, title)
    approver.get_by_label("Approve", exact=True).check()
    approver.get_by_role("button", name="Record the decision").click()
    _expect()(approver.locator(".messages")).to_contain_text(f"Your decision on {reference} was recorded.")


def sign_agreement(agreement: str, signers, password: str, shoot) -> None:
    """Every party signs in turn, each (page, username, role) of `signers`; the agreement is active after the last."""
    for page, who, role in signers:
        listed = _sign_task(page, agreement, SIGN_TITLES[role], password, shoot, who)
        assert len(listed) == 1, listed
    last = signers[-1][0]
    _nav(last, "Confirming-warehouse agreements")
    last.get_by_role("link", name=agreement, exact=True).click()
    _expect()(_badge(last)).to_have_text("Active")
    shoot(last, "agreement-active")


def apply_for_order(distributor, seller, agreement: str, shoot, *, route: str, seller_order_number: str,
                    lines, saved: str) -> str:
    """dist1 applies for an order under the agreement and sends it to core2, which confirms it."""
    expect = _expect()
    _nav(distributor, "Confirming-warehouse agreements")
    distributor.get_by_role("link", name=agreement, exact=True).click()
    distributor.get_by_role("link", name="Apply for an order").click()
    distributor.get_by_label("Funding route").select_option(route)
    distributor.get_by_label("Seller's order number").fill(seller_order_number)
    for index, (goods, unit, quantity, price) in enumerate(lines):
        for field, text in (("description", goods), ("unit", unit), ("quantity", quantity), ("unit_price", price)):
            distributor.locator(f"input[name=lines-{index}-{field}]").fill(text)
    shoot(distributor, "order-form")
    distributor.get_by_role("button", name="Save the order").click()
    expect(distributor.locator(".messages")).to_contain_text(saved)
    order = ORDER.search(distributor.get_by_role("heading", level=1).inner_text()).group()
    distributor.get_by_role("button", name="Send to the seller to confirm").click()
    expect(distributor.locator(".messages")).to_contain_text(f"{order} was sent to the seller to confirm.")

    _open_task(seller, order, "Confirm the purchase order as the seller")
    expect(seller.get_by_label("Confirm the order")).to_be_checked()
    seller.get_by_role("button", name="Send the answer").click()
    expect(seller.locator(".messages")).to_contain_text(f"Your answer on {order} was recorded.")
    return order


def wait_for_document(page, row) -> None:
    """Documents render after the request's commit: reload until the row is there."""
    for _attempt in range(20):
        if row.count():
            break
        page.wait_for_timeout(300)
        page.reload()
    _expect()(row).to_have_count(1)


def fund(ops, ops2, seller, order: str, shoot, *, facts: dict[str, str], bill_number: str | None = None) -> None:
    """Operations prepare the funding (a bill number for a bill), a second operations user releases it with a
    code from the authenticator app (maker-checker) and core2 confirms it received the money or the bill."""
    expect = _expect()
    _open_task(ops, order, "Fund the purchase order")
    for label, text in facts.items():
        expect(_fact(ops.locator("main"), label)).to_have_text(text)
    if bill_number:
        ops.get_by_label("Acceptance bill number").fill(bill_number)
    else:
        expect(ops.get_by_label("Acceptance bill number")).to_have_count(0)
    ops.get_by_label("I have checked the details above").check()
    shoot(ops, "fund")
    ops.get_by_role("button", name="Fund the order").click()
    expect(ops.locator(".messages")).to_contain_text(
        f"Funding of {order} prepared: a second operations user releases it on the Releases page.")
    _nav(ops2, "Releases")
    row = ops2.locator("table.releases tbody tr").filter(has_text=order).filter(has_text="Order funding")
    expect(row).to_have_count(1)
    if bill_number:
        expect(row).to_contain_text(bill_number)
    shoot(ops2, "release-funding")
    fill_code(row, "ops2")
    row.get_by_role("button", name="Release").click()
    expect(ops2.locator(".messages")).to_contain_text(f"Order funding {order} released.")

    _open_task(seller, order, "Confirm receipt of the money or the bill")
    seller.get_by_label("I have checked the details above").check()
    seller.get_by_role("button", name="Confirm").click()
    expect(seller.locator(".messages")).to_contain_text(f"Receipt of {order} confirmed.")
