"""A dynamic warehouse-receipt pledge walked in Chromium from the agreement to the closed file.

The credit officer prepares the agreement for dist1 with warehouse1, a second officer approves it,
the pledgor, the warehouse and operations sign, operations record the registration (中登网). The
pledgor declares copper, the warehouse counts it and signs the pledged goods list, operations issue
the notice of pledge and the warehouse confirms it. Two loans are requested, approved and paid out;
part of a lot is released; new goods come in and the rest of the lot goes out against them (a
substitution); the first loan is repaid and one receipt released; the second loan is repaid and the
last receipt released, which opens operations' closing task: deregistration and the closed file.
The repayments arrive from the bank, which has no page: they are recorded with the service the demo uses.

Figures by hand (copper cathode at the demo's approved 68,450.00 a tonne, pledge rate 0.60):

* intake 1: receipt WALK-WR-001 20.000 t and lot WALK-LOT-001 10.000 t: V = 30 × 68,450.00 = 2,053,500.00,
  max loan = 0.60 × V = 1,232,100.00, available to draw 1,232,100.00;
* loans of 600,000.00 and 300,000.00 paid out: E = 900,000.00, available 332,100.00,
  floor F = 900,000.00 / 0.60 = 1,500,000.00, releasable V − F = 553,500.00;
* release 1: 5.000 t of the lot (342,250.00): V = 25 t = 1,711,250.00;
* intake 2: receipt WALK-WR-002 8.000 t (547,600.00): V = 33 t = 2,258,850.00; the substitution takes the
  lot's other 5.000 t (342,250.00 ≤ 547,600.00 brought in; 2,258,850.00 − 342,250.00 = 1,916,600.00 ≥ F);
* loan 1 repaid the day it was paid (no interest): E = 300,000.00, F = 500,000.00, releasable
  1,916,600.00 − 500,000.00 = 1,416,600.00; release 2: WALK-WR-002 whole, V = 20 t = 1,369,000.00;
* loan 2 repaid: E = 0.00; release 3: WALK-WR-001 whole, nothing is held nor owed.
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Sum

from documents.models import Document
from scf.ledger.models import JournalEntry, Posting
from scf.parties.demo import MINIMAL_PDF, ORGS
from scf.parties.models import User
from tests.pledge.drawdown_setup import ledger_balanced
from tests.second_factor import fill_code
from workflows.pledge.drawdowns import drawdown_repay
from workflows.pledge.models import (
    CollateralIntake,
    PledgeAgreement,
    PledgeDrawdown,
    PledgeDrawdownRepayment,
    PledgeRelease,
)

from .test_agreement_walk import _sign_task
from .test_factoring_walk import _expect, _fact, _nav, _open_task

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = {org.key: org.legal_name for org in ORGS}
AGREEMENT = re.compile(r"PLA-\d{4}-\d{5}")
LOAN = re.compile(r"PLD-\d{4}-\d{5}")
RELEASE = re.compile(r"REL-\d{4}-\d{6}")
INTAKE = re.compile(r"CIN-\d{4}-\d{6}")
COPPER = "CU · Copper cathode"


def _off_the_browser_thread(call):
    """Run a service call in a thread of its own: sealing PDFs runs an event loop, which Playwright's thread has."""
    outcome = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as error:  # noqa: BLE001  (re-raised in the test's thread)
            outcome["error"] = error
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _reload_until(page, locator, *, tries: int = 20) -> None:
    """Documents are rendered after the request's commit: reload until the locator shows."""
    for _attempt in range(tries):
        if locator.count():
            return
        page.wait_for_timeout(300)
        page.reload()
    _expect()(locator.first).to_be_visible()


def _open_agreement(page, reference: str) -> None:
    _nav(page, "Pledge agreements")
    page.get_by_role("link", name=reference, exact=True).click()
    _expect()(page.get_by_role("heading", level=1)).to_contain_text(reference)


