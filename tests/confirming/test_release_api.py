"""The release API as each party's system: the distributor asks, operations notice, the seller's ERP gives the
delivery notice and the warehouse's system confirms the delivery, line by line; refusals with their codes.
Figures as in test_release_services.py (mode 2, M = 400,000.00: 142,857.14 releasable).
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.test import Client

from tests.confirming import release_setup
from tests.confirming.release_setup import pay

pytestmark = pytest.mark.django_db
funded_order = release_setup.funded_order
warehouse_user = release_setup.warehouse_user

BASE = "/api/v1/confirming/releases/"


def api(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


@pytest.fixture
def order(world, funded_order):
    order = funded_order(mode=2)
    pay(world, order, "100000.00", "TT-1")
    return order


def _lines(order, *quantities):
    return {"lines": [{"order_line": line.pk, "quantity": q}
                      for line, q in zip(order.lines.order_by("pk"), quantities) if q is not None]}


def test_the_whole_release_through_the_api(world, order, warehouse_user, django_capture_on_commit_callbacks):
    distributor, seller, warehouse, ops = (api(world.distributor_user), api(world.seller_user), api(warehouse_user),
                                           api(world.ops))
    over = post(distributor, BASE, {"order": order.pk, "value": "142857.15"})
    assert over.status_code == 409 and over.json()["error"]["code"] == "release_exceeds_allowance"
    created = post(distributor, BASE, {"order": order.pk, "value": "142857.14"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["state"], body["value"], body["order"], body["custodian"]) == (
        "requested", "142857.14", order.reference, world.warehouse.pk)
    release = f"{BASE}{body['id']}/"
    assert [r["reference"] for r in warehouse.get(BASE, {"order": order.pk}).json()] == [body["reference"]]
    assert post(seller, f"{release}delivery-notice/", _lines(order, "1")).json()["error"]["code"] == \
        "confirming_release_state"
    assert post(distributor, f"{release}notice/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        noticed = post(ops, f"{release}notice/")
    assert noticed.status_code == 200 and noticed.json()["state"] == "notice_issued"
    assert [d["kind"] for d in noticed.json()["documents"]] == ["confirming_release_notice"]
    assert post(ops, f"{release}notice/").json()["error"]["code"] == "confirming_release_state"

    too_much = post(seller, f"{release}delivery-notice/", _lines(order, "40", "1.2"))
    assert too_much.status_code == 409 and too_much.json()["error"]["code"] == "delivery_exceeds_release"
    assert "143,000.00" in too_much.json()["error"]["message"]
    bad = post(seller, f"{release}delivery-notice/", _lines(order, "40", "abc"))
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"lines.1.quantity"}
    assert post(seller, f"{release}delivery-notice/", {"lines": []}).status_code == 400
    notified = post(seller, f"{release}delivery-notice/", _lines(order, "40", "0.5"))
    assert notified.status_code == 200, notified.content
    assert [(line["quantity"], line["value"]) for line in notified.json()["lines"]] == [
        ("40.000", "140000.00"), ("0.500", "1250.00")]

    above = post(warehouse, f"{release}delivery/", _lines(order, "40", "0.501"))
    assert above.status_code == 409 and above.json()["error"]["code"] == "delivery_above_notice"
    assert post(seller, f"{release}delivery/", _lines(order, "40", "0.3")).status_code == 403  # four-party
    delivered = post(warehouse, f"{release}delivery/", _lines(order, "40", "0.3"))
    assert delivered.status_code == 200
    assert (delivered.json()["state"], delivered.json()["delivered_value"]) == ("delivered", "140750.00")
    assert [line["delivered_quantity"] for line in delivered.json()["lines"]] == ["40.000", "0.300"]
    order.refresh_from_db()
    assert order.released_value == D("140750.00")


def test_bad_input_and_another_orders_goods(world, order, funded_order, warehouse_user):
    other = funded_order(mode=2, reference="CWO-REL-2")
    distributor = api(world.distributor_user)
    missing = post(distributor, BASE, {"value": "-1"})
    assert missing.status_code == 400 and set(missing.json()["error"]["fields"]) == {"order", "value"}
    precise = post(distributor, BASE, {"order": order.pk, "value": "1.001"})
    assert precise.status_code == 400 and "value" in precise.json()["error"]["fields"]
    assert api(world.distributor_user).get(BASE, {"state": "nonsense"}).status_code == 400
    created = post(distributor, BASE, {"order": order.pk, "value": "1000.00"}).json()
    release = f"{BASE}{created['id']}/"
    post(api(world.ops), f"{release}notice/")
    foreign = post(api(world.seller_user), f"{release}delivery-notice/", _lines(other, "1"))
    assert foreign.status_code == 409 and foreign.json()["error"]["code"] == "delivery_line_not_on_order"


def test_withdraw_and_the_codes_after_the_notice(world, order):
    distributor = api(world.distributor_user)
    first = post(distributor, BASE, {"order": order.pk, "value": "1000.00"}).json()
    withdrawn = post(distributor, f"{BASE}{first['id']}/withdraw/")
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"
    assert post(distributor, f"{BASE}{first['id']}/withdraw/").json()["error"]["code"] == "confirming_release_state"


def test_another_tenant_finds_nothing(world, order, corporate):
    release = post(api(world.distributor_user), BASE, {"order": order.pk, "value": "1000.00"}).json()
    _dist2, stranger = corporate("dist2", is_distributor=True, is_supplier=False)
    _core2, other_seller = corporate("core2", is_core=True, is_supplier=False)
    for user in (stranger, other_seller):
        client = api(user)
        assert client.get(f"{BASE}{release['id']}/").status_code == 404
        assert client.get(BASE).json() == []
        assert client.get(BASE, {"order": order.pk}).status_code == 404
        assert post(client, f"{BASE}{release['id']}/withdraw/").status_code == 404
        assert post(client, f"{BASE}{release['id']}/delivery-notice/", _lines(order, "1")).status_code == 404
        assert post(client, BASE, {"order": order.pk, "value": "1.00"}).status_code == 404


def test_the_release_endpoints_are_in_the_schema(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for suffix in ("", "{cw_release_pk}/", "{cw_release_pk}/withdraw/", "{cw_release_pk}/notice/",
                   "{cw_release_pk}/delivery-notice/", "{cw_release_pk}/delivery/"):
        assert f"/api/v1/confirming/releases/{suffix}" in paths, suffix
    assert "ConfirmingRelease" in schema["components"]["schemas"]
