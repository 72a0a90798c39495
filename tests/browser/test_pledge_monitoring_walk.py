"""Pledge monitoring walked in Chromium: a price drop puts the demo's agreement in the margin call zone (跌价补偿).

The clock is set to Monday 2026-12-07 10:00 (Asia/Shanghai) before the demo is seeded, so that the deadline and
the interest can be worked by hand. dist1's active agreement PLA-2026-00001 in the demo (r 0.60, call line 0.70,
liquidation line 0.80, 3 business days to cure): 120.500 t of copper cathode at 68,450.00 and 40 EV battery packs
at 12,800.00; V = 8,248,225.00 + 512,000.00 = 8,760,225.00; the loan of 2,000,000.00 paid out and 300,000.00
repaid the same day: E = 1,700,000.00, LTV 0.194059 (normal).

Operations enter copper at 14,000.00 and the risk manager approves it:
V = 120.5 × 14,000.00 + 512,000.00 = 1,687,000.00 + 512,000.00 = 2,199,000.00;
LTV = 1,700,000 / 2,199,000 = 0.773078… ≥ 0.70 (and < 0.80): margin call;
K = E − V × r = 1,700,000.00 − 2,199,000.00 × 0.60 = 1,700,000.00 − 1,319,400.00 = 380,600.00;
deadline: 3 business days after Mon 2026-12-07 = Thu 2026-12-10; goods that cure alone (up to the unit's step):
copper 380,600 / (14,000 × 0.60) = 380,600 / 8,400 = 45.3095… → 45.310 t,
batteries 380,600 / (12,800 × 0.60) = 380,600 / 7,680 = 49.557… → 50 pieces.

Case 1 (cured): a cash margin of 100,000.00: E = 1,600,000.00, LTV = 1,600,000 / 2,199,000 = 0.727603… ≥ 0.70:
partly met, K = 1,600,000.00 − 1,319,400.00 = 280,600.00. Then 10.000 t more copper confirmed by the
warehouse: V = 2,199,000.00 + 140,000.00 = 2,339,000.00, LTV = 1,600,000 / 2,339,000 = 0.684053… < 0.70: cured.

Case 2 (default): nothing is paid; the daily expiry runs for Fri 2026-12-11, the day after the deadline:
the call defaults, the agreement is in default and a disposal is opened. Operations enter the sale of the goods
on 2026-12-11 for 2,500,000.00 with 50,000.00 of costs; the loan's interest (4.85 % a year, ACT/360) on
1,700,000.00 from 2026-12-07 to 2026-12-11, 4 days: 1,700,000.00 × 0.0485 × 4 / 360 = 329,800 / 360 = 916.11;
applied: costs 50,000.00, interest 916.11, principal 1,700,000.00;
surplus to the pledgor = 2,500,000.00 − 50,000.00 − 916.11 − 1,700,000.00 = 749,083.89; shortfall 0.00.
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from tests.pledge.drawdown_setup import ledger_balanced
from workflows.pledge.margin_calls import margin_calls_expire_daily
from workflows.pledge.models import PledgeAgreement, PledgeDisposal, PledgeMarginCall

from .conftest import screenshot_dir
from .test_factoring_walk import _expect, _nav
from .test_pledge_walk import _bring_in, _off_the_browser_thread, _open_agreement, _reload_until

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftoppm, pdftotext)")]

D = Decimal
MONDAY = datetime.date(2026, 12, 7)
DEADLINE = datetime.date(2026, 12, 10)
AGREEMENT = "PLA-2026-00001"
COPPER = "CU · Copper cathode"


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, 0), tzinfo=ZoneInfo(settings.TIME_ZONE))


@pytest.fixture
def monday():
    """The server's clock on Monday 2026-12-07 10:00, ticking; ask for it before the demo is seeded."""
    with time_machine.travel(_at(MONDAY), tick=True):
        yield MONDAY


def _price_drop(login, shoot) -> tuple:
    """Operations enter copper at 14,000.00, the risk manager approves it: the call opens. Return (ops, call)."""
    expect = _expect()
    ops = login("ops")
    _nav(ops, "Commodity prices")
    form = ops.locator("form.stack")
    form.locator("select[name=commodity]").select_option(label=COPPER)
    form.locator("input[name=price]").fill("14000.00")
    form.locator("select[name=source]").select_option("exchange")
    form.locator("input[name=reference]").fill("SHFE CU settlement 2026-12-07")
    form.locator("button[type=submit]").click()
    expect(ops.locator(".messages")).to_contain_text("a second person must approve it.")
    assert not PledgeMarginCall.objects.exists()  # a proposed price values nothing

    risk = login("risk")
    _nav(risk, "Commodity prices")
    row = risk.locator("tbody tr").filter(has_text="14,000.00").filter(has_text="Proposed")
    row.get_by_role("button", name="Approve").click()
    expect(risk.locator(".messages")).to_contain_text("Price of Copper cathode approved")
    expect(risk.locator("#current-CU")).to_contain_text("14,000.00")
    shoot(risk, "price-approved")
    call = PledgeMarginCall.objects.get(agreement__reference=AGREEMENT)
    assert (call.value_at_opening, call.exposure_at_opening, call.ltv_at_opening) == (
        D("2199000.00"), D("1700000.00"), D("0.773079"))
    assert (call.state, call.cure_amount, call.opened_on, call.deadline) == (
        PledgeMarginCall.State.ISSUED, D("380600.00"), MONDAY, DEADLINE)
    return ops, risk, call


