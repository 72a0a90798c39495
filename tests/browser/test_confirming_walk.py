"""A four-party confirming-warehouse order (保兑仓) by bank acceptance bill, walked in Chromium, with two releases.

The credit officer prepares a four-party agreement (seller core2, distributor dist1, warehouse1 holding the goods
for the lender; release mode 2, margin ratio 0.30) and sends it to credit review; a second officer approves it;
dist1, core2, warehouse1 and the lender's operations sign it with their passwords, and it is active. dist1
applies for an order of two lines, core2 confirms it, the credit officer approves it; operations record the
initial margin on the order's page, which issues the margin deposit receipt; operations prepare the funding by
acceptance bill, a second operations user releases it (maker-checker) and core2 confirms it received the bill.
Two further margin payments each let dist1 ask for a release within what the page shows releasable (a release
above it is refused with the page's message); operations issue the release notice (提货通知书), core2 gives its
delivery notice (发货通知书) and warehouse1, which holds the goods, confirms them delivered line by line.

core2 and dist1 trade with each other in the demo and have no agreement together; dist1's confirming facility
(12,000,000.00, 8,000,000.00 reserved by its agreement with core1) and core2's guarantee line (10,000,000.00)
both cover a limit of 1,000,000.00, which one credit officer approves (the default matrix: credit officer
alone up to 1,000,000.00).

Figures by hand (DESIGN §5, m = 0.30, mode 2: allowance = round_down((M − M0) / (1 − m)), releasable = allowance − D):

* lines: 100 units × 6,000.00 = 600,000.00 and 50 units × 8,000.00 = 400,000.00; P = 1,000,000.00;
  M0 = round(1,000,000.00 × 0.30) = 300,000.00; the bill's face is P = 1,000,000.00;
* initial margin paid: M = 300,000.00; allowance round_down(0.00 / 0.70) = 0.00; releasable 0.00;
  exposure P − M = 700,000.00;
* + 140,000.00: M = 440,000.00; allowance round_down(140,000.00 / 0.70) = 200,000.00; D = 0.00, releasable
  200,000.00; 200,000.01 is refused; release 1 of 200,000.00: D = 200,000.00, releasable 0.00;
  its delivery notice: 20 units × 6,000.00 = 120,000.00 and 10 units × 8,000.00 = 80,000.00 = 200,000.00,
  all delivered: delivered 200,000.00;
* + 70,000.00: M = 510,000.00; allowance round_down(210,000.00 / 0.70) = 300,000.00; releasable
  300,000.00 − 200,000.00 = 100,000.00; release 2 of 100,000.00: D = 300,000.00, releasable 0.00;
  its delivery notice: 10 units (60,000.00) and 5 units (40,000.00) = 100,000.00, all delivered: 300,000.00;
  exposure P − M = 490,000.00; delivered 30 and 15 units of 100 and 50.

Ledger by hand: margin receipts 300,000.00 + 140,000.00 + 70,000.00 = 510,000.00 into the collection account
against dist1's margin account; the bill's off-balance pair of 1,000,000.00 (dist1's contingent liability
against the lender's acceptances outstanding); M0 = 300,000.00 moved from the margin to the frozen margin:
margin −210,000.00, frozen margin −300,000.00, collection +510,000.00.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Sum

from documents.models import Document
from scf.ledger.models import JournalEntry, Posting
from scf.money import add_business_days
from tests.pledge.drawdown_setup import ledger_balanced
from workflows.confirming import maturity
from workflows.confirming.models import (
    ConfirmingAgreement,
    MarginPayment,
    PurchaseOrder,
    RefundDemand,
    ReleaseRequest,
)

from .confirming_steps import (
    _badge,
    _margin,
    _open_order,
    apply_for_order,
    approve,
    fund,
    prepare_agreement,
    sign_agreement,
    wait_for_document,
)
from .conftest import screenshot_dir
from .test_agreement_walk import _pdf_text
from .test_factoring_walk import _expect, _fact, _open_task
from .test_pledge_walk import _kv, _off_the_browser_thread, _reload_until

pytestmark = pytest.mark.django_db(transaction=True)

RELEASE = re.compile(r"CWR-\d{4}-\d{5}")
BUCKETS = "液压挖掘机铲斗 Excavator bucket"
CYLINDERS = "液压油缸总成 Hydraulic cylinder assembly"
LINES = [(BUCKETS, "件", "100", "6000.00"), (CYLINDERS, "台", "50", "8000.00")]


def _position(page, *, margin: str, allowed: str, released: str, delivered: str, releasable: str) -> None:
    """The release figures as the page shows them (the "Releasable now" card)."""
    expect = _expect()
    expect(_kv(page, "releasable", "Order amount (P)")).to_have_text("CNY 1,000,000.00")
    expect(_kv(page, "releasable", "Initial margin (M0)")).to_have_text("CNY 300,000.00")
    expect(_kv(page, "releasable", "Margin paid (M)")).to_have_text(f"CNY {margin}")
    expect(_kv(page, "releasable", "The mode allows out in all")).to_contain_text(f"CNY {allowed}")
    expect(_kv(page, "releasable", "Released or requested (D)")).to_have_text(f"CNY {released}")
    expect(_kv(page, "releasable", "Delivered")).to_have_text(f"CNY {delivered}")
    expect(_kv(page, "releasable", "Releasable now")).to_have_text(f"CNY {releasable}")


def _release(distributor, ops, seller, warehouse, order: str, value: str, quantities: dict[str, str], shoot,
             step: str) -> str:
    """dist1 asks, operations issue the release notice, core2 gives its delivery notice, warehouse1 delivers."""
    expect = _expect()
    _open_order(distributor, order)
    distributor.locator("#releases").get_by_role("link", name="Request a release").click()
    distributor.get_by_label("Value of the goods to release").fill(value)
    distributor.get_by_role("button", name="Request the release").click()
    expect(distributor.locator(".messages")).to_contain_text(
        "requested: the lender's operations issue the release notice next.")
    reference = RELEASE.search(distributor.get_by_role("heading", level=1).inner_text()).group()
    expect(_badge(distributor)).to_have_text("Requested")
    shoot(distributor, f"{step}-requested")

    _open_task(ops, reference, "Issue the release notice")
    ops.get_by_label("I have checked the margin paid and the value above").check()
    shoot(ops, f"{step}-notice")
    ops.get_by_role("button", name="Issue the release notice").click()
    expect(ops.locator(".messages")).to_contain_text(f"The release notice of {reference} is issued")

    _open_task(seller, reference, "Give the delivery notice")
    for goods, quantity in quantities.items():
        seller.locator("form tbody tr").filter(has_text=goods).locator("input").fill(quantity)
    shoot(seller, f"{step}-delivery-notice")
    seller.get_by_role("button", name="Give the delivery notice").click()
    expect(seller.locator(".messages")).to_contain_text(f"The delivery notice of {reference} is given")

    _open_task(warehouse, reference, "Confirm the goods delivered")
    for goods, quantity in quantities.items():
        expect(warehouse.locator("form tbody tr").filter(has_text=goods).locator("input")).to_have_value(
            f"{Decimal(quantity):.3f}")
    shoot(warehouse, f"{step}-deliver")
    warehouse.get_by_role("button", name="Confirm the goods delivered").click()
    expect(warehouse.locator(".messages")).to_contain_text(f"Release {reference} delivered.")
    return reference


def _language(page, code: str) -> None:
    with page.expect_navigation():
        page.locator("select[name=language]").select_option(code)


def _open_order_zh(page, reference: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name="保兑仓订单", exact=True).first.click()
    page.get_by_role("link", name=reference, exact=True).click()
    _expect()(page.get_by_role("heading", level=1)).to_contain_text(reference)


def _pdf_of(page, row, name: str, shoot, *, must_read: tuple[str, ...]) -> None:
    """Open the document of a documents row, fetch its PDF as the user, check its text and render its pages."""
    row.get_by_role("link").first.click()
    _expect()(page.locator("p.sub")).to_contain_text("CW")
    link = page.locator("a.btn", has_text=re.compile("Download PDF|下载 PDF"))
    _reload_until(page, link)
    shoot(page, f"{name}-page")
    response = page.request.get(link.get_attribute("href"))
    assert response.ok and response.body()[:5] == b"%PDF-", name
    folder = screenshot_dir()
    path = folder / f"confirming_walk-{name}.pdf"
    path.write_bytes(response.body())
    text = "".join(_pdf_text(path).split())
    for words in must_read:
        assert "".join(words.split()) in text, (name, words)
    for stale in folder.glob(f"confirming_walk-{name}-*.png"):
        stale.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(folder / f"confirming_walk-{name}")], check=True)
    assert sorted(folder.glob(f"confirming_walk-{name}-*.png")), name


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs poppler-utils (pdftoppm, pdftotext)")
def test_a_four_party_order_by_acceptance_bill_with_two_releases(today, login, shoot, demo):
    expect = _expect()
    password = demo

    # 1. The credit officer prepares the four-party agreement and sends it to credit review.
    officer = login("officer")
    agreement = prepare_agreement(officer, shoot, form="four_party", warehouse="warehouse1", limit="1000000.00",
                                  note="Air conditioners bought from core2, held by warehouse1.")

    # 2. A second credit officer approves it: the limit is reserved, the agreement issued for signing.
    approve(login("officer2"), agreement, "Credit review of the confirming-warehouse agreement")

    # 3. Every party signs the four-party agreement; it is active once all have.
    distributor = login("dist1")
    seller = login("core2")
    warehouse = login("warehouse1")
    ops = login("ops")
    sign_agreement(agreement, [(distributor, "dist1", "distributor"), (seller, "core2", "seller"),
                               (warehouse, "warehouse1", "warehouse"), (ops, "ops", "lender")], password, shoot)

    # 4. dist1 applies for an order of two lines and sends it to core2, which confirms it.
    order = apply_for_order(distributor, seller, agreement, shoot, route="acceptance_bill",
                            seller_order_number="NF-SO-2026-0777", lines=LINES,
                            saved="saved: P = CNY 1,000,000.00, initial margin 300,000.00.")

    # 5. Credit review of the order (1,000,000.00: one credit officer).
    approve(officer, order, "Credit review of the purchase order")

    # 6. The initial margin arrives from the bank; operations record it and its deposit receipt is issued.
    _open_order(ops, order)
    expect(_badge(ops)).to_have_text("Awaiting the initial margin")
    expect(ops.locator("#margin .alert")).to_contain_text("CNY 300,000.00")
    _margin(ops, order, "300000.00", "CWM-WALK-001", today, shoot, "initial")
    expect(_badge(ops)).to_have_text("Awaiting funding")
    wait_for_document(ops, ops.locator("#documents tbody tr").filter(has_text="CWMR-"))  # in dist1's language

    # 7. Operations prepare the acceptance bill; a second operations user releases it; core2 confirms the bill.
    fund(ops, login("ops2"), seller, order, shoot, bill_number="BAC-WALK-000777", facts={
        "Order amount (P)": "CNY 1,000,000.00", "Margin frozen": "CNY 300,000.00"})
    _open_order(distributor, order)
    expect(_badge(distributor)).to_have_text("Funded")
    expect(_fact(distributor, "Acceptance bill number")).to_have_text("BAC-WALK-000777")
    expect(_fact(distributor, "Bill face")).to_have_text("CNY 1,000,000.00")
    expect(_fact(distributor, "Exposure (P − M)")).to_have_text("CNY 700,000.00")
    expect(distributor.locator("#releases")).to_contain_text("Releasable now: CNY 0.00")
    expect(distributor.locator("#releases").get_by_role("link", name="Request a release")).to_be_visible()
    shoot(distributor, "funded")

    # 8. +140,000.00 of margin: 200,000.00 releasable; more is refused, exactly that is let out.
    _margin(ops, order, "140000.00", "CWM-WALK-002", today, shoot, "second")
    _open_order(distributor, order)
    expect(distributor.locator("#releases")).to_contain_text("Releasable now: CNY 200,000.00")
    distributor.locator("#releases").get_by_role("link", name="Request a release").click()
    _position(distributor, margin="440,000.00", allowed="200,000.00", released="0.00", delivered="0.00",
              releasable="200,000.00")
    expect(distributor.locator("main")).to_contain_text("At most CNY 200,000.00 now.")
    distributor.get_by_label("Value of the goods to release").fill("200000.01")
    distributor.get_by_role("button", name="Request the release").click()
    expect(distributor.locator(".errorlist")).to_contain_text(
        f"At most 200,000.00 can be released now on order {order} (the margin paid allows 200,000.00, 0.00 is "
        "released or requested); 200,000.01 was asked.")
    shoot(distributor, "above-allowance")
    assert not ReleaseRequest.objects.filter(order__reference=order).exists()

    release1 = _release(distributor, ops, seller, warehouse, order, "200000.00", {BUCKETS: "20", CYLINDERS: "10"},
                        shoot, "release1")
    distributor.goto(distributor.url)
    expect(_badge(distributor)).to_have_text("Delivered")
    _position(distributor, margin="440,000.00", allowed="200,000.00", released="200,000.00",
              delivered="200,000.00", releasable="0.00")
    shoot(distributor, "release1-delivered")

    # 9. +70,000.00 of margin: 100,000.00 more releasable; release 2.
    _margin(ops, order, "70000.00", "CWM-WALK-003", today, shoot, "third")
    _open_order(distributor, order)
    distributor.locator("#releases").get_by_role("link", name="Request a release").click()
    _position(distributor, margin="510,000.00", allowed="300,000.00", released="200,000.00",
              delivered="200,000.00", releasable="100,000.00")
    release2 = _release(distributor, ops, seller, warehouse, order, "100000.00", {BUCKETS: "10", CYLINDERS: "5"},
                        shoot, "release2")
    distributor.goto(distributor.url)
    _position(distributor, margin="510,000.00", allowed="300,000.00", released="300,000.00",
              delivered="300,000.00", releasable="0.00")

    _open_order(distributor, order)
    expect(_fact(distributor, "Margin paid (M)")).to_have_text("CNY 510,000.00")
    expect(_fact(distributor, "Exposure (P − M)")).to_have_text("CNY 490,000.00")
    releases = distributor.locator("#releases")
    for reference in (release1, release2):
        expect(releases.locator("tbody tr").filter(has_text=reference).locator(".badge")).to_have_text("Delivered")
    expect(releases.locator("tbody tr").filter(has_text=BUCKETS).last).to_contain_text("30 件")
    expect(releases.locator("tbody tr").filter(has_text=CYLINDERS).last).to_contain_text("15 台")
    shoot(distributor, "two-releases")

    # 10. The order and a release in Chinese, as the lender's operations read them.
    with ops.expect_navigation():
        ops.get_by_label("Language").select_option("zh-hans")
    ops.get_by_role("navigation").get_by_role("link", name="保兑仓订单", exact=True).first.click()
    ops.get_by_role("link", name=order, exact=True).click()
    expect(_badge(ops)).to_have_text("已放款")
    expect(ops.locator("#releases h2")).to_have_text("提货")  # goods out, not the pledge's 解押
    expect(ops.locator("#releases")).to_contain_text("当前可提货价值：CNY 0.00")
    expect(ops.locator("#documents tbody tr").filter(has_text="CWDA-")).to_contain_text("放款通知书")
    expect(ops.locator("#documents tbody tr").filter(has_text="CWDA-")).not_to_contain_text("保理")
    shoot(ops, "zh-order")
    ops.locator("#releases").get_by_role("link", name=release2, exact=True).click()
    expect(ops.get_by_role("heading", level=1)).to_contain_text(release2)
    expect(ops.locator("#release h2")).to_contain_text(f"提货 {release2}")
    expect(ops.locator("#releasable h2")).to_have_text("当前可提货")
    expect(_kv(ops, "releasable", "当前可提货")).to_have_text("CNY 0.00")
    shoot(ops, "zh-release")
    ops.locator("p.sub").get_by_role("link", name=order, exact=True).click()  # back to the order
    expect(ops.get_by_role("heading", level=1)).to_contain_text(order)

    # 11. Every document so far is a real PDF, and every ledger entry balances.
    record = PurchaseOrder.objects.get(reference=order)
    assert record.agreement.state == ConfirmingAgreement.State.ACTIVE
    assert record.agreement.form == ConfirmingAgreement.Form.FOUR_PARTY and record.agreement.release_mode == 2
    assert (record.order_amount, record.initial_margin, record.margin_paid, record.released_value) == (
        Decimal("1000000.00"), Decimal("300000.00"), Decimal("510000.00"), Decimal("300000.00"))
    objects = [record.agreement, record, *MarginPayment.objects.filter(order=record),
               *ReleaseRequest.objects.filter(order=record)]
    documents = [document for obj in objects for document in Document.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)]
    kinds = [document.kind for document in documents]
    assert sorted(kinds) == sorted(["confirming_agreement", "confirming_disbursement_advice",
                                    *["confirming_margin_receipt"] * 3, *["confirming_release_notice"] * 2,
                                    *["confirming_delivery_notice"] * 2]), kinds
    for document in documents:
        field = document.final_pdf or document.pdf
        assert field, f"{document.kind} {document.pk} has no PDF"
        with field.open("rb") as handle:
            assert handle.read(5) == b"%PDF-", document.kind
    assert ledger_balanced()
    entries = JournalEntry.objects.filter(idempotency_key__startswith=f"confirming:{order}:")
    assert entries.count() == 5  # three margin receipts, the bill, the margin frozen
    by_purpose = dict(Posting.objects.filter(entry__in=entries).values_list("account__purpose")
                      .annotate(total=Sum("amount")))
    assert by_purpose == {"debtor_collection": Decimal("510000.00"), "margin": Decimal("-210000.00"),
                          "margin_frozen": Decimal("-300000.00"), "acceptance_contingent": Decimal("1000000.00"),
                          "acceptances_outstanding": Decimal("-1000000.00")}, by_purpose

    # 12. The refund notice job on its day, k = 5 business days before maturity (the bill's 180 days).
    assert record.maturity_date == record.funded_on + datetime.timedelta(days=180)
    notice_day = maturity.refund_notice_date(record)
    assert notice_day == add_business_days(record.maturity_date, -5) and notice_day > today
    # (The demo's own funded order, released the same day, is demanded on the same day too.)
    _off_the_browser_thread(lambda: maturity.open_refund_demands(notice_day - datetime.timedelta(days=1)))
    assert not RefundDemand.objects.filter(order=record).exists()  # the day before: not yet
    assert _off_the_browser_thread(lambda: maturity.open_refund_demands(notice_day)) >= 1
    assert _off_the_browser_thread(lambda: maturity.open_refund_demands(notice_day)) == 0  # once
    assert RefundDemand.objects.filter(order=record).count() == 1

    # 13. core2 finds the notice in its tasks, reads the refund notice (差额退款通知书) and acknowledges it.
    _open_task(seller, order, "Acknowledge the refund notice and pay the shortfall")
    card = seller.locator("#maturity")
    expect(_fact(card, "Shortfall to refund (S = P − M)")).to_have_text("CNY 490,000.00")
    expect(_fact(card, "Refund still due")).to_contain_text("CNY 490,000.00")
    expect(card.locator(".alert")).to_contain_text(
        f"Your refund of CNY 490,000.00 is due by {record.maturity_date:%Y-%m-%d}")
    expect(card.locator(".alert")).to_contain_text("you buy back from the warehouse")
    notice_row = card.locator("tbody tr").filter(has_text="CWRF-")
    _reload_until(seller, notice_row)
    expect(notice_row).to_contain_text(notice_day.isoformat())
    expect(notice_row).to_contain_text(record.maturity_date.isoformat())
    shoot(seller, "refund-task")
    # In core2's language, English (its notice, like its other documents).
    _pdf_of(seller, notice_row, "refund-notice", shoot, must_read=("REFUND NOTICE", "490,000.00", order))
    seller.go_back()
    seller.get_by_label("I have checked the details above").check()
    seller.get_by_role("button", name="Acknowledge").click()
    expect(seller.locator(".messages")).to_contain_text(
        f"Refund notice of {order} acknowledged: the lender awaits the payment.")

    # 14. core2's refund S = 490,000.00 arrives; operations (reading Chinese) record it on the order's page.
    _open_order_zh(ops, order)
    expect(_badge(ops)).to_have_text("已发差额退款通知")
    maturity_card = ops.locator("#maturity")
    expect(maturity_card).to_contain_text("卖方已确认知悉")
    form = ops.locator("#refund-form")
    expect(form.get_by_label("退款金额")).to_have_value("490000.00")
    form.get_by_label("起息日").fill(today.isoformat())
    form.get_by_label("银行流水号").fill("CWRF-WALK-001")
    shoot(ops, "zh-refund-form")
    form.get_by_role("button", name="登记退款").click()
    expect(ops.locator(".messages")).to_contain_text(f"已登记{order}的退款")
    expect(_fact(maturity_card, "卖方已退款")).to_have_text("CNY 490,000.00")
    expect(_fact(maturity_card, "卖方回购货物")).to_have_text("CNY 490,000.00")
    expect(_fact(maturity_card, "结清日")).to_have_text("尚未结清")
    expect(maturity_card.locator("tbody tr").filter(has_text="CWRF-").locator(".badge")).to_have_text("已支付")
    expect(ops.locator("#releases")).to_contain_text("当前可提货价值：CNY 210,000.00")
    shoot(ops, "zh-refund-recorded")

    # 15. The goods worth 490,000.00 not released are bought back by core2; dist1 takes out the rest the margin
    #     paid for: 510,000.00 − 300,000.00 = 210,000.00 (15 units × 6,000.00 + 15 units × 8,000.00).
    _open_order(distributor, order)
    distributor.locator("#releases").get_by_role("link", name="Request a release").click()
    _position(distributor, margin="510,000.00", allowed="510,000.00", released="300,000.00",
              delivered="300,000.00", releasable="210,000.00")
    _language(ops, "en")
    release3 = _release(distributor, ops, seller, warehouse, order, "210000.00", {BUCKETS: "15", CYLINDERS: "15"},
                        shoot, "release3")
    _open_order(distributor, order)
    expect(_badge(distributor)).to_have_text("Refund demanded")
    expect(distributor.locator("#maturity")).to_contain_text(
        "Before the order closes: the loan or the bill is not yet settled.")
    shoot(distributor, "before-maturity")

    # 16. At maturity the settlement job pays the bill (M0 300,000.00 frozen + 210,000.00 margin + 490,000.00
    #     refund = 1,000,000.00) and reverses its off-balance pair; the order closes with the settlement advice.
    _off_the_browser_thread(lambda: maturity.settle_matured(record.maturity_date - datetime.timedelta(days=1)))
    record.refresh_from_db()
    assert record.settled_on is None  # the bill is paid at its maturity, not the day before
    assert _off_the_browser_thread(lambda: maturity.settle_matured(record.maturity_date)) == 1
    _open_order(distributor, order)
    expect(_badge(distributor)).to_have_text("Closed")
    expect(_fact(distributor.locator("#maturity"), "Settled on")).to_have_text(record.maturity_date.isoformat())
    expect(_fact(distributor.locator("#maturity"), "Goods bought back by the seller")).to_have_text("CNY 490,000.00")
    advice_row = distributor.locator("#documents tbody tr").filter(has_text="CWSA-")
    _reload_until(distributor, advice_row)
    shoot(distributor, "closed")
    _pdf_of(distributor, advice_row, "settlement-advice", shoot,
            must_read=("结清通知书", "卖方回购货物", "490,000.00", "1,000,000.00", order))
    _language(ops, "zh-hans")
    _open_order_zh(ops, order)
    expect(_badge(ops)).to_have_text("已关闭")
    expect(_fact(ops.locator("#maturity"), "结清日")).to_have_text(record.maturity_date.isoformat())
    expect(_fact(ops.locator("#maturity"), "卖方回购货物")).to_have_text("CNY 490,000.00")
    expect(ops.locator("#documents tbody tr").filter(has_text="CWSA-")).to_contain_text("结清通知书")
    expect(ops.locator("#documents tbody tr").filter(has_text="CWSA-")).not_to_contain_text("保理")
    expect(ops.locator("#releases th").first).to_have_text("提货申请")
    expect(ops.locator("#releases")).to_contain_text("货物")
    expect(ops.locator("main")).not_to_contain_text("质物")  # the goods are not pledged here
    shoot(ops, "zh-closed")

    # 17. Every document of the closed file is a real PDF, and every ledger entry balances.
    record.refresh_from_db()
    assert record.state == PurchaseOrder.State.CLOSED
    assert (record.refund_paid, record.goods_kept_value, record.released_value, record.delivered_value,
            record.settled_on) == (Decimal("490000.00"), Decimal("490000.00"), Decimal("510000.00"),
                                   Decimal("510000.00"), record.maturity_date)
    demand = RefundDemand.objects.get(order=record)
    assert (demand.amount, demand.state, demand.acknowledged_by.username) == (
        Decimal("490000.00"), RefundDemand.State.PAID, "core2")
    objects = [record.agreement, record, demand, *MarginPayment.objects.filter(order=record),
               *ReleaseRequest.objects.filter(order=record)]
    documents = [document for obj in objects for document in Document.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)]
    kinds = [document.kind for document in documents]
    assert sorted(kinds) == sorted(["confirming_agreement", "confirming_disbursement_advice",
                                    "confirming_refund_notice", "confirming_settlement_advice",
                                    *["confirming_margin_receipt"] * 3, *["confirming_release_notice"] * 3,
                                    *["confirming_delivery_notice"] * 3]), kinds
    for document in documents:
        field = document.final_pdf or document.pdf
        assert field, f"{document.kind} {document.pk} has no PDF"
        with field.open("rb") as handle:
            assert handle.read(5) == b"%PDF-", document.kind
    assert ledger_balanced()
    entries = JournalEntry.objects.filter(idempotency_key__startswith=f"confirming:{order}:")
    assert entries.count() == 8  # and the refund, the bill paid, its off-balance pair reversed
    by_purpose = dict(Posting.objects.filter(entry__in=entries).values_list("account__purpose")
                      .annotate(total=Sum("amount")))
    # collection +510,000.00 + 490,000.00 − 1,000,000.00 = 0; margin −210,000.00 + 210,000.00 = 0; frozen margin
    # −300,000.00 (dist1) − 490,000.00 (core2) + 300,000.00 + 490,000.00 = 0; the off-balance pair ± 1,000,000.00 = 0.
    assert by_purpose == {"debtor_collection": Decimal("0.00"), "margin": Decimal("0.00"),
                          "margin_frozen": Decimal("0.00"), "acceptance_contingent": Decimal("0.00"),
                          "acceptances_outstanding": Decimal("0.00")}, by_purpose
    assert release3 in {release.reference for release in ReleaseRequest.objects.filter(order=record)}
