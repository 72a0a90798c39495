"""An order at maturity when the seller refunds the shortfall: the refund notice, the refund, settlement, closing.

Figures worked by hand. One line of 1,000 t at 1,000.00 → P = 1,000,000.00; m = 0.30 → M0 = 300,000.00; a
loan lends P − M0 = 700,000.00. One more margin of 200,000.00 → M = 500,000.00 and S = P − M = 500,000.00.
Release mode 2 (the world's agreement): round_down((500,000.00 − 300,000.00) / 0.70) = 285,714.28 allowed
before the refund; once the seller refunds S the distributor's goods are worth M = 500,000.00 in all.
Funded on 2026-03-02 with a 180-day tenor → maturity Saturday 2026-08-29. The refund notice goes k = 5
business days before: Fri 28, Thu 27, Wed 26, Tue 25, Mon 24 August → 2026-08-24.
Loan settled: margin beyond M0 200,000.00 + refund 500,000.00 = 700,000.00 repaid. Bill paid at maturity:
M0 300,000.00 frozen + 200,000.00 margin + 500,000.00 refund = 1,000,000.00 = the bill's face.
"""

import datetime
import shutil

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task

from documents.models import Document
from scf.collections.models import Receipt
from scf.collections.registry import handler_for
from scf.collections.services import receipt_record_unmatched
from scf.ledger.models import Account, JournalEntry
from workflows.confirming import maturity, orders
from workflows.confirming.exceptions import OrderClosingBlocked, RefundAlreadyOpen, RefundNotDue
from workflows.confirming.models import ConfirmingAgreement, PurchaseOrder, RefundDemand
from workflows.confirming.releases import (
    DeliveryLine,
    release_delivery_confirm,
    release_delivery_notify,
    release_notice_issue,
    release_position,
)
from workflows.confirming.services import release_request
from workflows.inbox.assignment import can_act
from workflows.inbox.services import OPEN, process_for

from . import release_setup
from .order_setup import *  # noqa: F403
from .order_setup import D, balance, ledger_balanced
from .test_order_documents import issued, pdf_text

pytestmark = pytest.mark.django_db
warehouse_user = release_setup.warehouse_user
P = Account.Purpose
State = PurchaseOrder.State

ONE_LINE = [{"description": "螺纹钢 HRB400", "unit": "t", "quantity": D("1000"), "unit_price": D("1000.00")}]
MATURITY = datetime.date(2026, 8, 29)
NOTICE_DAY = datetime.date(2026, 8, 24)


def at(today, day: datetime.date) -> None:
    today.move_to(datetime.datetime.combine(day, datetime.time(2, 0), tzinfo=datetime.UTC))


def funded(ow, route="loan") -> PurchaseOrder:
    """P 1,000,000.00 funded on 2026-03-02, M0 300,000.00 paid, then 200,000.00 more: M = 500,000.00."""
    order = orders.order_create(agreement=ow.agreement, lines=ONE_LINE, route=route,
                                acting_user=ow.distributor_user)
    orders.order_submit(order=order, acting_user=ow.distributor_user)
    orders.order_seller_confirm(order=order, acting_user=ow.seller_user)
    orders.order_review_decide(order=order, approver=ow.officer, decision="approve")
    day = datetime.date(2026, 3, 2)
    orders.order_margin_apply(order=order, amount=D("300000.00"), received_on=day, bank_reference="M-1",
                              acting_user=ow.ops)
    orders.order_fund(order=order, acting_user=ow.ops, bill_number="BAC-2026-7" if route != "loan" else "")
    orders.order_margin_apply(order=order, amount=D("200000.00"), received_on=day, bank_reference="M-2",
                              acting_user=ow.ops)
    order.refresh_from_db()
    assert (order.order_amount, order.initial_margin, order.margin_paid) == (
        D("1000000.00"), D("300000.00"), D("500000.00"))
    assert (order.maturity_date, order.allowed_value) == (MATURITY, D("285714.28"))
    return order


def deliver(ow, warehouse_user, order, tonnes: str) -> None:
    """Release and deliver `tonnes` t of the line at 1,000.00 a tonne."""
    line = order.lines.get()
    release = release_request(order=order, value=D(tonnes) * 1000, acting_user=ow.distributor_user)
    release_notice_issue(release=release, acting_user=ow.ops)
    release_delivery_notify(release=release, lines=[DeliveryLine(line.pk, D(tonnes))], acting_user=ow.seller_user)
    release_delivery_confirm(release=release, lines=[DeliveryLine(line.pk, D(tonnes))], acting_user=warehouse_user)


