"""Loan pages in English and Chinese: the Loans card of the agreement, the request form, the drawdown's page.

Figures from tests/pledge/drawdown_setup.py: max loan 600,000.00, nothing drawn, facility of
5,000,000.00: 600,000.00 available. A request of 400,000.00 leaves 200,000.00.
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from scf.facilities.models import FacilityReservation
from tests.releasing import release_pending
from workflows.pledge import drawdowns
from workflows.pledge.models import PledgeDrawdown

from .drawdown_setup import *  # noqa: F403  (the fixtures dw, today)
from .drawdown_setup import D

pytestmark = pytest.mark.django_db


def logged_in(user, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def get(client: Client, url: str, language: str = "en"):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


def agreement_url(dw) -> str:
    return reverse("pledge:agreement-detail", args=[dw.agreement.pk])


def test_the_pledgor_sees_what_it_may_draw_and_requests_a_loan(dw):
    client = logged_in(dw.pledgor_user)
    page = get(client, agreement_url(dw)).content.decode()
    assert "Loans" in page and "Available to draw now" in page and "600,000.00" in page
    assert "Facility headroom" in page and "5,000,000.00" in page and "Request a loan" in page
    response = client.post(reverse("pledge:drawdown-request", args=[dw.agreement.pk]), {"amount": "400000.00"})
    drawdown = PledgeDrawdown.objects.get()
    assert response.status_code == 302 and response.url == reverse("pledge:drawdown-detail", args=[drawdown.pk])
    page = get(client, agreement_url(dw)).content.decode()
    assert drawdown.reference in page and "200,000.00" in page and "Requested" in page


def test_an_amount_above_what_is_available_comes_back_on_the_form_in_chinese(dw):
    client = logged_in(dw.pledgor_user, "zh-hans")
    url = reverse("pledge:drawdown-request", args=[dw.agreement.pk])
    response = client.post(url, {"amount": "600000.01"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    page = response.content.decode()
    assert "申请贷款" in page and "600,000.01" in page and "600,000.00" in page and "errorlist" in page
    response = client.post(url, {"amount": "-5"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400 and "errorlist" in response.content.decode()
    assert not PledgeDrawdown.objects.exists() and not FacilityReservation.objects.exists()


def test_a_stale_price_is_warned_on_the_card(dw, today):
    today.move_to(datetime.datetime(2026, 3, 9, 10, 0, tzinfo=datetime.UTC), tick=False)
    page = get(logged_in(dw.pledgor_user), agreement_url(dw)).content.decode()
    assert "no loan can be drawn until a new price is approved" in page
    chinese = get(logged_in(dw.pledgor_user, "zh-hans"), agreement_url(dw), "zh-hans").content.decode()
    assert "新价格审批前不能提款" in chinese


def test_the_warehouse_sees_the_agreement_but_not_its_loans(dw):
    drawdowns.drawdown_request(agreement=dw.agreement, amount=D("400000.00"), acting_user=dw.pledgor_user)
    client = logged_in(dw.warehouse_user)
    page = get(client, agreement_url(dw)).content.decode()
    assert dw.agreement.reference in page and 'id="loans"' not in page and "PLD-" not in page
    drawdown = PledgeDrawdown.objects.get()
    assert get(client, reverse("pledge:drawdown-detail", args=[drawdown.pk])).status_code == 404
    assert client.post(reverse("pledge:drawdown-request", args=[dw.agreement.pk]),
                       {"amount": "1.00"}).status_code == 404
    assert client.post(reverse("pledge:drawdown-withdraw", args=[drawdown.pk])).status_code == 404


def test_lender_staff_see_the_loans_without_the_request_form(dw):
    page = get(logged_in(dw.ops), agreement_url(dw)).content.decode()
    assert "Available to draw now" in page and "Request a loan" not in page


def test_the_pledgor_withdraws_a_request_from_its_page(dw):
    drawdown = drawdowns.drawdown_request(agreement=dw.agreement, amount=D("400000.00"), acting_user=dw.pledgor_user)
    client = logged_in(dw.pledgor_user, "zh-hans")
    url = reverse("pledge:drawdown-detail", args=[drawdown.pk])
    page = get(client, url, "zh-hans").content.decode()
    assert drawdown.reference in page and "撤回申请" in page and "400,000.00" in page
    # The pledgor does not disburse (the step's name is on the stepper; the button is not on the page).
    assert reverse("pledge:drawdown-disburse", args=[drawdown.pk]) not in page
    response = client.post(reverse("pledge:drawdown-withdraw", args=[drawdown.pk]), {"note": "不再需要"})
    assert response.status_code == 302
    drawdown.refresh_from_db()
    assert drawdown.state == PledgeDrawdown.State.WITHDRAWN
    page = get(client, url, "zh-hans").content.decode()
    assert "撤回申请" not in page and "已撤回" in page


def test_operations_disburse_from_the_page_and_everyone_sees_the_figures(dw, today, django_capture_on_commit_callbacks):
    drawdown = drawdowns.drawdown_request(agreement=dw.agreement, amount=D("400000.00"), acting_user=dw.pledgor_user)
    drawdowns.drawdown_approve(drawdown=drawdown, approver=dw.officer)
    url = reverse("pledge:drawdown-detail", args=[drawdown.pk])
    assert reverse("pledge:drawdown-disburse", args=[drawdown.pk]) not in get(logged_in(dw.officer), url).content.decode()
    ops = logged_in(dw.ops)
    page = get(ops, url).content.decode()
    assert "Disburse the loan" in page and "Approved" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = ops.post(reverse("pledge:drawdown-disburse", args=[drawdown.pk]))
        assert response.status_code == 302
        assert PledgeDrawdown.objects.get(pk=drawdown.pk).state == PledgeDrawdown.State.APPROVED
        release_pending(dw.ops2)
    today.move_to(datetime.datetime(2026, 4, 2, 10, 0, tzinfo=datetime.UTC), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        drawdowns.drawdown_repay(drawdown=drawdown, amount=D("102166.67"), bank_reference="B-1",
                                 on=datetime.date(2026, 4, 1), acting_user=dw.ops)
    page = get(logged_in(dw.pledgor_user), url).content.decode()
    for expected in ["Disbursed", "2026-03-02", "300,000.00", "2,166.67", "102,166.67", "100,000.00", "B-1",
                     "PDA-2026-", "PRA-2026-", "History"]:
        assert expected in page, expected
    assert "Withdraw the request" not in page
    chinese = get(logged_in(dw.pledgor_user, "zh-hans"), url, "zh-hans").content.decode()
    for expected in ["放款通知书", "还款通知书", "贷款本金余额", "已计利息", "归还本金"]:
        assert expected in chinese, expected
