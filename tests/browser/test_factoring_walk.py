"""The factoring flow walked in Chromium through the real pages, as each person who acts on it.

Every step is clicks and form fills from the navigation onwards; each asserts what the page
shows (state badges, amounts) and saves a screenshot (see conftest.py for where).

Figures by hand, from the facility's pricing (scf/facilities/models.py defaults, which the
demo facility of supplier1 keeps): advance rate 0.80, 6.5 % a year ACT/360 taken in advance,
fee 0.5 % of the amount financed, penalty 1.5 × the rate after 3 grace days.
"""

from __future__ import annotations

import datetime
import re

import pytest

from scf.parties.demo import ORGS
from tests.second_factor import fill_code

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = {org.key: org.legal_name for org in ORGS}
REFERENCE = re.compile(r"FF-\d{4}-\d{5}")


def _expect():
    from playwright.sync_api import expect

    return expect


def _nav(page, section: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=section, exact=True).click()


def _open_task(page, reference: str, title: str) -> None:
    """Go to Tasks and open the task called `title` on the case `reference`."""
    expect = _expect()
    _nav(page, "Tasks")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Tasks")
    row = page.locator("table.inbox tbody tr").filter(has_text=reference)
    link = row.get_by_role("link", name=title, exact=True)
    expect(link).to_have_count(1)
    link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)


def _open_financing(page, reference: str) -> None:
    expect = _expect()
    _nav(page, "Factoring")
    page.get_by_role("link", name=reference, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)


def _fact(page, term: str):
    """Return the <dd> beside the <dt> called `term` in the page's first fact list holding it."""
    return page.locator(f'dt:text-is("{term}") + dd').first


def _card(page, heading: str):
    return page.locator("section.card").filter(has=page.get_by_role("heading", name=heading, exact=True))


def _badge(page):
    return page.get_by_role("heading", level=1).locator(".badge")


def _release(login, reference: str, what: str, shoot, step: str, *, by: str = "ops2") -> None:
    """A second operations user releases on the Releases page what the first one prepared."""
    expect = _expect()
    checker = login(by)
    _nav(checker, "Releases")
    row = checker.locator("table.releases tbody tr").filter(has_text=reference).filter(has_text=what)
    expect(row).to_have_count(1)
    shoot(checker, step)
    fill_code(row, by)  # releasing money asks for a fresh code from the authenticator app
    row.get_by_role("button", name="Release").click()
    expect(checker.locator(".messages")).to_contain_text(f"{what} {reference} released.")


def _register_and_request(page, shoot, *, invoice: str, face: str, today: datetime.date) -> None:
    """As a supplier: register an invoice on core1, ask for its financing, check the quote, apply."""
    expect = _expect()
    _nav(page, "Receivables")
    form = page.locator("form").filter(has=page.get_by_role("button", name="Register"))
    form.get_by_label("Debtor (core enterprise)").select_option(label=NAMES["core1"])
    form.get_by_label("Invoice number").fill(invoice)
    form.get_by_label("Issue date").fill(today.isoformat())
    form.get_by_label("Due date").fill((today + datetime.timedelta(days=90)).isoformat())
    form.get_by_label("Face amount").fill(face)
    form.get_by_label("Currency").select_option("CNY")
    form.get_by_role("button", name="Register").click()
    expect(page.locator(".messages")).to_contain_text(f"Invoice {invoice} registered.")
    row = page.locator("tbody tr").filter(has_text=invoice)
    expect(row).to_contain_text(NAMES["core1"])
    expect(row).to_contain_text(f"CNY {int(face.split('.')[0]):,}.00")
    expect(row.locator(".badge")).to_have_text("Draft")
    shoot(page, "invoice-registered")

    _nav(page, "Factoring")
    page.get_by_role("link", name="Request financing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request financing")
    page.get_by_label(invoice, exact=True).check()
    expect(page.get_by_label("Value date")).to_have_value(today.isoformat())
    page.get_by_role("button", name="Show the quote").click()
    expect(page.locator("#quote")).to_be_visible()