def test_the_notice_day_is_k_business_days_before_maturity(ow):
    order = funded(ow)
    assert maturity.refund_notice_date(order) == NOTICE_DAY


def test_the_job_opens_one_demand_for_s_on_the_notice_day_and_a_second_is_refused(ow, today,
                                                                                django_capture_on_commit_callbacks):
    order = funded(ow)
    assert maturity.open_refund_demands(datetime.date(2026, 8, 21)) == 0  # Friday before: not yet
    at(today, NOTICE_DAY)
    with django_capture_on_commit_callbacks(execute=True):
        assert maturity.open_refund_demands(NOTICE_DAY) == 1
    assert maturity.open_refund_demands(NOTICE_DAY) == 0  # run again: nothing more
    assert maturity.open_refund_demands(datetime.date(2026, 8, 25)) == 0
    demand = RefundDemand.objects.get(order=order)
    assert (demand.amount, demand.notice_date, demand.due_date, demand.state) == (
        D("500000.00"), NOTICE_DAY, MATURITY, RefundDemand.State.OPEN)
    order.refresh_from_db()
    assert order.state == State.REFUND_DEMANDED
    notice = Document.objects.get(kind="confirming_refund_notice", object_id=demand.pk)
    assert notice.language == ow.seller.preferred_language
    with pytest.raises(RefundAlreadyOpen, match="already open on order"):
        maturity.refund_demand_open(order=order, acting_user=ow.ops, on=NOTICE_DAY)
    assert RefundDemand.objects.filter(order=order).count() == 1
    # The seller's task: acknowledge the notice; only the seller's operator may take it.
    task = Task.objects.get(process=process_for(demand), status__in=OPEN)
    assert task.flow_task.name == "acknowledge"
    assert can_act(ow.seller_user, task) and not can_act(ow.distributor_user, task)


def test_no_demand_when_the_margin_pays_the_whole_order(ow, today):
    order = funded(ow)
    orders.order_margin_apply(order=order, amount=D("500000.00"), received_on=datetime.date(2026, 3, 2),
                              bank_reference="M-3", acting_user=ow.ops)
    at(today, NOTICE_DAY)
    assert maturity.open_refund_demands(NOTICE_DAY) == 0
    with pytest.raises(RefundNotDue, match="nothing is to be refunded"):
        maturity.refund_demand_open(order=order, acting_user=ow.ops, on=NOTICE_DAY)
    assert not RefundDemand.objects.exists()


def test_the_refund_repays_the_loan_and_the_last_delivery_closes_the_order(ow, today, warehouse_user,
                                                                          django_capture_on_commit_callbacks):
    """Loan route. Before maturity 200 t (200,000.00) went out. The refund of 500,000.00 repays the loan of
    700,000.00 with the 200,000.00 margin beyond M0; the distributor then takes the last 300 t (300,000.00)
    the margin paid for (500,000.00 − 200,000.00), and the order closes."""
    order = funded(ow)
    at(today, datetime.date(2026, 6, 1))
    deliver(ow, warehouse_user, order, "200")
    at(today, NOTICE_DAY)
    maturity.open_refund_demands(NOTICE_DAY)
    order.refresh_from_db()
    with pytest.raises(RefundNotDue, match="500,000.00 more refund at most"):
        maturity.order_refund_apply(order=order, amount=D("500000.01"), received_on=NOTICE_DAY,
                                    bank_reference="RF-1", acting_user=ow.ops)
    assert not Receipt.objects.filter(kind=Receipt.Kind.REFUND).exists()
    entries = JournalEntry.objects.count()

    at(today, datetime.date(2026, 8, 26))
    with django_capture_on_commit_callbacks(execute=True):
        receipt = maturity.order_refund_apply(order=order, amount=D("500000.00"),
                                              received_on=datetime.date(2026, 8, 26), bank_reference="RF-1",
                                              acting_user=ow.ops)
    assert (receipt.kind, receipt.payer, receipt.applied_advance) == (Receipt.Kind.REFUND, ow.seller, D("500000.00"))
    assert JournalEntry.objects.count() == entries + 2  # the refund, the loan repaid
    again = maturity.order_refund_apply(order=order, amount=D("500000.00"), received_on=datetime.date(2026, 8, 26),
                                        bank_reference="RF-1", acting_user=ow.ops)
    assert again.pk == receipt.pk and JournalEntry.objects.count() == entries + 2

    order.refresh_from_db()
    demand = RefundDemand.objects.get(order=order)
    assert (demand.state, demand.paid_on) == (RefundDemand.State.PAID, datetime.date(2026, 8, 26))
    assert (order.refund_paid, order.goods_kept_value, order.allowed_value, order.released_value) == (
        D("500000.00"), D("500000.00"), D("500000.00"), D("200000.00"))
    assert order.settled_on == datetime.date(2026, 8, 26)
    # The pages' figures: the mode alone allows 285,714.28; the refund lets out P − 500,000.00 kept = 500,000.00,
    # of which 200,000.00 is out: 300,000.00 releasable.
    position = release_position(order)
    assert (position.allowed, position.released, position.releasable) == (
        D("500000.00"), D("200000.00"), D("300000.00"))
    assert balance(P.ADVANCES, ow.distributor) == D("0.00")  # 700,000.00 lent − 200,000.00 − 500,000.00
    assert balance(P.MARGIN, ow.distributor) == D("0.00")
    assert balance(P.MARGIN_FROZEN, ow.seller) == D("0.00")
    assert ledger_balanced()
    assert order.state == State.REFUND_DEMANDED  # the distributor's last 300 t are still in the warehouse
    with pytest.raises(OrderClosingBlocked, match="300,000.00 paid for by the margin"):
        maturity.order_close(order=order, acting_user=ow.ops)
    assert not process_for(demand) or not Task.objects.filter(process=process_for(demand), status__in=OPEN).exists()

    with django_capture_on_commit_callbacks(execute=True):
        deliver(ow, warehouse_user, order, "300")
    order.refresh_from_db()
    assert (order.state, order.delivered_value) == (State.CLOSED, D("500000.00"))
    assert Document.objects.filter(kind="confirming_settlement_advice", object_id=order.pk).exists()
    assert ledger_balanced()


