"""A three-party confirming-warehouse loan order unpaid at maturity: the lender's advance (垫款), walked in Chromium.

Set up through the services (the agreement's and the order's pages are walked in test_confirming_walk.py): a
three-party agreement between the lender, core2 (seller, no warehouse) and dist1, active; dist1's loan order of
1,000 t at 1,000.00 = 1,000,000.00, M0 = 300,000.00 paid, funded by loan (700,000.00 lent), then 100,000.00 more
margin: M = 400,000.00. With the clock frozen on the refund notice day and then on maturity, the daily jobs are
called as the scheduler would: the refund notice of S = P − M = 600,000.00 goes to core2, which does not pay; at
maturity the advance job advances 600,000.00 (700,000.00 lent − 100,000.00 margin beyond M0), the refund demand
lapses and the facilities of dist1 and core2 are frozen.

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
from scf.facilities.models import CreditFacility, Product
from scf.ledger.models import JournalEntry, Posting
from scf.parties.models import Organization, User
from tests.factories import SettlementAccountFactory
from tests.pledge.drawdown_setup import ledger_balanced
from workflows.confirming import advances, maturity, orders
from workflows.confirming.models import ConfirmingAgreement, PurchaseOrder, RefundDemand

from .test_confirming_walk import _badge, _open_order
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


def _setup(today: datetime.date) -> PurchaseOrder:
    from scf.parties.demo import ORGS

    names = {org.key: org.legal_name for org in ORGS}
    dist1 = Organization.objects.get(legal_name=names["dist1"])
    core2 = Organization.objects.get(legal_name=names["core2"])
    ops, officer = User.objects.get(username="ops"), User.objects.get(username="officer")
    facility = CreditFacility.objects.filter(obligor=dist1, product=Product.CONFIRMING).first()
    guarantee = CreditFacility.objects.filter(obligor=core2, product=Product.CONFIRMING).first()
    agreement = ConfirmingAgreement.objects.create(
        reference="CWA-WALK-ADV", form=ConfirmingAgreement.Form.THREE_PARTY, lender=facility.lender, seller=core2,
        distributor=dist1, facility=facility, guarantee_facility=guarantee, limit_amount=D("1000000.00"),
        release_mode=2, annual_rate=D("0.045"), start_date=today - datetime.timedelta(days=1),
        end_date=today + datetime.timedelta(days=365), prepared_by=officer, state=ConfirmingAgreement.State.ACTIVE)
    if not core2.settlement_accounts.filter(currency="CNY").exists():
        SettlementAccountFactory(organization=core2, account_name=core2.legal_name)
    distributor, seller = User.objects.get(username="dist1"), User.objects.get(username="core2")
    order = orders.order_create(agreement=agreement, route="loan", acting_user=distributor, seller_order_number="ADV-1",
                                lines=[{"description": "螺纹钢 HRB400 Rebar", "unit": "t", "quantity": D("1000"),
                                        "unit_price": D("1000.00")}])
    orders.order_submit(order=order, acting_user=distributor)
    orders.order_seller_confirm(order=order, acting_user=seller)
    orders.order_review_decide(order=order, approver=officer, decision="approve")
    orders.order_margin_apply(order=order, amount=D("300000.00"), received_on=today, bank_reference="ADV-M-1",
                              acting_user=ops)
    orders.order_fund(order=order, acting_user=ops, on=today)
    orders.order_margin_apply(order=order, amount=D("100000.00"), received_on=today, bank_reference="ADV-M-2",
                              acting_user=ops)
    order.refresh_from_db()
    assert (order.order_amount, order.margin_paid, order.loan_principal) == (
        D("1000000.00"), D("400000.00"), D("700000.00"))
    return order


def test_a_three_party_loan_order_is_advanced_at_maturity_repaid_and_closed(today, login, shoot, demo):
    expect = _expect()
    order = _in_thread(_setup, today)
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