def _unfreeze_supplier1(login, shoot) -> None:
    """As the risk manager: lift the freeze the demo's overdue case put on supplier1's factoring line."""
    expect = _expect()
    risk = login("risk")
    _nav(risk, "Facilities")
    row = risk.locator("tbody tr").filter(has_text=NAMES["supplier1"]).filter(has_text="Factoring")
    expect(row).to_contain_text("Frozen")
    row.get_by_role("link").first.click()
    risk.get_by_label("Note").fill("Buy-back of the overdue case agreed; new invoices on core1 may be financed.")
    shoot(risk, "unfreeze")
    risk.get_by_role("button", name="Unfreeze").click()
    expect(risk.locator(".messages")).to_contain_text("Facility updated.")


def test_happy_path(today, login, shoot, demo):
    """A new invoice of supplier1 on core1 from registration to the closed file, each step by its owner."""
    expect = _expect()
    invoice = "INV-WALK-0001"

    # 0. The demo's overdue case froze supplier1's line: the risk manager unfreezes it, with a comment.
    _unfreeze_supplier1(login, shoot)

    # 1. supplier1 registers an invoice of 500,000.00 due in 90 days, sees the quote and applies.
    supplier = login("supplier1")
    _register_and_request(supplier, shoot, invoice=invoice, face="500000.00", today=today)
    # A = 500,000 × 0.80 = 400,000.00; I = 400,000 × 0.065 × 90/360 = 6,500.00; F = 500,000 × 0.005
    # = 2,500.00; net = 391,000.00; all-in = 9,000 / 391,000 × 360/90 = 0.0920716… → 0.092072, shown as 9.2072%;
    # rebate when paid in full = 500,000 − 400,000 = 100,000.00.
    quote = supplier.locator("#quote")
    expect(_fact(quote, "Amount financed on")).to_have_text("500,000.00")
    expect(_fact(quote, "Advance")).to_have_text("400,000.00 (80.00%)")
    expect(_fact(quote, "Tenor")).to_contain_text(
        f"{today:%Y-%m-%d} → {today + datetime.timedelta(days=90):%Y-%m-%d} · 90 days · ACT/360")
    expect(_fact(quote, "Interest")).to_contain_text("6,500.00 (6.50%")
    expect(_fact(quote, "Fee")).to_have_text("2,500.00")
    expect(_fact(quote, "You receive")).to_have_text("391,000.00")
    expect(_fact(quote, "All-in annual cost")).to_have_text("9.2072%")
    expect(_fact(quote, "Rebate when paid in full")).to_have_text("100,000.00")
    shoot(supplier, "quote")
    supplier.get_by_role("button", name="Apply").click()
    heading = supplier.get_by_role("heading", level=1)
    expect(heading).to_contain_text(REFERENCE)
    reference = REFERENCE.search(heading.inner_text()).group()
    expect(supplier.locator(".messages")).to_contain_text(f"Financing {reference} requested.")
    expect(_badge(supplier)).to_have_text("Draft")
    # The financing's receivables card (the history's first note names the invoice too).
    receivables = supplier.locator("section.card").filter(
        has=supplier.get_by_role("heading", name="Receivables", exact=True))
    expect(receivables.locator("tbody tr").filter(has_text=invoice)).to_contain_text("500,000.00")
    shoot(supplier, "requested")

    # 2. core1 confirms the full amount from its inbox.
    core = login("core1")
    _open_task(core, reference, "Confirm invoices")
    expect(core.locator("fieldset legend")).to_contain_text(f"{invoice} · CNY 500,000.00")
    expect(core.get_by_label("Answer")).to_have_value("confirm")
    core.get_by_label("Confirmed amount").fill("500000.00")
    shoot(core, "confirm-task")
    core.get_by_role("button", name="Send the answer").click()
    expect(core.locator(".messages")).to_contain_text(f"Your answer on {reference} was recorded.")
    expect(core.locator("table.inbox tbody tr").filter(has_text=reference)
           .get_by_role("link", name="Confirm invoices")).to_have_count(0)
    _open_financing(core, reference)
    expect(_badge(core)).to_have_text("Under review")
    # The debtor sees the amount financed, not the supplier's price for it.
    expect(_fact(core, "Receivables financed")).to_have_text("CNY 500,000.00")
    expect(core.locator("main")).not_to_contain_text("391,000.00")
    shoot(core, "confirmed")

    # 3. The credit officer approves: an advance of 400,000.00 needs one credit officer by the default matrix.
    officer = login("officer")
    _open_task(officer, reference, "Credit review")
    expect(_fact(officer, "Confirmed receivables")).to_have_text("CNY 500,000.00")
    expect(_fact(officer, "Net disbursement")).to_have_text("391,000.00")
    expect(officer.locator("aside")).to_contain_text(
        re.compile(r"Approvers needed, in order: credit[ _]officer \(round 1\)", re.IGNORECASE))
    officer.get_by_label("Approve", exact=True).check()
    shoot(officer, "credit-review")
    officer.get_by_role("button", name="Record the decision").click()
    expect(officer.locator(".messages")).to_contain_text(f"Your decision on {reference} was recorded.")
    _open_financing(officer, reference)
    expect(_badge(officer)).to_have_text("Contract issued")
    shoot(officer, "contract-issued")

    # 4. Each party signs its documents with its password: supplier1, core1, then ops for the lender.
    ops = login("ops")
    for page, who, title in ((supplier, "supplier1", "Sign the agreement and the notice"),
                             (core, "core1", "Acknowledge the notice and sign the confirmation letter"),
                             (ops, "ops", "Sign the factoring agreement")):
        _open_task(page, reference, title)
        for _attempt in range(20):  # contracts render after commit; the page says so until they are issued
            if page.get_by_text("Some documents are still being prepared.").count() == 0:
                break
            page.wait_for_timeout(500)
            page.reload()
        items = page.locator("aside ul li")
        expect(items.first).to_be_visible()
        for index in range(items.count()):
            expect(items.nth(index).locator(".badge")).to_have_text("Issued")
        shoot(page, f"sign-{who}")
        page.get_by_label("Your password").fill(demo)  # the password each signatory logs in with
        fill_code(page, who)  # and, for the lender's staff, a fresh code from the authenticator app
        page.get_by_role("button", name="Sign", exact=True).click()
        expect(page.locator(".messages")).to_contain_text(re.compile(r"Signed \d+ documents? for "))
    _open_financing(ops, reference)
    expect(_badge(ops)).to_have_text("Signed")
    documents = _card(ops, "Documents").locator("tbody tr")
    for number in ("FAC-", "NOA-"):  # the agreement and the notice of assignment
        expect(documents.filter(has_text=number)).to_have_count(1)
    for index in range(documents.count()):  # and whatever else was issued for signing
        expect(documents.nth(index).locator(".badge")).to_have_text("Signed")
    shoot(ops, "signed")

    # 5. ops disburses, records the debtor's payment of the confirmed amount, and settles.
    _open_task(ops, reference, "Disburse")
    expect(_fact(ops.locator("aside"), "Pay")).to_have_text("CNY 391,000.00")
    ops.get_by_label("I have checked the details above").check()
    shoot(ops, "disburse")
    ops.get_by_role("button", name="Disburse").click()
    expect(ops.locator(".messages")).to_contain_text(f"Disbursement of {reference} prepared")
    # Nothing is paid until a second operations user releases it: the financing is still signed.
    _open_financing(ops, reference)
    expect(_badge(ops)).to_have_text("Signed")
    expect(ops.locator("#pending-releases")).to_contain_text("Disbursement")
    expect(ops.locator("#pending-releases")).to_contain_text("391,000.00")
    _nav(ops, "Releases")
    mine = ops.locator("table.releases tbody tr").filter(has_text=reference)
    expect(mine).to_contain_text("You prepared this: a second person releases it.")
    expect(mine.get_by_role("button", name="Release")).to_have_count(0)
    _release(login, reference, "Disbursement", shoot, "release-disbursement")

    _open_task(ops, reference, "Record the payment")
    action = ops.locator("aside")
    expect(action.get_by_role("heading", level=2)).to_have_text("Record the debtor's payment")
    expect(action.locator(".badge")).to_have_text("Disbursed")
    expect(_fact(action, "Owed to the lender")).to_have_text("CNY 400,000.00")
    expect(_fact(action, "Still due from the debtor")).to_have_text("500,000.00")
    expect(_fact(ops, "Disbursed on")).to_have_text(f"{today:%Y-%m-%d}")
    ops.get_by_label("Amount received").fill("500000.00")
    ops.get_by_label("Value date").fill(today.isoformat())
    ops.get_by_label("Bank reference").fill("CN-TT-WALK-0001")
    shoot(ops, "record-payment")
    ops.get_by_role("button", name="Record").click()
    expect(ops.locator(".messages")).to_contain_text(f"Receipt on {reference} prepared")
    _release(login, reference, "Receipt", shoot, "release-receipt")

    _open_task(ops, reference, "Settle and pay the rebate")
    expect(_fact(ops.locator("aside"), "Rebate to pay")).to_have_text("CNY 100,000.00")
    expect(_fact(ops, "Owed to the lender")).to_have_text("0.00")
    ops.get_by_label("I have checked the details above").check()
    shoot(ops, "settle")
    ops.get_by_role("button", name="Pay the rebate and close").click()
    expect(ops.locator(".messages")).to_contain_text(f"Settlement of {reference} prepared")
    _release(login, reference, "Settlement", shoot, "release-settlement")
    _nav(ops, "Tasks")
    expect(ops.locator("table.inbox tbody tr").filter(has_text=reference)).to_have_count(0)

    _open_financing(ops, reference)
    expect(_badge(ops)).to_have_text("Closed")
    expect(_fact(ops, "Owed to the lender")).to_have_text("0.00")
    expect(_fact(ops, "Rebate due / paid")).to_have_text("100,000.00 / 100,000.00")
    receipt = _card(ops, "Balances").locator("tbody tr").filter(has_text="CN-TT-WALK-0001")
    expect(receipt).to_contain_text(NAMES["core1"])
    expect(receipt).to_contain_text("500,000.00")
    expect(receipt).to_contain_text("400,000.00")
    shoot(ops, "closed")

    # The supplier sees its financing closed and its invoice settled.
    _open_financing(supplier, reference)
    expect(_badge(supplier)).to_have_text("Closed")
    _nav(supplier, "Receivables")
    expect(supplier.locator("tbody tr").filter(has_text=invoice).locator(".badge")).to_have_text("Settled")
    shoot(supplier, "supplier-sees-settled")


