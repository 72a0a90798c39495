"""The collateral pages, each party in turn: the pledgor declares, the warehouse counts, operations notice."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from documents.models import Document
from tests.pledge.collateral_helpers import (
    approve_price,
    approve_warehouse,
    current,
    declare,
    lot_line,
    make_effective,
    receipt_line,
    sign,
)
from workflows.pledge.models import CollateralIntake, PledgedItem

pytestmark = pytest.mark.django_db


def client_for(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def priced(world):
    approve_warehouse(world)
    approve_price(world, world.copper, "68250.00")
    approve_price(world, world.batteries, "12800.00")
    return world


def _line(index, **values):
    return {f"lines-{index}-{key}": value for key, value in values.items()}


def _declare_post(world, **lines):
    data = {"lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "50", "lines-0-kind": "receipt", "lines-1-kind": "receipt",
            "lines-2-kind": "receipt", "note": ""}
    data.update(lines)
    return data


def test_the_pledgor_declares_through_the_form(priced, active_agreement):
    world = priced
    client = client_for(world.pledgor_user)
    page = client.get(f"/pledge/agreements/{active_agreement.pk}/collateral/")
    assert page.status_code == 200 and "Declare goods" in page.content.decode()
    issued = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    data = _declare_post(world, **_line(0, kind="receipt", number="WR-77", commodity=world.copper.pk,
                                        quantity="120.500", location="Shed 3", issued_on=issued),
                         **_line(1, kind="lot", number="LOT-9", commodity=world.batteries.pk, quantity="40",
                                 description="Type A"))
    answer = client.post(f"/pledge/agreements/{active_agreement.pk}/collateral/declare/", data)
    intake = CollateralIntake.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/pledge/intakes/{intake.pk}/"
    assert intake.items.count() == 2


def test_a_refused_line_comes_back_with_its_error_and_nothing_is_kept(priced, active_agreement):
    world = priced
    declare(world, active_agreement, receipt_line("WR-77", commodity=world.copper))
    client = client_for(world.pledgor_user, "zh-hans")
    data = _declare_post(world, **_line(0, kind="lot", number="LOT-1", commodity=world.batteries.pk, quantity="2.5"))
    answer = client.post(f"/pledge/agreements/{active_agreement.pk}/collateral/declare/", data)
    assert answer.status_code == 400 and "数量" in answer.content.decode()
    issued = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    data = _declare_post(world, **_line(0, kind="receipt", number="WR-77", commodity=world.copper.pk,
                                        quantity="120.500", issued_on=issued))
    answer = client.post(f"/pledge/agreements/{active_agreement.pk}/collateral/declare/", data)
    assert answer.status_code == 409
    assert CollateralIntake.objects.count() == 1


def test_the_warehouse_counts_signs_and_confirms_in_its_portal(priced, active_agreement,
                                                               django_capture_on_commit_callbacks):
    world = priced
    intake = declare(world, active_agreement, receipt_line(commodity=world.copper),
                     lot_line(commodity=world.batteries, quantity="40"))
    warehouse = client_for(world.warehouse_user)
    todo = warehouse.get("/pledge/goods-to-count/").content.decode()
    assert intake.reference in todo and "Count the goods" in todo
    receipt_item, lot_item = intake.items.order_by("pk")
    bad = warehouse.post(f"/pledge/intakes/{intake.pk}/count/",
                         {f"count-{receipt_item.pk}": "120.500", f"count-{lot_item.pk}": "41"})
    assert bad.status_code == 400 and "cannot exceed" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = warehouse.post(f"/pledge/intakes/{intake.pk}/count/",
                              {f"count-{receipt_item.pk}": "120.500", f"count-{lot_item.pk}": "39"})
    assert done.status_code == 302
    page = warehouse.get(f"/pledge/intakes/{intake.pk}/").content.decode()
    assert "Sign the pledged goods list" in page
    # The button opens the document's page at its signing form (the signing address itself takes POST only).
    goods_list = current(intake, "pledged_goods_list")
    assert f'href="/documents/{goods_list.pk}/#sign"' in page
    form = warehouse.get(f"/documents/{goods_list.pk}/")
    assert form.status_code == 200 and 'id="sign"' in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        sign(current(intake, "pledged_goods_list"), world.warehouse, world.warehouse_user)
    ops = client_for(world.ops)
    assert "Issue the notice of pledge" in ops.get(f"/pledge/intakes/{intake.pk}/").content.decode()
    assert warehouse.post(f"/pledge/intakes/{intake.pk}/notice/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert ops.post(f"/pledge/intakes/{intake.pk}/notice/").status_code == 302
    page = warehouse.get(f"/pledge/intakes/{intake.pk}/").content.decode()
    assert "Confirm the notice of pledge" in page
    assert "Confirm the notice of pledge" in warehouse.get("/pledge/goods-to-count/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        sign(current(intake, "pledge_notice"), world.warehouse, world.warehouse_user)
    intake.refresh_from_db()
    assert intake.state == CollateralIntake.State.EFFECTIVE
    lot_item.refresh_from_db()
    assert lot_item.status == PledgedItem.Status.PLEDGED and lot_item.quantity == 39
    valuation = client_for(world.risk).get(f"/pledge/agreements/{active_agreement.pk}/collateral/").content.decode()
    assert "8,224,125.00" in valuation and "499,200.00" in valuation  # 39 × 12,800.00
    # The warehouse sees the goods and the floor, not the pledgor's borrowing.
    held = warehouse.get(f"/pledge/agreements/{active_agreement.pk}/collateral/").content.decode()
    assert "8,224,125.00" in held and "Floor value" in held and "Exposure" not in held and "Available" not in held


def test_the_warehouse_refuses_and_the_pledgor_withdraws(priced, active_agreement):
    world = priced
    first = declare(world, active_agreement, receipt_line(commodity=world.copper))
    warehouse = client_for(world.warehouse_user)
    assert warehouse.post(f"/pledge/intakes/{first.pk}/refuse/", {"reason": ""}).status_code == 400
    assert warehouse.post(f"/pledge/intakes/{first.pk}/refuse/", {"reason": "Not in shed 3"}).status_code == 302
    first.refresh_from_db()
    assert first.state == CollateralIntake.State.REFUSED
    second = declare(world, active_agreement, receipt_line(commodity=world.copper))
    pledgor = client_for(world.pledgor_user)
    assert pledgor.post(f"/pledge/intakes/{second.pk}/withdraw/").status_code == 302
    second.refresh_from_db()
    assert second.state == CollateralIntake.State.WITHDRAWN
    assert pledgor.post(f"/pledge/intakes/{second.pk}/withdraw/").status_code == 409


def test_pages_in_chinese(priced, active_agreement, django_capture_on_commit_callbacks):
    world = priced
    intake = declare(world, active_agreement, receipt_line(commodity=world.copper))
    make_effective(world, active_agreement, intake, django_capture_on_commit_callbacks)
    page = client_for(world.pledgor_user, "zh-hans").get(f"/pledge/agreements/{active_agreement.pk}/collateral/")
    text = page.content.decode()
    assert page.status_code == 200 and "押品估值" in text and "可提款金额" in text
    assert Document.objects.filter(object_id=intake.pk, state=Document.State.SIGNED).count() == 2


def test_another_lender_and_strangers_find_nothing(priced, active_agreement, other_lender_world, corporate):
    world = priced
    intake = declare(world, active_agreement, receipt_line(commodity=world.copper))
    _other, other_user = other_lender_world
    _stranger_org, stranger = corporate("stranger-wh", is_warehouse=True, is_supplier=False)
    for user in (other_user, stranger):
        client = client_for(user)
        assert client.get(f"/pledge/agreements/{active_agreement.pk}/collateral/").status_code == 404
        assert client.get(f"/pledge/intakes/{intake.pk}/").status_code == 404
        assert client.post(f"/pledge/intakes/{intake.pk}/count/", {}).status_code == 404
    assert intake.reference not in client_for(stranger).get("/pledge/goods-to-count/").content.decode()
    assert client_for(world.ops).get("/pledge/goods-to-count/").status_code == 404