def test_a_bill_is_paid_at_maturity_and_its_contingent_entry_reversed(ow, today):
    order = funded(ow, "acceptance_bill")
    assert balance(P.ACCEPTANCE_CONTINGENT, ow.distributor) == D("1000000.00")
    at(today, NOTICE_DAY)
    maturity.open_refund_demands(NOTICE_DAY)
    at(today, datetime.date(2026, 8, 27))
    maturity.order_refund_apply(order=order, amount=D("500000.00"), received_on=datetime.date(2026, 8, 27),
                                bank_reference="RF-B", acting_user=ow.ops)
    order.refresh_from_db()
    assert order.settled_on is None  # the bill is paid at its maturity, not before
    assert balance(P.MARGIN_FROZEN, ow.seller) == D("-500000.00")
    assert maturity.settle_matured(datetime.date(2026, 8, 28)) == 0
    at(today, MATURITY)
    assert maturity.settle_matured(MATURITY) == 1
    assert maturity.settle_matured(MATURITY) == 0  # run again: settled once
    order.refresh_from_db()
    assert order.settled_on == MATURITY
    assert balance(P.ACCEPTANCE_CONTINGENT, ow.distributor) == D("0.00")
    assert balance(P.ACCEPTANCES_OUTSTANDING) == D("0.00")
    assert balance(P.MARGIN_FROZEN, ow.distributor) == D("0.00")
    assert balance(P.MARGIN_FROZEN, ow.seller) == D("0.00")
    assert balance(P.MARGIN, ow.distributor) == D("0.00")
    # 300,000 + 200,000 margin + 500,000 refund came in, 1,000,000 paid out on the bill.
    assert balance(P.DEBTOR_COLLECTION) == D("0.00")
    reversal = JournalEntry.objects.get(idempotency_key=f"confirming:{order.reference}:acceptance:reversal")
    assert reversal.reverses.idempotency_key == f"confirming:{order.reference}:acceptance"
    assert ledger_balanced()


def test_the_seller_pays_through_collections_on_the_refund_notice_number(ow, today):
    """A bank line waiting in suspense, found by the refund notice's number, applied as the seller's refund."""
    order = funded(ow)
    at(today, NOTICE_DAY)
    maturity.open_refund_demands(NOTICE_DAY)
    demand = RefundDemand.objects.get(order=order)
    Document.objects.filter(kind="confirming_refund_notice", object_id=demand.pk).update(number="CWRF-2026-000001")
    handler, found = maturity.RECEIPT_HANDLER, maturity.order_by_reference_or_notice("CWRF-2026-000001", ow.ops)
    assert found == order and handler_for(order) is handler
    assert handler.payers(order) == {"distributor": ow.distributor, "seller": ow.seller}
    receipt = receipt_record_unmatched(amount=D("500000.00"), value_date=NOTICE_DAY, bank_reference="BANK-9",
                                       lender=ow.lender, currency="CNY", payer_name=ow.seller.legal_name,
                                       acting_user=ow.ops)
    handler.apply_from_suspense(receipt=receipt, case=order, acting_user=ow.ops, payer=ow.seller)
    order.refresh_from_db()
    demand.refresh_from_db()
    assert (order.refund_paid, demand.state, order.settled_on) == (D("500000.00"), RefundDemand.State.PAID, NOTICE_DAY)
    assert balance(P.SUSPENSE) == D("0.00")
    assert ledger_balanced()


