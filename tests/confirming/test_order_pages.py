"""Order pages in English and Chinese: the application form with lines, the task pages of each step, the order page.

Figures from tests/confirming/order_setup.py: P = 503,827.00, M0 = 151,148.10.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task

from tests.releasing import release_pending
from workflows.confirming import orders
from workflows.confirming.models import PurchaseOrder

from .order_setup import *  # noqa: F403
from .order_setup import DAY, D, apply, approved

pytestmark = pytest.mark.django_db
State = PurchaseOrder.State


def logged_in(user, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def form_data(*lines, route="loan", number="SO-9") -> dict:
    data = {"route": route, "seller_order_number": number, "lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "100"}
    for index, (description, unit, quantity, price) in enumerate(lines):
        data.update({f"lines-{index}-description": description, f"lines-{index}-unit": unit,
                     f"lines-{index}-quantity": quantity, f"lines-{index}-unit_price": price})
    return data


def task_url(order, step: str) -> str:
    task = Task.objects.get(flow_task__endswith=f"ConfirmingOrderFlow.{step}", status__in=["NEW", "ASSIGNED"],
                            process__artifact_object_id=order.pk)
    return reverse("inbox:task", args=[task.pk])


def test_the_distributor_applies_with_lines_from_the_agreement_page_and_sends_the_order(ow):
    client = logged_in(ow.distributor_user)
    page = client.get(reverse("confirming:agreement-detail", args=[ow.agreement.pk])).content.decode()
    assert "Purchase orders" in page and "Apply for an order" in page
    response = client.post(reverse("confirming:order-new", args=[ow.agreement.pk]), form_data(
        ("Copper cathode", "t", "40", "12345.675"), ("Cable drum", "set", "7.5", "1333.333")))
    order = PurchaseOrder.objects.get()
    assert response.status_code == 302 and response.url == reverse("confirming:order-detail", args=[order.pk])
    assert order.order_amount == D("503827.00") and order.seller_order_number == "SO-9"
    page = client.get(response.url).content.decode()
    assert "503,827.00" in page and "151,148.10" in page and "Copper cathode" in page and "Draft" in page
    client.post(reverse("confirming:order-submit", args=[order.pk]))
    order.refresh_from_db()
    assert order.state == State.SELLER_CONFIRMATION
    seller_page = logged_in(ow.seller_user).get(reverse("confirming:order-detail", args=[order.pk])).content.decode()
    assert "Confirm the purchase order as the seller" in seller_page


def test_bad_lines_come_back_on_the_form_in_chinese_and_nothing_is_created(ow):
    client = logged_in(ow.distributor_user, "zh-hans")
    url = reverse("confirming:order-new", args=[ow.agreement.pk])
    response = client.post(url, form_data(("Copper", "t", "-1", "10")), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400 and "errorlist" in response.content.decode()
    response = client.post(url, form_data(), HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = response.content.decode()
    assert response.status_code == 400 and "订单至少须有一行货物。" in page
    response = client.post(url, form_data(("Copper", "t", "1000", "10000")), HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = response.content.decode()
    assert response.status_code == 400 and "10,000,000.00" in page and "5,000,000.00" in page
    assert not PurchaseOrder.objects.exists()


def test_each_party_takes_its_step_on_its_task_page_through_to_the_sellers_receipt(ow):
    order = apply(ow, "acceptance_bill")
    seller = logged_in(ow.seller_user, "zh-hans")
    url = task_url(order, "seller_confirm")
    assert "确认采购订单" in seller.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    response = seller.post(url, {"answer": "decline", "note": ""}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400  # a reason is needed to send it back
    assert seller.post(url, {"answer": "confirm", "note": ""}).status_code == 302
    officer = logged_in(ow.officer)
    assert officer.post(task_url(order, "review"), {"decision": "approve", "comment": ""}).status_code == 302
    order.refresh_from_db()
    assert order.state == State.AWAITING_MARGIN
    ops = logged_in(ow.ops)
    ops.post(reverse("confirming:order-margin", args=[order.pk]),
             {"amount": "151148.10", "received_on": DAY.isoformat(), "bank_reference": "M-1"})
    order.refresh_from_db()
    assert order.state == State.AWAITING_FUNDING
    url = task_url(order, "fund")
    response = ops.post(url, {"bill_number": "", "confirm": "on"})
    assert response.status_code == 400 and "errorlist" in response.content.decode()
    assert ops.post(url, {"bill_number": "BAC-1", "confirm": "on"}).status_code == 302
    assert PurchaseOrder.objects.get(pk=order.pk).state == State.AWAITING_FUNDING  # prepared, not yet released
    release_pending(ow.ops2)
    assert seller.post(task_url(order, "receipt"), {"confirm": "on"}).status_code == 302
    order.refresh_from_db()
    assert order.state == State.FUNDED and order.receipt_confirmed_by == ow.seller_user
    page = logged_in(ow.distributor_user).get(reverse("confirming:order-detail", args=[order.pk])).content.decode()
    assert "BAC-1" in page and "Margin frozen" in page and "Receipt confirmed by the seller" in page


def test_margin_above_what_the_order_needs_is_refused_on_the_page(ow):
    order = approved(ow)
    response = logged_in(ow.ops, "zh-hans").post(
        reverse("confirming:order-margin", args=[order.pk]),
        {"amount": "503827.01", "received_on": DAY.isoformat(), "bank_reference": "M-1"}, follow=True,
        HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "503,827.00" in response.content.decode()
    order.refresh_from_db()
    assert order.margin_paid == D("0.00")


def test_another_partys_users_and_a_distributor_acting_as_seller_get_nothing(ow, corporate):
    order = apply(ow)
    stranger, stranger_user = corporate("stranger", is_distributor=True, is_supplier=False)
    client = logged_in(stranger_user)
    assert client.get(reverse("confirming:order-detail", args=[order.pk])).status_code == 404
    assert client.post(reverse("confirming:order-cancel", args=[order.pk])).status_code == 404
    assert logged_in(ow.seller_user).get(reverse("confirming:order-edit", args=[order.pk])).status_code == 404
    orders.order_seller_confirm(order=order, acting_user=ow.seller_user)
    assert order.reference not in client.get(reverse("confirming:order-list")).content.decode()
