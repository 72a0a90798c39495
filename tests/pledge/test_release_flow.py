"""The release's flow: the order task for the lender's operations, the confirmation for the agreement's warehouse.

Base case of tests/pledge/test_releases.py: copper 100.000 t at 5,000.00/t in one lot, r = 0.60,
E = 180,000.00, so 40.000 t (200,000.00) may be released.
"""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task

from tests.pledge.release_helpers import pledge_goods, priced_agreement
from workflows.inbox.assignment import can_act
from workflows.inbox.services import process_for
from workflows.pledge import pledge_releases as releases
from workflows.pledge.models import PledgedItem, PledgeRelease
from workflows.pledge.pledge_releases import ReleaseRequestLine

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def lot_agreement(world, active_agreement):
    agreement = priced_agreement(world, active_agreement)
    (lot,) = pledge_goods(world, agreement, lots=[("LOT-1", "100.000")])
    return agreement, lot


def open_tasks(release):
    return list(Task.objects.filter(process=process_for(release), status__in=["NEW", "ASSIGNED", "STARTED"]))


def logged_in(user, language="en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def test_request_order_confirm_through_the_tasks(world, lot_agreement, corporate):
    agreement, lot = lot_agreement
    _other, other_warehouse_user = corporate("warehouse2", is_warehouse=True, is_supplier=False)
    release = releases.release_request(agreement=agreement, lines=[ReleaseRequestLine(lot, D("30.000"))],
                                       acting_user=world.pledgor_user)
    (order,) = open_tasks(release)
    assert order.flow_task.name == "order"
    assert can_act(world.ops, order) and not can_act(world.pledgor_user, order)
    assert not can_act(world.warehouse_user, order)
    process = process_for(release)
    assert process.reference == release.reference and process.amount == D("150000.00")
    assert process.applicant_id == world.pledgor.pk and process.counterparty_id == world.warehouse.pk

    ops = logged_in(world.ops, "zh-hans")
    url = reverse("inbox:task", args=[order.pk])
    page = ops.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert release.reference in page and "LOT-1" in page and "150,000.00" in page
    assert ops.post(url, {}, HTTP_ACCEPT_LANGUAGE="zh-hans").status_code == 400  # not confirmed
    response = ops.post(url, {"confirm": "on"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 302
    release.refresh_from_db()
    assert release.state == PledgeRelease.State.ORDERED

    (confirm,) = open_tasks(release)
    assert confirm.flow_task.name == "confirm"
    assert can_act(world.warehouse_user, confirm)
    assert not can_act(other_warehouse_user, confirm) and not can_act(world.ops, confirm)
    assert not can_act(world.pledgor_user, confirm)
    assert logged_in(other_warehouse_user).get(reverse("inbox:task", args=[confirm.pk])).status_code == 404
    assert release.reference not in logged_in(other_warehouse_user).get(reverse("inbox:list")).content.decode()
    warehouse = logged_in(world.warehouse_user, "zh-hans")
    inbox = warehouse.get(reverse("inbox:list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert release.reference in inbox and "确认货物已出库" in inbox
    task_page = warehouse.get(reverse("inbox:task", args=[confirm.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = task_page.content.decode()
    assert task_page.status_code == 200 and "LOT-1" in html and "解押指令" in html
    assert "<script>" not in html and " style=" not in html
    response = warehouse.post(reverse("inbox:task", args=[confirm.pk]), {"confirm": "on", "note": "truck 7"})
    assert response.status_code == 302
    release.refresh_from_db()
    lot.refresh_from_db()
    assert release.state == PledgeRelease.State.EXECUTED and "truck 7" in release.note
    assert lot.quantity == D("70.000") and lot.status == PledgedItem.Status.PLEDGED
    assert open_tasks(release) == []
    assert process_for(release).status == "DONE"


def test_the_services_complete_the_steps_without_the_task_pages(world, lot_agreement):
    agreement, lot = lot_agreement
    release = releases.release_request(agreement=agreement, lines=[ReleaseRequestLine(lot, D("10.000"))],
                                       acting_user=world.pledgor_user)
    releases.release_order_issue(release=release, acting_user=world.ops)
    assert [t.flow_task.name for t in open_tasks(release)] == ["confirm"]
    releases.release_execute(release=release, acting_user=world.warehouse_user)
    assert open_tasks(release) == [] and process_for(release).status == "DONE"


@pytest.mark.parametrize("ordered", [False, True])
def test_cancel_ends_the_flow(world, lot_agreement, ordered):
    agreement, lot = lot_agreement
    release = releases.release_request(agreement=agreement, lines=[ReleaseRequestLine(lot, D("10.000"))],
                                       acting_user=world.pledgor_user)
    if ordered:
        releases.release_order_issue(release=release, acting_user=world.ops)
    releases.release_cancel(release=release, acting_user=world.ops, reason="not needed")
    assert open_tasks(release) == []
    assert process_for(release).status == "CANCELED"