def test_reminders_go_to_the_distributor_once_per_day_before(ow, today, django_capture_on_commit_callbacks):
    order = funded(ow)
    ow.distributor_user.email = "buyer@example.com"
    ow.distributor_user.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert maturity.send_maturity_reminders(datetime.date(2026, 8, 22)) == 1  # 7 days before
        assert maturity.send_maturity_reminders(datetime.date(2026, 8, 22)) == 0
    assert [message.to for message in mail.outbox] == [["buyer@example.com"]]
    assert order.reference in mail.outbox[0].subject
    order.refresh_from_db()
    assert order.reminded_days == [7]


def test_the_last_order_of_a_non_revolving_agreement_winds_it_up(ow, monkeypatch):
    calls = []
    monkeypatch.setattr("workflows.confirming.agreements.agreement_wind_up",
                        lambda *, agreement, acting_user: calls.append(agreement.pk) or True)
    assert maturity.agreement_wind_up_if_done(ow.agreement, None) is False  # revolving and in force
    ConfirmingAgreement.objects.filter(pk=ow.agreement.pk).update(revolving=False)
    ow.agreement.refresh_from_db()
    assert maturity.agreement_wind_up_if_done(ow.agreement, None) is True
    assert calls == [ow.agreement.pk]


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext)")
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_refund_notice_and_the_settlement_advice_print_s_and_how_p_was_paid(
        ow, today, warehouse_user, language, django_capture_on_commit_callbacks):
    """Refund 500,000.00 on 2026-08-26; the loan settled that day; all 500 t of the distributor's goods out."""
    for party in (ow.distributor, ow.seller):
        party.preferred_language = language
        party.save(update_fields=["preferred_language"])
    order = funded(ow)
    at(today, NOTICE_DAY)
    with django_capture_on_commit_callbacks(execute=True):
        maturity.open_refund_demands(NOTICE_DAY)
    at(today, datetime.date(2026, 8, 26))
    with django_capture_on_commit_callbacks(execute=True):
        maturity.order_refund_apply(order=order, amount=D("500000.00"), received_on=datetime.date(2026, 8, 26),
                                    bank_reference="RF-1", acting_user=ow.ops)
        deliver(ow, warehouse_user, order, "500")
    order.refresh_from_db()
    assert order.state == State.CLOSED
    demand = RefundDemand.objects.get(order=order)
    notice = pdf_text(issued("confirming_refund_notice", demand))
    advice = pdf_text(issued("confirming_settlement_advice", order))
    for figure in ("1,000,000.00", "500,000.00", "2026-08-29"):
        assert figure in notice, figure
    for figure in ("1,000,000.00", "500,000.00", "300,000.00", "700,000.00", "2026-08-26", order.reference):
        assert figure in advice, figure
    if language == "zh-hans":
        assert "差额退款通知书" in notice and "结清通知书" in advice and "人民币壹佰万元整" in advice
        assert "卖方回购货物" in advice  # four-party: the seller buys the goods not released back
    else:
        assert "SETTLEMENTADVICE" in advice and "boughtback" in advice