def _open_collateral(page, reference: str) -> None:
    _open_agreement(page, reference)
    page.get_by_role("link", name="Collateral and releases").click()
    _expect()(page.get_by_role("heading", level=1)).to_contain_text(f"Collateral of {reference}")


def _kv(page, card_id: str, row: str):
    return page.locator(f"#{card_id} table.kv tr").filter(has=page.get_by_role("rowheader", name=row, exact=True)) \
        .locator("td")


def _sign_document(page, link_name: str, password: str) -> None:
    """As the warehouse, on an intake's page: open the document to sign and sign it with the password."""
    expect = _expect()
    link = page.get_by_role("link", name=link_name)
    _reload_until(page, link)
    link.click()
    sign = page.locator("#sign")
    sign.get_by_label("Your password").fill(password)
    sign.get_by_role("checkbox").check()
    sign.get_by_role("button", name="Sign this document").click()
    expect(page.locator(".messages")).to_contain_text(f"Signed for {NAMES['warehouse1']}.")


def _bring_in(pledgor, warehouse, ops, agreement: str, lines: list[dict], password: str, shoot, step: str) -> str:
    """The pledgor declares, the warehouse counts and signs the goods list, ops issue the notice, the warehouse
    confirms it: return the intake's reference once it is effective."""
    expect = _expect()
    _open_collateral(pledgor, agreement)
    pledgor.get_by_role("link", name="Declare goods").click()
    for index, line in enumerate(lines):
        card = pledgor.locator(f"#line-{index}")
        card.locator("select[name$=kind]").select_option(line["kind"])
        card.get_by_label("Receipt or lot number").fill(line["number"])
        card.get_by_label("Commodity").select_option(label=COPPER)
        card.get_by_label("Quantity").fill(line["quantity"])
        card.get_by_label("Location").fill("上海外高桥保税区 3 号库")
        if line["kind"] == "receipt":
            card.get_by_label("Receipt issued on").fill(line["issued_on"])
    pledgor.get_by_role("button", name="Declare to the warehouse").click()
    expect(pledgor.locator(".messages")).to_contain_text("declared: the warehouse counts the goods next.")
    intake = INTAKE.search(pledgor.get_by_role("heading", level=1).inner_text()).group()
    shoot(pledgor, f"{step}-declared")

    _nav(warehouse, "Goods to count")
    row = warehouse.locator("tbody tr").filter(has_text=intake)
    expect(row).to_contain_text("Count the goods")
    row.get_by_role("link", name=intake).click()
    for line in lines:
        warehouse.locator("#lines tbody tr").filter(has_text=line["number"]).get_by_label("Counted") \
            .fill(line["quantity"])
    warehouse.get_by_role("button", name="Confirm the count").click()
    expect(warehouse.locator(".messages")).to_contain_text(f"Count of {intake} confirmed")
    intake_url = warehouse.url
    shoot(warehouse, f"{step}-counted")
    _sign_document(warehouse, "Sign the pledged goods list", password)
    ops.goto(intake_url)
    issue = ops.get_by_role("button", name="Issue the notice of pledge")
    _reload_until(ops, issue)
    issue.click()
    expect(ops.locator(".messages")).to_contain_text(f"Notice of pledge for {intake} issued")

    warehouse.goto(intake_url)
    _sign_document(warehouse, "Confirm the notice of pledge (sign the receipt)", password)
    warehouse.goto(intake_url)
    expect(warehouse.get_by_role("heading", level=1).locator(".badge")).to_have_text("Effective")
    for line in lines:
        expect(warehouse.locator("#lines tbody tr").filter(has_text=line["number"]).locator(".badge")) \
            .to_have_text("Pledged")
    shoot(warehouse, f"{step}-effective")
    return intake


