"""A three-party confirming-warehouse loan order unpaid at maturity: the lender's advance (垫款), walked in Chromium.

Through the pages, as in test_confirming_walk.py (the steps are in confirming_steps.py): the credit officer
prepares a THREE-party agreement (the lender, core2 as seller, dist1 as distributor; no warehouse: core2 keeps the
goods and delivers them itself; margin ratio 0.30, release mode 2, 4.50% a year) and sends it to credit review; a
second officer approves it; dist1, core2 and the lender's operations sign it (no warehouse signs), and it is active.
dist1 applies for a LOAN order of 1,000 t of rebar, core2 confirms it, the credit officer approves it, operations
record the initial margin, prepare the funding by loan, a second operations user releases it (maker-checker) and
core2 confirms it received the money; operations record 100,000.00 more margin on the order's page.

Figures by hand (DESIGN §5, m = 0.30):

* P = 1,000 t × 1,000.00 = 1,000,000.00; M0 = round(1,000,000.00 × 0.30) = 300,000.00;
* the loan pays core2 P: M0 = 300,000.00 from dist1's margin and P − M0 = 700,000.00 lent; exposure
  P − M = 1,000,000.00 − 300,000.00 = 700,000.00;
* + 100,000.00 of margin: M = 400,000.00, exposure P − M = 600,000.00; mode 2 lets out
  round_down((M − M0) / (1 − m)) = round_down(100,000.00 / 0.70) = round_down(142,857.142…) = 142,857.14,
  none of it asked for (the walk goes on to maturity without a release).

With the clock frozen on the refund notice day and then on maturity, the daily jobs are called as the scheduler
would: the refund notice of S = P − M = 600,000.00 goes to core2, which does not pay; at maturity the advance job
advances 600,000.00 (700,000.00 lent − 100,000.00 margin beyond M0), the refund demand lapses and the facilities
of dist1 and core2 are frozen.

In the browser: dist1 reads the advance card and opens the advance notice (垫款通知书, a real PDF); operations
record the repayment of 600,000.00 on the day of the advance (no penalty day has passed: 0.00) on the order's
page; the file closes with the advance settlement advice, and the page says the facilities stay frozen.
"""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection

from documents.models import Document
from scf.facilities.models import CreditFacility
from scf.ledger.models import JournalEntry, Posting
from scf.parties.models import Organization
from tests.factories import SettlementAccountFactory
from tests.pledge.drawdown_setup import ledger_balanced
from workflows.confirming import advances, maturity
from workflows.confirming.models import ConfirmingAgreement, PurchaseOrder, RefundDemand

from .confirming_steps import (
    NAMES,
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
from .test_factoring_walk import _expect, _fact

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


def _at(day: datetime.date):
    moment = datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=ZoneInfo(settings.TIME_ZONE))
    return time_machine.travel(moment, tick=True)