def _notice_pdf(page, call, shoot, name: str) -> str:
    """The pledgor opens the call's notice and fetches its PDF: return its text (spaces removed)."""
    expect = _expect()
    documents = page.locator("#documents")
    link = documents.locator("tbody tr a").first
    _reload_until(page, documents.locator("tbody tr a"))
    link.click()
    download = page.locator("a.btn", has_text="Download PDF")
    _reload_until(page, download)
    shoot(page, f"{name}-page")
    response = page.request.get(download.get_attribute("href"))
    assert response.ok and response.body()[:5] == b"%PDF-"
    folder = screenshot_dir()
    path = folder / f"pledge_monitoring_walk-{name}.pdf"
    path.write_bytes(response.body())
    for stale in folder.glob(f"pledge_monitoring_walk-{name}-*.png"):
        stale.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(folder / f"pledge_monitoring_walk-{name}")],
                   check=True)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    expect(page.locator("body")).to_be_visible()
    return "".join(text.split())


def test_a_price_drop_opens_a_call_cured_by_cash_and_extra_goods(monday, login, shoot, demo):
    expect = _expect()
    ops, risk, call = _price_drop(login, shoot)

    # The risk manager sees the call on the collateral dashboard and on the agreement's page.
    risk.goto("/pledge/dashboard/")
    row = risk.locator("#margin-calls tbody tr").filter(has_text=call.reference)
    expect(row).to_contain_text(AGREEMENT)
    expect(row).to_contain_text("380,600.00")
    expect(row).to_contain_text("2026-12-10")
    expect(risk.locator("#margin-calls")).to_contain_text("Cure amount outstanding: CNY 380,600.00")
    shoot(risk, "dashboard-call")

    # The pledgor opens its agreement, the call and its notice (跌价补偿通知书): K and the deadline are in it.
    pledgor = login("dist1")
    _open_agreement(pledgor, AGREEMENT)
    calls = pledgor.locator("#margin-calls")
    expect(calls.locator("tbody tr").filter(has_text=call.reference)).to_contain_text("380,600.00")
    calls.get_by_role("link", name=call.reference).click()
    expect(pledgor.get_by_role("heading", level=1)).to_contain_text(call.reference)
    expect(pledgor.locator("#figures")).to_contain_text("CNY 380,600.00")
    expect(pledgor.locator("#figures")).to_contain_text("2026-12-10")
    expect(pledgor.locator("#cash-margin")).to_have_count(0)  # the pledgor does not record cash
    ways = pledgor.locator("#figures ul")
    expect(ways).to_contain_text("Additional goods: 45.310 (tonne) of CU · Copper cathode at 14,000.00")
    expect(ways).to_contain_text("Additional goods: 50 (piece) of EVB · EV battery pack at 12,800.00")
    shoot(pledgor, "call-pledgor")
    text = _notice_pdf(pledgor, call, shoot, "notice")
    for words in ("跌价补偿通知书", call.reference, AGREEMENT, "¥2,199,000.00", "¥1,700,000.00", "77.3079%",
                  "¥380,600.00", "2026-12-10日终前", "45.310吨", "50件"):
        assert words in text, (words, text[:2000])

    # Operations record a partial cash margin on the call's page: partly met, K 280,600.00.
    ops.goto(f"/pledge/margin-calls/{call.pk}/")
    cash = ops.locator("#cash-margin")
    cash.get_by_label("Amount").fill("100000.00")
    cash.get_by_label("Bank reference").fill("CN-TT-MARGIN-001")
    cash.get_by_label("Received on").fill("2026-12-07")
    cash.get_by_role("button", name="Record the cash margin").click()
    expect(ops.locator(".messages")).to_be_visible()
    expect(ops.get_by_role("heading", level=1).locator(".badge")).to_have_text("Partly met")
    expect(ops.locator("#figures")).to_contain_text("CNY 280,600.00")
    shoot(ops, "partly-met")
    call.refresh_from_db()
    assert (call.state, call.cure_amount) == (PledgeMarginCall.State.PARTLY_MET, D("280600.00"))
    assert PledgeAgreement.objects.get(reference=AGREEMENT).cash_margin == D("100000.00")

    # The pledgor brings 10.000 t more copper, counted and confirmed by the warehouse: the call is cured.
    warehouse = login("warehouse1")
    _bring_in(pledgor, warehouse, ops, AGREEMENT, [
        {"kind": "receipt", "number": "MC-WR-001", "quantity": "10.000", "issued_on": "2026-12-07"},
    ], demo, shoot, "more-goods")
    call.refresh_from_db()
    assert (call.state, call.cure_amount) == (PledgeMarginCall.State.CURED, D("0.00"))
    ops.goto(f"/pledge/margin-calls/{call.pk}/")
    expect(ops.get_by_role("heading", level=1).locator(".badge")).to_have_text("Cured")
    expect(ops.locator("#cash-margin")).to_have_count(0)
    shoot(ops, "cured")
    risk.goto("/pledge/dashboard/")
    expect(risk.locator("#margin-calls tbody tr").filter(has_text=call.reference)).to_have_count(0)

    # The cured call in Chinese, for the pledgor.
    pledgor.goto(f"/pledge/margin-calls/{call.pk}/")
    with pledgor.expect_navigation():
        pledgor.locator("select[name=language]").select_option("zh-hans")
    expect(pledgor.locator("html")).to_have_attribute("lang", "zh-hans")
    shoot(pledgor, "zh-cured")
    assert ledger_balanced()