def _loan(pledgor, officer, ops, ops2, agreement: str, amount: str, shoot, step: str) -> str:
    """The pledgor asks for a loan, the credit officer approves it, operations prepare the payment, a second
    operations user releases it (maker-checker, with a fresh code from the authenticator app)."""
    expect = _expect()
    _open_agreement(pledgor, agreement)
    form = pledgor.locator("#loans form")
    form.get_by_label("Amount").fill(amount)
    form.get_by_role("button", name="Request the loan").click()
    expect(pledgor.locator(".messages")).to_contain_text("requested: it goes to the lender's credit review.")
    reference = LOAN.search(pledgor.get_by_role("heading", level=1).inner_text()).group()

    _open_task(officer, reference, "Credit review of the loan")
    officer.get_by_label("Approve", exact=True).check()
    officer.get_by_role("button", name="Record the decision").click()
    expect(officer.locator(".messages")).to_contain_text(f"Your decision on {reference} was recorded.")

    _open_task(ops, reference, "Disburse the loan")
    expect(_fact(ops.locator("aside"), "Pay")).to_contain_text(f"CNY {Decimal(amount):,.2f}")
    ops.get_by_label("I have checked the details above").check()
    shoot(ops, f"{step}-disburse")
    ops.get_by_role("button", name="Disburse").click()
    expect(ops.locator(".messages")).to_contain_text(
        f"Disbursement of {reference} prepared: a second operations user releases it on the Releases page.")
    _nav(ops2, "Releases")
    row = ops2.locator("table.releases tbody tr").filter(has_text=reference).filter(has_text="Loan disbursement")
    expect(row).to_have_count(1)
    shoot(ops2, f"{step}-release")
    fill_code(row, "ops2")
    row.get_by_role("button", name="Release").click()
    expect(ops2.locator(".messages")).to_contain_text(f"Loan disbursement {reference} released.")
    return reference


def _release(pledgor, ops, warehouse, agreement: str, choose, shoot, step: str, *, substitution: str | None = None
             ) -> str:
    """The pledgor asks (choose() fills the goods), operations issue the order, the warehouse confirms."""
    expect = _expect()
    _open_collateral(pledgor, agreement)
    if substitution:
        pledgor.get_by_role("link", name="Substitution (new goods in, old goods out)").click()
        select = pledgor.get_by_label("Substitution for the new goods of")
        select.select_option(select.locator("option", has_text=substitution).get_attribute("value"))
    else:
        pledgor.get_by_role("link", name="Request a release").click()
    choose(pledgor)
    shoot(pledgor, f"{step}-request")
    pledgor.locator("form button[type=submit]").last.click()
    expect(pledgor.locator(".messages")).to_contain_text("requested: the lender's operations issue the release order")
    reference = RELEASE.search(pledgor.get_by_role("heading", level=1).inner_text()).group()

    _open_task(ops, reference, "Issue the release order")
    ops.get_by_label("I have checked the goods and the figures above").check()
    ops.get_by_role("button", name="Issue the release order").click()
    expect(ops.locator(".messages")).to_contain_text(f"The release order of {reference} is issued")

    _open_task(warehouse, reference, "Confirm the goods went out")
    warehouse.get_by_label("The goods above went out of the warehouse").check()
    warehouse.get_by_role("button", name="Confirm the goods went out").click()
    expect(warehouse.locator(".messages")).to_contain_text(f"Release {reference} executed")
    return reference


def _repay(reference: str, amount: str, bank_reference: str, today) -> None:
    """Money from the bank: recorded by operations with the service the demo uses (no page receives it)."""
    drawdown = PledgeDrawdown.objects.get(reference=reference)
    ops = User.objects.get(username="ops")
    _off_the_browser_thread(lambda: drawdown_repay(drawdown=drawdown, amount=Decimal(amount),
                                                   bank_reference=bank_reference, on=today, acting_user=ops))