def _in_thread(work, *args):
    """Run `work` in a thread of its own, as the scheduler's worker would: documents are sealed there with
    asyncio, which cannot run beside the browser's event loop in this thread."""
    answer = {}

    def run():
        try:
            answer["value"] = work(*args)
        except BaseException as error:  # noqa: BLE001 (re-raised below)
            answer["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in answer:
        raise answer["error"]
    return answer["value"]


def _walk_to_funded(today: datetime.date, login, shoot, password: str) -> PurchaseOrder:
    """The three-party agreement and the loan order through the pages, to M = 400,000.00 (figures above)."""
    expect = _expect()
    core2 = Organization.objects.get(legal_name=NAMES["core2"])
    if not core2.settlement_accounts.filter(currency="CNY").exists():  # a loan pays core2's verified account
        SettlementAccountFactory(organization=core2, account_name=core2.legal_name)

    # 1. The credit officer prepares the three-party agreement (no warehouse); a second officer approves it.
    officer = login("officer")
    agreement = prepare_agreement(officer, shoot, form="three_party", warehouse=None, limit="1000000.00",
                                  note="Rebar bought from core2 on loan; core2 keeps the goods until released.")
    approve(login("officer2"), agreement, "Credit review of the confirming-warehouse agreement")

    # 2. The three parties sign: dist1, core2, the lender's operations; no warehouse task exists.
    distributor, seller, ops = login("dist1"), login("core2"), login("ops")
    sign_agreement(agreement, [(distributor, "dist1", "distributor"), (seller, "core2", "seller"),
                               (ops, "ops", "lender")], password, shoot)
    record = ConfirmingAgreement.objects.get(reference=agreement)
    assert (record.form, record.warehouse_id, record.state) == (
        ConfirmingAgreement.Form.THREE_PARTY, None, ConfirmingAgreement.State.ACTIVE)

    # 3. dist1 applies for a loan order of 1,000 t × 1,000.00 = 1,000,000.00 (M0 = 300,000.00); core2 confirms
    #    it; the credit officer approves it (1,000,000.00: one credit officer).
    order = apply_for_order(distributor, seller, agreement, shoot, route="loan", seller_order_number="ADV-1",
                            lines=[("螺纹钢 HRB400 Rebar", "t", "1000", "1000.00")],
                            saved="saved: P = CNY 1,000,000.00, initial margin 300,000.00.")
    approve(officer, order, "Credit review of the purchase order")

    # 4. The initial margin of 300,000.00, recorded on the order's page; its deposit receipt is issued.
    _open_order(ops, order)
    expect(_badge(ops)).to_have_text("Awaiting the initial margin")
    expect(ops.locator("#margin .alert")).to_contain_text("CNY 300,000.00")
    _margin(ops, order, "300000.00", "ADV-M-1", today, shoot, "initial")
    expect(_badge(ops)).to_have_text("Awaiting funding")
    wait_for_document(ops, ops.locator("#documents tbody tr").filter(has_text="CWMR-"))

    # 5. Funding by loan: core2 is paid P = 300,000.00 from the margin + 700,000.00 lent; ops2 releases it.
    fund(ops, login("ops2"), seller, order, shoot, facts={
        "Order amount (P)": "CNY 1,000,000.00", "Paid to the seller from the margin": "CNY 300,000.00"})
    _open_order(distributor, order)
    expect(_badge(distributor)).to_have_text("Funded")
    expect(_fact(distributor, "Exposure (P − M)")).to_have_text("CNY 700,000.00")
    expect(_fact(distributor, "Paid to the seller from the margin")).to_have_text("CNY 300,000.00")
    expect(_fact(distributor, "Loan from the lender's funds")).to_have_text("CNY 700,000.00")
    expect(distributor.locator("#releases")).to_contain_text("Releasable now: CNY 0.00")
    shoot(distributor, "funded")

    # 6. 100,000.00 more margin: M = 400,000.00, exposure 1,000,000.00 − 400,000.00 = 600,000.00.
    _margin(ops, order, "100000.00", "ADV-M-2", today, shoot, "second")
    _open_order(distributor, order)
    expect(_fact(distributor, "Margin paid (M)")).to_have_text("CNY 400,000.00")
    expect(_fact(distributor, "Exposure (P − M)")).to_have_text("CNY 600,000.00")
    expect(distributor.locator("#releases")).to_contain_text("Releasable now: CNY 142,857.14")

    result = PurchaseOrder.objects.get(reference=order)
    assert (result.route, result.order_amount, result.initial_margin, result.margin_paid, result.loan_principal) == (
        PurchaseOrder.Route.LOAN, D("1000000.00"), D("300000.00"), D("400000.00"), D("700000.00"))
    assert not CreditFacility.objects.filter(
        pk__in=[record.facility_id, record.guarantee_facility_id], state=CreditFacility.State.FROZEN).exists()
    return result


def test_a_three_party_loan_order_is_advanced_at_maturity_repaid_and_closed(today, login, shoot, demo):
    expect = _expect()
    order = _walk_to_funded(today, login, shoot, demo)
    reference, due = order.reference, order.maturity_date

    # The refund notice day: the job demands S = 600,000.00 of core2, which does not pay.
    notice_day = maturity.refund_notice_date(order)
    with _at(notice_day):
        assert _in_thread(maturity.open_refund_demands, notice_day) >= 1  # the demo's orders mature that day too
    demand = RefundDemand.objects.get(order=order)
    assert demand.amount == D("600000.00")

    with _at(due):
        # Maturity: the settlements find nothing to settle, the advance job advances the order.
        _in_thread(maturity.settle_matured, due)
        assert _in_thread(advances.advance_matured, due) >= 1  # with the demo's orders unpaid that day
        assert _in_thread(advances.advance_matured, due) == 0  # run again: nothing more
        order.refresh_from_db()
        demand.refresh_from_db()
        assert (order.state, order.advance_amount, demand.state) == (
            PurchaseOrder.State.ADVANCED, D("600000.00"), RefundDemand.State.LAPSED)

        distributor = login("dist1")
        _open_order(distributor, reference)
        expect(_badge(distributor)).to_have_text("Advanced by the lender")
        card = distributor.locator("#advance")
        expect(_fact(card, "Advance (P − M − refund)")).to_have_text("CNY 600,000.00")
        expect(_fact(card, "Penalty interest rate")).to_contain_text("6.75%")
        expect(card).to_contain_text("stay frozen")
        expect(distributor.locator("#advance-repayment-form")).to_have_count(0)
        shoot(distributor, "advanced")
        notice_row = distributor.locator("#documents tbody tr").filter(has_text="CWAN-")
        for _attempt in range(20):  # documents render after the job's commit
            if notice_row.count():
                break
            distributor.wait_for_timeout(300)
            distributor.reload()
        expect(notice_row).to_have_count(1)
        notice_row.get_by_role("link").first.click()
        expect(distributor.locator("main")).to_contain_text("CWAN-")
        shoot(distributor, "advance-notice")
        download = distributor.get_by_role("link", name="Download PDF")
        expect(download).to_have_count(1)
        pdf = distributor.request.get(distributor.url.split("/documents/")[0] + download.get_attribute("href"))
        assert pdf.ok and pdf.body()[:5] == b"%PDF-"
        notice = Document.objects.get(kind="confirming_advance_notice", object_id=order.pk)
        with (notice.final_pdf or notice.pdf).open("rb") as handle:
            assert handle.read(5) == b"%PDF-"

        # Operations record dist1's repayment of the advance on the order's page: the file closes.
        ops = login("ops")
        _open_order(ops, reference)
        form = ops.locator("#advance-repayment-form")
        form.get_by_label("Amount received").fill("600000.00")
        form.get_by_label("Value date").fill(due.isoformat())
        form.get_by_label("Bank reference").fill("ADV-R-1")
        shoot(ops, "repayment")
        form.get_by_role("button", name="Record the repayment").click()
        expect(ops.locator(".messages")).to_contain_text(f"Advance repayment recorded on {reference}.")
        expect(_badge(ops)).to_have_text("Closed")
        expect(_fact(ops.locator("#advance"), "Advance still owed")).to_have_text("CNY 0.00")
        expect(ops.locator("#advance")).to_contain_text("The advance and its penalty interest are repaid.")
        shoot(ops, "closed")

    order.refresh_from_db()
    assert (order.state, order.advance_outstanding, order.penalty_accrued) == (
        PurchaseOrder.State.CLOSED, D("0.00"), D("0.00"))
    documents = Document.objects.filter(object_id=order.pk, kind__startswith="confirming_")
    kinds = sorted(documents.values_list("kind", flat=True))
    assert {"confirming_advance_notice", "confirming_advance_settlement", "confirming_disbursement_advice"} <= set(
        kinds), kinds
    for document in [*documents, *Document.objects.filter(kind="confirming_refund_notice", object_id=demand.pk)]:
        field = document.final_pdf or document.pdf
        assert field, f"{document.kind} has no PDF"
        with field.open("rb") as handle:
            assert handle.read(5) == b"%PDF-", document.kind
    assert set(CreditFacility.objects.filter(pk__in=[order.agreement.facility_id, order.agreement.guarantee_facility_id])
               .values_list("state", flat=True)) == {CreditFacility.State.FROZEN}
    entries = JournalEntry.objects.filter(idempotency_key__startswith=f"confirming:{reference}:")
    total = {purpose: sum(Posting.objects.filter(entry__in=entries, account__purpose=purpose)
                          .values_list("amount", flat=True), D("0")) for purpose in ("advances", "margin")}
    assert total == {"advances": D("0.00"), "margin": D("0.00")}, total  # 700,000 lent − 100,000 − 600,000 repaid
    assert ledger_balanced()
