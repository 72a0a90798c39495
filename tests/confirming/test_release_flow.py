"""The release's flow: operations issue the notice from the inbox, the seller and the warehouse act in the portal.

The order of release_setup in mode 2 with 100,000.00 margin beyond the initial one: 142,857.14 releasable.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task

from tests.confirming import release_setup
from tests.confirming.release_setup import pay
from workflows.confirming.models import ReleaseRequest
from workflows.confirming.services import release_request
from workflows.inbox.assignment import can_act
from workflows.inbox.services import process_for

pytestmark = pytest.mark.django_db
funded_order = release_setup.funded_order
warehouse_user = release_setup.warehouse_user


def open_tasks(release):
    return list(Task.objects.filter(process=process_for(release), status__in=["NEW", "ASSIGNED", "STARTED"]))


def logged_in(user, language="en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def test_notice_delivery_notice_and_delivery_through_the_tasks(world, funded_order, warehouse_user, corporate):
    _other, other_seller_user = corporate("seller2", is_core=True, is_supplier=False)
    order = funded_order(mode=2)
    pay(world, order, "100000.00", "TT-1")
    release = release_request(order=order, value=D("142857.14"), acting_user=world.distributor_user)
    process = process_for(release)
    assert (process.reference, process.amount) == (release.reference, D("142857.14"))
    assert (process.applicant_id, process.counterparty_id) == (world.distributor.pk, world.warehouse.pk)

    (notice,) = open_tasks(release)
    assert notice.flow_task.name == "notice"
    assert can_act(world.ops, notice) and not can_act(world.distributor_user, notice)
    assert not can_act(world.seller_user, notice)
    ops = logged_in(world.ops, "zh-hans")
    url = reverse("inbox:task", args=[notice.pk])
    page = ops.get(url).content.decode()
    assert release.reference in page and "142,857.14" in page and "出具提货通知书" in page
    assert ops.post(url, {}).status_code == 400  # not ticked
    assert ops.post(url, {"confirm": "on"}).status_code == 302
    release.refresh_from_db()
    assert release.state == ReleaseRequest.State.NOTICE_ISSUED
    assert process_for(release).due_date is not None

    (delivery_notice,) = open_tasks(release)
    assert delivery_notice.flow_task.name == "delivery_notice"
    assert can_act(world.seller_user, delivery_notice)
    assert not can_act(other_seller_user, delivery_notice) and not can_act(warehouse_user, delivery_notice)
    assert logged_in(other_seller_user).get(reverse("inbox:task", args=[delivery_notice.pk])).status_code == 404
    seller = logged_in(world.seller_user, "zh-hans")
    url = reverse("inbox:task", args=[delivery_notice.pk])
    first, second = order.lines.order_by("pk")
    page = seller.get(url).content.decode()
    assert "螺纹钢 HRB400" in page and "尚可发货：200 t。" in page
    # 40 t + 1.2 t = 143,000.00: more than the release lets out, shown on the form in Chinese
    response = seller.post(url, {f"line-{first.pk}": "40", f"line-{second.pk}": "1.2"})
    assert response.status_code == 400
    assert "所列货物价值143,000.00" in response.content.decode()
    response = seller.post(url, {f"line-{first.pk}": "40", f"line-{second.pk}": "0.5"})
    assert response.status_code == 302
    release.refresh_from_db()
    assert release.state == ReleaseRequest.State.DELIVERY_NOTIFIED

    (deliver,) = open_tasks(release)
    assert deliver.flow_task.name == "deliver"
    assert can_act(warehouse_user, deliver) and not can_act(world.seller_user, deliver)
    warehouse = logged_in(warehouse_user, "zh-hans")
    inbox = warehouse.get(reverse("inbox:list")).content.decode()
    assert release.reference in inbox and "确认货物已交付" in inbox
    url = reverse("inbox:task", args=[deliver.pk])
    response = warehouse.post(url, {f"line-{first.pk}": "40", f"line-{second.pk}": "0.6"})
    assert response.status_code == 400 and "确认交付0.6，超出通知数量" in response.content.decode()
    assert warehouse.post(url, {f"line-{first.pk}": "40", f"line-{second.pk}": "0.3"}).status_code == 302
    release.refresh_from_db()
    assert (release.state, release.delivered_value) == (ReleaseRequest.State.DELIVERED, D("140750.00"))
    assert not open_tasks(release) and not process_for(release).is_open