def _releasable(page, *, value: str, exposure: str, floor: str, releasable: str) -> None:
    expect = _expect()
    expect(_kv(page, "releases", "Collateral value (V)")).to_have_text(f"CNY {value}")
    expect(_kv(page, "releases", "Exposure (E)")).to_have_text(f"CNY {exposure}")
    expect(_kv(page, "releases", "Floor value (dynamic pledge)")).to_have_text(f"CNY {floor}")
    expect(_kv(page, "releases", "Releasable now")).to_have_text(f"CNY {releasable}")


def test_a_dynamic_pledge_from_agreement_to_closed_file(today, login, shoot, demo):
    expect = _expect()
    password = demo

    # 1. The credit officer prepares the agreement and sends it to credit review.
    officer = login("officer")
    _nav(officer, "Pledge agreements")
    officer.get_by_role("link", name="Prepare an agreement").click()
    officer.get_by_label("Pledgor").select_option(label=NAMES["dist1"])
    officer.get_by_label("Warehouse / supervisor").select_option(label=NAMES["warehouse1"])
    expect(officer.get_by_label("Kind")).to_have_value("dynamic")
    officer.get_by_label("Maximum amount secured").fill("1000000.00")
    officer.get_by_label("Annual interest rate").fill("0.0485")
    shoot(officer, "prepare")
    officer.get_by_role("button", name="Prepare the agreement").click()
    expect(officer.locator(".messages")).to_contain_text("prepared.")
    agreement = AGREEMENT.search(officer.get_by_role("heading", level=1).inner_text()).group()
    officer.get_by_label("Note for the approvers").fill("Copper cathode at warehouse1, dynamic pledge.")
    officer.get_by_role("button", name="Submit for credit review").click()
    expect(officer.locator(".messages")).to_contain_text(f"{agreement} sent to credit review.")

    # 2. A second credit officer approves it (1,000,000.00 needs a credit officer only).
    officer2 = login("officer2")
    _open_task(officer2, agreement, "Credit review of the pledge agreement")
    officer2.get_by_label("Approve", exact=True).check()
    officer2.get_by_role("button", name="Record the decision").click()
    expect(officer2.locator(".messages")).to_contain_text(f"Your decision on {agreement} was recorded.")

    # 3. Each party signs what it is a party to; the agreement is active once all signed.
    pledgor = login("dist1")
    listed = _sign_task(pledgor, agreement, "Sign the loan agreement, pledge contract and supervision agreement",
                        password, shoot, "dist1")
    assert len(listed) == 3, listed
    warehouse = login("warehouse1")
    listed = _sign_task(warehouse, agreement, "Sign the tripartite supervision agreement", password, shoot,
                        "warehouse1")
    assert len(listed) == 1, listed
    ops = login("ops")
    listed = _sign_task(ops, agreement, "Sign the pledge agreement's contracts", password, shoot, "ops")
    assert len(listed) == 3, listed
    _open_agreement(ops, agreement)
    expect(ops.get_by_role("heading", level=1).locator(".badge")).to_have_text("Active")

    # 4. Operations record the registration with its certificate.
    _open_task(ops, agreement, "Record the pledge registration (中登网)")
    ops.get_by_label("Registration number").fill("04592817000899990001")
    ops.get_by_label("Registered on").fill(today.isoformat())
    ops.get_by_label("Expires on").fill(today.replace(year=today.year + 2).isoformat())
    ops.get_by_label("Registration certificate").set_input_files(
        {"name": "zhongdeng-walk.pdf", "mimeType": "application/pdf", "buffer": MINIMAL_PDF + b"walk"})
    ops.get_by_role("button", name="Record the registration").click()
    expect(ops.locator(".messages")).to_contain_text(f"The registration of {agreement} is recorded.")

    # 5. Collateral in: a receipt and a lot of copper.
    _bring_in(pledgor, warehouse, ops, agreement, [
        {"kind": "receipt", "number": "WALK-WR-001", "quantity": "20.000", "issued_on": today.isoformat()},
        {"kind": "lot", "number": "WALK-LOT-001", "quantity": "10.000"},
    ], password, shoot, "intake1")
    _open_agreement(pledgor, agreement)
    loans = pledgor.locator("#loans")
    expect(loans.locator(".lead")).to_contain_text("CNY 1,232,100.00")
    expect(_fact(loans, "Max loan")).to_have_text("CNY 1,232,100.00")
    shoot(pledgor, "available")

    # 6. Two loans.
    ops2 = login("ops2")
    loan1 = _loan(pledgor, officer, ops, ops2, agreement, "600000.00", shoot, "loan1")
    loan2 = _loan(pledgor, officer, ops, ops2, agreement, "300000.00", shoot, "loan2")
    _open_agreement(pledgor, agreement)
    expect(loans.locator(".lead")).to_contain_text("CNY 332,100.00")
    expect(_fact(loans, "Exposure")).to_have_text("CNY 900,000.00")
    for reference in (loan1, loan2):
        expect(loans.locator("tbody tr").filter(has_text=reference).locator(".badge")).to_have_text("Disbursed")
    shoot(pledgor, "two-loans")
    _open_collateral(pledgor, agreement)
    _releasable(pledgor, value="2,053,500.00", exposure="900,000.00", floor="1,500,000.00",
                releasable="553,500.00")

    # 7. Release 1: part of the lot.
    def five_tonnes_of_the_lot(page):
        page.locator("#goods tbody tr").filter(has_text="WALK-LOT-001").get_by_label("Quantity").fill("5.000")

    _release(pledgor, ops, warehouse, agreement, five_tonnes_of_the_lot, shoot, "release1")
    _open_collateral(pledgor, agreement)
    _releasable(pledgor, value="1,711,250.00", exposure="900,000.00", floor="1,500,000.00",
                releasable="211,250.00")

    # 8. Substitution: new goods in first, then the rest of the lot out against them.
    second = _bring_in(pledgor, warehouse, ops, agreement, [
        {"kind": "receipt", "number": "WALK-WR-002", "quantity": "8.000", "issued_on": today.isoformat()},
    ], password, shoot, "intake2")

    def rest_of_the_lot(page):
        expect(page.locator("#substitution tbody tr").filter(has_text=second)).to_contain_text("547,600.00")
        page.locator("#goods tbody tr").filter(has_text="WALK-LOT-001").get_by_label("Quantity").fill("5.000")

    _release(pledgor, ops, warehouse, agreement, rest_of_the_lot, shoot, "substitution", substitution=second)
    _open_collateral(pledgor, agreement)
    _releasable(pledgor, value="1,916,600.00", exposure="900,000.00", floor="1,500,000.00",
                releasable="416,600.00")
    expect(pledgor.locator("#releases table").last.locator("tbody tr .badge", has_text="Substitution")).to_have_count(1)

    # 9. Loan 1 repaid; release 2: one receipt whole.
    _repay(loan1, "600000.00", "CN-TT-PLEDGE-WALK-1", today)
    _open_collateral(pledgor, agreement)
    _releasable(pledgor, value="1,916,600.00", exposure="300,000.00", floor="500,000.00",
                releasable="1,416,600.00")

    def second_receipt(page):
        page.locator("#goods tbody tr").filter(has_text="WALK-WR-002").get_by_role("checkbox").check()

    _release(pledgor, ops, warehouse, agreement, second_receipt, shoot, "release2")

    # 10. Loan 2 repaid; the last receipt goes out, which opens operations' closing task.
    _repay(loan2, "300000.00", "CN-TT-PLEDGE-WALK-2", today)
    _open_collateral(pledgor, agreement)
    _releasable(pledgor, value="1,369,000.00", exposure="0.00", floor="0.00", releasable="1,369,000.00")

    def first_receipt(page):
        page.locator("#goods tbody tr").filter(has_text="WALK-WR-001").get_by_role("checkbox").check()

    _release(pledgor, ops, warehouse, agreement, first_receipt, shoot, "release3")
    _open_collateral(pledgor, agreement)
    expect(_kv(pledgor, "releases", "Collateral value (V)")).to_have_text("CNY 0.00")
    expect(pledgor.locator("#releases table").last.locator("tbody tr .badge", has_text="Executed")).to_have_count(4)
    _open_agreement(pledgor, agreement)
    for reference in (loan1, loan2):
        expect(loans.locator("tbody tr").filter(has_text=reference).locator(".badge")).to_have_text("Repaid")

    # 11. Operations deregister and close the file from their inbox.
    _open_task(ops, agreement, "Deregister and close the pledge agreement")
    ops.get_by_label("Deregistered on").fill(today.isoformat())
    ops.get_by_label("Deregistration certificate").set_input_files(
        {"name": "zhongdeng-walk-cancel.pdf", "mimeType": "application/pdf", "buffer": MINIMAL_PDF + b"cancel"})
    ops.get_by_label("Note").fill("All loans repaid, all goods released.")
    shoot(ops, "close-task")
    ops.get_by_role("button", name="Close the agreement").click()
    expect(ops.locator(".messages")).to_contain_text(f"{agreement} closed.")
    _open_agreement(ops, agreement)
    expect(ops.get_by_role("heading", level=1).locator(".badge")).to_have_text("Closed")
    expect(ops.locator("#registration")).to_contain_text(f"Deregistered on {today:%Y-%m-%d}")
    shoot(ops, "closed")
    _nav(ops, "Tasks")
    expect(ops.locator("table.inbox tbody tr").filter(has_text=agreement)).to_have_count(0)

    # The closed file in Chinese, for the lender and the warehouse.
    with ops.expect_navigation():
        ops.get_by_label("Language").select_option("zh-hans")
    ops.get_by_role("navigation").get_by_role("link", name="质押协议", exact=True).first.click()
    ops.get_by_role("link", name=agreement, exact=True).click()
    expect(ops.get_by_role("heading", level=1).locator(".badge")).to_have_text(re.compile("已结案|已关闭"))
    shoot(ops, "zh-closed")
    ops.get_by_role("link", name="押品与解押").click()
    shoot(ops, "zh-collateral")

    # Every document of the case is a real PDF, and every ledger entry balances.
    record = PledgeAgreement.objects.get(reference=agreement)
    assert record.state == PledgeAgreement.State.CLOSED and record.principal_outstanding == 0
    objects = [record, *CollateralIntake.objects.filter(agreement=record),
               *PledgeRelease.objects.filter(agreement=record),
               *PledgeDrawdown.objects.filter(agreement=record),
               *PledgeDrawdownRepayment.objects.filter(drawdown__agreement=record)]
    documents = [document for obj in objects for document in Document.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)]
    kinds = {document.kind for document in documents}
    assert {"pledge_loan_agreement", "pledge_contract", "pledge_supervision_agreement", "pledged_goods_list",
            "pledge_notice", "pledge_floor_notice", "pledge_release_order"} <= kinds, kinds
    assert len([d for d in documents if d.kind == "pledge_release_order"]) == 4
    assert len(kinds) >= 9, kinds  # and the disbursement and repayment advices
    for document in documents:
        field = document.final_pdf or document.pdf
        assert field, f"{document.kind} {document.pk} has no PDF"
        with field.open("rb") as handle:
            assert handle.read(5) == b"%PDF-", document.kind
    assert ledger_balanced()
    entries = JournalEntry.objects.filter(idempotency_key__regex=rf"^pledge:({loan1}|{loan2}):")
    assert entries.count() == 4  # two disbursements, two repayments
    by_purpose = dict(Posting.objects.filter(entry__in=entries).values_list("account__purpose")
                      .annotate(total=Sum("amount")))
    assert by_purpose["advances"] == 0  # 900,000.00 lent, 900,000.00 repaid
    assert by_purpose["lender_funding"] == Decimal("-900000.00")
    assert sum(by_purpose.values()) == 0, by_purpose