def test_recourse_buy_back(today, login, shoot):
    """The demo's recourse case: 300,000.00 confirmed, advance 240,000.00, due 40 days ago, buy-back claimed.

    Penalty: from the 4th day after the due date (3 grace days) to today, 36 days at 6.5 % × 1.5
    ACT/360 on 240,000.00 = 240,000 × 0.0975 × 36/360 = 2,340.00; owed 242,340.00.
    """
    expect = _expect()
    ops = login("ops")
    _nav(ops, "Tasks")
    row = ops.locator("table.inbox tbody tr").filter(has=ops.get_by_role("link", name="Record the payment"))
    expect(row).to_have_count(1)
    reference = REFERENCE.search(row.inner_text()).group()
    expect(row).to_contain_text(NAMES["supplier1"])
    _open_task(ops, reference, "Record the payment")
    action = ops.locator("aside")
    expect(action.get_by_role("heading", level=2)).to_have_text("Record the buy-back payment")
    expect(action.locator(".badge")).to_have_text("Recourse claimed")
    expect(_fact(action, "Due date")).to_contain_text(f"{today - datetime.timedelta(days=40):%Y-%m-%d}")
    expect(_fact(ops, "Advance outstanding")).to_have_text("240,000.00")
    expect(_fact(ops, "Penalty interest outstanding")).to_contain_text("2,340.00")
    owed = _fact(action, "Owed to the lender")
    expect(owed).to_have_text("CNY 242,340.00")
    shoot(ops, "buy-back-task")
    amount = owed.inner_text().removeprefix("CNY ").replace(",", "")
    ops.get_by_label("Amount received").fill(amount)
    ops.get_by_label("Value date").fill(today.isoformat())
    ops.get_by_label("Bank reference").fill("CN-BB-WALK-0001")
    shoot(ops, "record-buy-back")
    ops.get_by_role("button", name="Record").click()
    expect(ops.locator(".messages")).to_contain_text(f"Receipt on {reference} prepared")
    _release(login, reference, "Receipt", shoot, "release-buy-back")
    _nav(ops, "Tasks")
    expect(ops.locator("table.inbox tbody tr").filter(has_text=reference)).to_have_count(0)

    _open_financing(ops, reference)
    expect(_badge(ops)).to_have_text("Closed")
    expect(_fact(ops, "Owed to the lender")).to_have_text("0.00")
    receipt = _card(ops, "Balances").locator("tbody tr").filter(has_text="CN-BB-WALK-0001")
    expect(receipt).to_contain_text(NAMES["supplier1"])  # the supplier paid, not the debtor
    expect(receipt).to_contain_text("242,340.00")
    history = _card(ops, "History")
    # States read as labels: "Recourse claimed" → "Bought back" → "Closed".
    expect(history.locator("tbody tr").filter(has_text="Bought back").first).to_contain_text("Recourse claimed")
    expect(history.locator("tbody tr").filter(has_text="Closed").first).to_contain_text("Bought back")
    shoot(ops, "bought-back-closed")