def logged_in(user, language="en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def test_the_api_demands_once_and_answers_409_with_a_stable_code_the_second_time(ow, today):
    order = funded(ow)
    at(today, NOTICE_DAY)
    url = reverse("api:confirming-order-refund-demand", args=[order.pk])
    refused = logged_in(ow.distributor_user).post(url, content_type="application/json")
    assert refused.status_code == 403 and not RefundDemand.objects.exists()
    response = logged_in(ow.ops).post(url, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["state"] == "refund_demanded" and data["refund_paid"] == "0.00"
    assert [(d["amount"], d["due_date"], d["state"]) for d in data["refund_demands"]] == [
        ("500000.00", "2026-08-29", "open")]
    again = logged_in(ow.ops).post(url, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "confirming_refund_already_open"
    assert RefundDemand.objects.count() == 1
    # The seller's ERP acknowledges the notice: its task leaves the inbox, the demand waits for the money.
    ack = logged_in(ow.seller_user).post(reverse("api:confirming-order-refund-acknowledge", args=[order.pk]),
                                         {"note": "paying on 26 August"}, content_type="application/json")
    assert ack.status_code == 200 and ack.json()["refund_demands"][0]["acknowledged_at"]
    demand = RefundDemand.objects.get()
    assert [task.flow_task.name for task in Task.objects.filter(process=process_for(demand), status__in=OPEN)] == [
        "paid"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_order_page_shows_the_maturity_panel_and_the_sellers_action(ow, today, language):
    order = funded(ow)
    at(today, NOTICE_DAY)
    maturity.open_refund_demands(NOTICE_DAY)
    seller_page = logged_in(ow.seller_user, language).get(
        reverse("confirming:order-detail", args=[order.pk])).content.decode()
    ops_page = logged_in(ow.ops, language).get(reverse("confirming:order-detail", args=[order.pk])).content.decode()
    assert 'id="maturity"' in seller_page and "500,000.00" in seller_page and "2026-08-24" in seller_page
    assert 'id="refund-form"' in ops_page and 'id="refund-form"' not in seller_page
    # The refund form's fields are labelled by their own ids, not the margin form's of the same names.
    for name in ("amount", "received_on", "bank_reference"):
        assert ops_page.count(f'id="refund_{name}"') == 1 and ops_page.count(f'for="refund_{name}"') == 1, name
        assert ops_page.count(f'id="id_{name}"') <= 1, name
    if language == "zh-hans":
        assert "应退差额" in seller_page and "贵司应于2026-08-29前将差额退款" in seller_page
    else:
        assert "Your refund of CNY 500,000.00 is due by 2026-08-29" in seller_page
    # Operations record the refund from the page: the loan is settled, the demand paid.
    at(today, datetime.date(2026, 8, 26))
    response = logged_in(ow.ops).post(reverse("confirming:order-refund", args=[order.pk]), {
        "amount": "500000.00", "received_on": "2026-08-26", "bank_reference": "RF-PAGE"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.refund_paid, order.settled_on) == (D("500000.00"), datetime.date(2026, 8, 26))


def test_margin_paid_while_the_demand_is_open_lowers_the_refund_and_can_complete_it(ow, today):
    """S = 500,000.00 demanded; the seller refunds 300,000.00 (200,000.00 still due); the distributor then pays
    200,000.00 margin: M = 700,000.00, M + refund = P. The demand is paid, the seller keeps goods worth
    300,000.00, the distributor's goods are worth 700,000.00, and the loan of 700,000.00 is repaid from
    the margin beyond M0 (400,000.00) and the refund (300,000.00)."""
    order = funded(ow)
    at(today, NOTICE_DAY)
    maturity.open_refund_demands(NOTICE_DAY)
    maturity.order_refund_apply(order=order, amount=D("300000.00"), received_on=NOTICE_DAY, bank_reference="RF-P",
                                acting_user=ow.ops)
    order.refresh_from_db()
    assert (maturity.refund_outstanding(order), order.settled_on) == (D("200000.00"), None)
    with pytest.raises(RefundNotDue, match="200,000.00 more refund at most"):
        maturity.order_refund_apply(order=order, amount=D("250000.00"), received_on=NOTICE_DAY,
                                    bank_reference="RF-Q", acting_user=ow.ops)
    orders.order_margin_apply(order=order, amount=D("200000.00"), received_on=NOTICE_DAY, bank_reference="M-3",
                              acting_user=ow.ops)
    order.refresh_from_db()
    assert RefundDemand.objects.get(order=order).state == RefundDemand.State.PAID
    assert (order.margin_paid, order.refund_paid, order.goods_kept_value, order.allowed_value) == (
        D("700000.00"), D("300000.00"), D("300000.00"), D("700000.00"))
    assert order.settled_on == NOTICE_DAY
    assert balance(P.ADVANCES, ow.distributor) == D("0.00")
    assert balance(P.MARGIN, ow.distributor) == D("0.00")
    assert balance(P.MARGIN_FROZEN, ow.seller) == D("0.00")
    assert ledger_balanced()


def test_run_daily_runs_the_maturity_jobs_in_order_and_the_notice_once(ow, today):
    from scf.core.jobs import daily_jobs, run_daily

    names = [job.name for job in daily_jobs() if job.name.startswith("confirming.")]
    assert names[:3] == ["confirming.maturity_reminders", "confirming.refund_notices", "confirming.settlements"]
    order = funded(ow)
    at(today, NOTICE_DAY)
    assert run_daily(NOTICE_DAY)["confirming.refund_notices"] == 1
    assert run_daily(NOTICE_DAY)["confirming.refund_notices"] == 0
    assert RefundDemand.objects.filter(order=order).count() == 1