def test_a_call_past_its_deadline_defaults_and_the_goods_are_sold_with_a_surplus(monday, login, shoot, demo):
    expect = _expect()
    ops, risk, call = _price_drop(login, shoot)

    # The deadline day still cures; the daily job for the day after it defaults the agreement.
    assert _off_the_browser_thread(lambda: margin_calls_expire_daily(DEADLINE)) == 0
    with time_machine.travel(_at(DEADLINE + datetime.timedelta(days=1)), tick=True):
        friday = DEADLINE + datetime.timedelta(days=1)
        assert _off_the_browser_thread(lambda: margin_calls_expire_daily(friday)) == 1
        call.refresh_from_db()
        assert call.state == PledgeMarginCall.State.DEFAULT
        agreement = PledgeAgreement.objects.get(reference=AGREEMENT)
        assert agreement.state == PledgeAgreement.State.DEFAULTED and call.reference in agreement.default_reason
        disposal = PledgeDisposal.objects.get(agreement=agreement)

        ops = login("ops")
        _open_agreement(ops, AGREEMENT)
        expect(ops.get_by_role("heading", level=1).locator(".badge")).to_have_text("In default")
        shoot(ops, "defaulted")
        ops.goto(f"/pledge/disposals/{disposal.pk}/")
        expect(ops.locator("#default")).to_contain_text("CNY 1,700,000.00")
        actions = ops.locator("#actions")
        actions.get_by_label("Method of sale").select_option("auction")
        actions.get_by_label("Buyer").fill("Shanghai Metals Trading Co.")
        actions.get_by_label("Sale date").fill("2026-12-11")
        actions.get_by_label("Gross proceeds").fill("2500000.00")
        actions.get_by_label("Costs of sale").fill("50000.00")
        shoot(ops, "sale-form")
        actions.get_by_role("button", name="Enter the sale").click()
        sale = ops.locator("#sale")
        expect(sale).to_contain_text("CNY 749,083.89")
        expect(ops.locator("#actions")).to_contain_text("You entered this sale; a second person must approve it.")
        expect(ops.get_by_role("button", name="Approve and settle")).to_have_count(0)
        shoot(ops, "sale-entered")

        ops2 = login("ops2")
        ops2.goto(f"/pledge/disposals/{disposal.pk}/")
        ops2.get_by_role("button", name="Approve and settle").click()
        expect(ops2.get_by_role("heading", level=1).locator(".badge")).to_have_text("Settled")
        for row, figure in [("To costs of sale", "CNY 50,000.00"), ("To interest", "CNY 916.11"),
                            ("To principal", "CNY 1,700,000.00"), ("Surplus to the pledgor", "CNY 749,083.89"),
                            ("Shortfall remaining", "CNY 0.00")]:
            expect(ops2.locator("#sale tr").filter(has_text=row).locator("td")).to_contain_text(figure)
        shoot(ops2, "settled")
        with ops2.expect_navigation():
            ops2.locator("select[name=language]").select_option("zh-hans")
        expect(ops2.locator("html")).to_have_attribute("lang", "zh-hans")
        shoot(ops2, "zh-settled")

    disposal.refresh_from_db()
    assert (disposal.state, disposal.applied_costs, disposal.applied_interest, disposal.applied_principal,
            disposal.surplus, disposal.shortfall) == (PledgeDisposal.State.SETTLED, D("50000.00"), D("916.11"),
                                                      D("1700000.00"), D("749083.89"), D("0.00"))
    agreement = PledgeAgreement.objects.get(reference=AGREEMENT)
    # Principal repaid in full from the proceeds: the agreement closes with the surplus returned.
    assert (agreement.state, agreement.principal_outstanding) == (PledgeAgreement.State.CLOSED, D("0.00"))
    assert ledger_balanced()