def test_large_advance_needs_the_risk_manager(today, login, shoot):
    """1,500,000.00 face: advance 1,200,000.00 is over 1,000,000, so a risk manager approves after the officer."""
    expect = _expect()
    _unfreeze_supplier1(login, shoot)
    supplier = login("supplier1")
    _register_and_request(supplier, shoot, invoice="INV-WALK-0002", face="1500000.00", today=today)
    # A = 1,200,000.00; I = 1,200,000 × 0.065 × 90/360 = 19,500.00; F = 7,500.00; net = 1,173,000.00.
    quote = supplier.locator("#quote")
    expect(_fact(quote, "Advance")).to_have_text("1,200,000.00 (80.00%)")
    expect(_fact(quote, "You receive")).to_have_text("1,173,000.00")
    expect(_fact(quote, "All-in annual cost")).to_have_text("9.2072%")
    supplier.get_by_role("button", name="Apply").click()
    reference = REFERENCE.search(supplier.get_by_role("heading", level=1).inner_text()).group()

    core = login("core1")
    _open_task(core, reference, "Confirm invoices")
    core.get_by_role("button", name="Send the answer").click()
    expect(core.locator(".messages")).to_contain_text(f"Your answer on {reference} was recorded.")

    officer = login("officer")
    _open_task(officer, reference, "Credit review")
    expect(officer.locator("aside")).to_contain_text(
        re.compile(r"Approvers needed, in order: credit[ _]officer → risk[ _]manager \(round 1\)", re.IGNORECASE))
    officer.get_by_label("Approve", exact=True).check()
    officer.get_by_role("button", name="Record the decision").click()
    expect(officer.locator(".messages")).to_contain_text(f"Your decision on {reference} was recorded.")
    # The second approval is another person's: nothing more for the officer on this case.
    expect(officer.locator("table.inbox tbody tr").filter(has_text=reference)).to_have_count(0)
    _open_financing(officer, reference)
    expect(_badge(officer)).to_have_text("Under review")

    risk = login("risk")
    _open_task(risk, reference, "Credit review")
    expect(_card(risk, "Approvals")).to_contain_text("Approve")
    risk.get_by_label("Approve", exact=True).check()
    shoot(risk, "risk-review")
    risk.get_by_role("button", name="Record the decision").click()
    expect(risk.locator(".messages")).to_contain_text(f"Your decision on {reference} was recorded.")
    _open_financing(risk, reference)
    expect(_badge(risk)).to_have_text("Contract issued")
    expect(_fact(risk, "Advance")).to_have_text("1,200,000.00 (advance rate 80.00%)")
    shoot(risk, "contract-issued")
