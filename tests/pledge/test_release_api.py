"""The release API: request, order, execute, cancel and split as each party's system; substitution refusals.

Base case: copper at 5,000.00/t, r = 0.60, E = 180,000.00 → 300,000.00 must stay.
Goods: LOT-1 100.000 t and receipt WR-A 30.000 t: V = 650,000.00, releasable 350,000.00 (70.000 t).
"""

from decimal import Decimal

import pytest
from django.test import Client

from tests.pledge.release_helpers import pledge_goods, priced_agreement
from workflows.pledge.models import PledgedItem, PledgeRelease, WarehouseReceipt

pytestmark = pytest.mark.django_db

D = Decimal


def api(user, language="en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


@pytest.fixture
def goods(world, active_agreement):
    agreement = priced_agreement(world, active_agreement)
    lot, wr_a = pledge_goods(world, agreement, lots=[("LOT-1", "100.000")], receipts=[("WR-A", "30.000")])
    return agreement, lot, wr_a


def test_the_whole_release_through_the_api(world, goods, corporate, django_capture_on_commit_callbacks):
    agreement, lot, wr_a = goods
    pledgor, warehouse, ops = api(world.pledgor_user), api(world.warehouse_user), api(world.ops)
    base = f"/api/v1/pledge/agreements/{agreement.pk}/releases/"
    created = post(pledgor, base, {"lines": [{"item": lot.pk, "quantity": "25.500"}, {"item": wr_a.pk}],
                                   "note": "order 7"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "requested" and body["requested_value"] == "277500.00"  # 127,500.00 + 150,000.00
    assert [(line["number"], line["quantity"], line["value"]) for line in body["lines"]] == [
        ("LOT-1", "25.500", "127500.00"), ("WR-A", "30.000", "150000.00")]
    assert body["substitution_for"] is None
    release = f"/api/v1/pledge/releases/{body['id']}/"
    assert [r["reference"] for r in warehouse.get(base).json()] == [body["reference"]]
    assert post(warehouse, f"{release}execute/").json()["error"]["code"] == "illegal_transition"
    assert post(pledgor, f"{release}order/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        ordered = post(ops, f"{release}order/")
    assert ordered.status_code == 200 and ordered.json()["state"] == "ordered"
    assert [d["kind"] for d in ordered.json()["documents"]] == ["pledge_release_order"]
    _other, other_user = corporate("warehouse2", is_warehouse=True, is_supplier=False)
    assert post(api(other_user), f"{release}execute/").status_code == 404  # another tenant: 404 first
    assert api(other_user).get(release).status_code == 404
    executed = post(warehouse, f"{release}execute/", {"note": "truck 9"})
    assert executed.status_code == 200 and executed.json()["state"] == "executed"
    lot.refresh_from_db()
    assert lot.quantity == D("74.500")
    assert WarehouseReceipt.objects.get(number="WR-A").status == WarehouseReceipt.Status.CANCELLED
    assert post(ops, f"{release}cancel/").json()["error"]["code"] == "illegal_transition"


def test_field_errors_are_400_and_beyond_releasable_is_409_nothing_kept(world, goods):
    agreement, lot, wr_a = goods
    pledgor = api(world.pledgor_user)
    base = f"/api/v1/pledge/agreements/{agreement.pk}/releases/"
    missing = post(pledgor, base, {"lines": [{"quantity": "1"}]})
    assert missing.status_code == 400 and "lines.0.item" in missing.json()["error"]["fields"]
    fine = post(pledgor, base, {"lines": [{"item": lot.pk, "quantity": "1.0001"}]})
    assert fine.status_code == 400 and "lines.0.quantity" in fine.json()["error"]["fields"]
    empty = post(pledgor, base, {"lines": []})
    assert empty.status_code == 400 and "lines" in empty.json()["error"]["fields"]
    beyond = post(pledgor, base, {"lines": [{"item": lot.pk, "quantity": "70.001"}]})
    assert beyond.status_code == 409
    error = beyond.json()["error"]
    assert error["code"] == "release_exceeds_releasable"
    assert error["message"] == ("At most 70.000 tonne of Copper cathode may be released now (60.000 tonne must "
                                "stay pledged); 70.001 tonne was asked.")
    zh = post(api(world.pledgor_user, "zh-hans"), base, {"lines": [{"item": lot.pk, "quantity": "70.001"}]})
    assert zh.status_code == 409 and zh.json()["error"]["code"] == "release_exceeds_releasable"
    partial = post(pledgor, base, {"lines": [{"item": wr_a.pk, "quantity": "10.000"}]})
    assert partial.status_code == 409 and partial.json()["error"]["code"] == "release_partial_receipt"
    assert post(api(world.warehouse_user), base, {"lines": [{"item": lot.pk, "quantity": "1"}]}).status_code == 403
    assert not PledgeRelease.objects.exists()


def test_a_substitution_through_the_api(world, goods):
    agreement, lot, _wr_a = goods
    (new,) = pledge_goods(world, agreement, lots=[("LOT-NEW", "20.000")])  # 100,000.00 in; V = 750,000.00
    pledgor = api(world.pledgor_user)
    base = f"/api/v1/pledge/agreements/{agreement.pk}/releases/"
    refused = post(pledgor, base, {"lines": [{"item": lot.pk, "quantity": "20.001"}],
                                   "substitution_for": new.intake_id})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "substitution_exceeds_value_in"
    assert "CNY 100,005.00" in refused.json()["error"]["message"]
    zh = post(api(world.pledgor_user, "zh-hans"), base, {"lines": [{"item": lot.pk, "quantity": "20.001"}],
                                                         "substitution_for": new.intake_id})
    assert zh.json()["error"]["message"] == (
        f"换出货物价值 CNY 100,005.00，超过入库批次 {new.intake.reference} 新货带入的价值：100,000.00，其中 0.00 "
        "已用于其他换货，因此最多可换出 100,000.00。")
    wrong = post(pledgor, base, {"lines": [{"item": lot.pk, "quantity": "1"}], "substitution_for": 999999})
    assert wrong.status_code == 400 and "substitution_for" in wrong.json()["error"]["fields"]
    created = post(pledgor, base, {"lines": [{"item": lot.pk, "quantity": "20.000"}],
                                   "substitution_for": new.intake_id})
    assert created.status_code == 201 and created.json()["substitution_for"] == new.intake.reference
    assert created.json()["requested_value"] == "100000.00"


def test_the_warehouse_splits_through_the_api(world, goods):
    agreement, _lot, wr_a = goods
    url = f"/api/v1/pledge/items/{wr_a.pk}/split/"
    parts = {"parts": [{"number": "WR-A1", "quantity": "10.000"}, {"number": "WR-A2", "quantity": "20.000"}]}
    assert post(api(world.pledgor_user), url, parts).json()["error"]["code"] == "not_your_warehouse"
    bad = post(api(world.warehouse_user), url, {"parts": [{"number": "WR-A1"}, {"number": "WR-A2",
                                                                                  "quantity": "20"}]})
    assert bad.status_code == 400 and "parts.0.quantity" in bad.json()["error"]["fields"]
    short = post(api(world.warehouse_user), url, {"parts": [{"number": "WR-A1", "quantity": "10.000"},
                                                             {"number": "WR-A2", "quantity": "19.999"}]})
    assert short.status_code == 400 and short.json()["error"]["fields"]["parts"] == [
        "The parts add up to 29.999; receipt WR-A holds 30.000. They must add up exactly."]
    done = post(api(world.warehouse_user), url, parts)
    assert done.status_code == 201
    assert [(i["number"], i["quantity"], i["status"]) for i in done.json()] == [
        ("WR-A1", "10.000", "pledged"), ("WR-A2", "20.000", "pledged")]
    wr_a.refresh_from_db()
    assert wr_a.status == PledgedItem.Status.SPLIT
    again = post(api(world.warehouse_user), url, {"parts": [{"number": "X1", "quantity": "10"},
                                                             {"number": "X2", "quantity": "20"}]})
    assert again.status_code == 409 and again.json()["error"]["code"] == "receipt_split_conflict"


def test_the_release_api_is_in_the_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in ("/api/v1/pledge/agreements/{agreement_pk}/releases/", "/api/v1/pledge/releases/{pledge_release_pk}/",
                 "/api/v1/pledge/releases/{pledge_release_pk}/order/",
                 "/api/v1/pledge/releases/{pledge_release_pk}/execute/",
                 "/api/v1/pledge/releases/{pledge_release_pk}/cancel/",
                 "/api/v1/pledge/items/{pledged_item_pk}/split/"):
        assert path in paths, path
    assert "PledgeRelease" in schema["components"]["schemas"]


def test_what_is_releasable_and_the_substitutions_through_the_api(world, goods):
    agreement, lot, _wr_a = goods
    (new,) = pledge_goods(world, agreement, lots=[("LOT-NEW", "20.000")])  # V = 750,000.00
    url = f"/api/v1/pledge/agreements/{agreement.pk}/releasable/"
    assert api(world.warehouse_user).get(url).status_code == 404  # the loan is not the warehouse's business
    post(api(world.pledgor_user), f"/api/v1/pledge/agreements/{agreement.pk}/releases/",
         {"lines": [{"item": lot.pk, "quantity": "8.000"}], "substitution_for": new.intake_id})  # 40,000.00
    body = api(world.pledgor_user).get(url).json()
    # R = 40,000.00; releasable = 750,000.00 − 300,000.00 − 40,000.00 = 410,000.00;
    # copper must stay (300,000.00 + 40,000.00) / 5,000.00 = 68.000 t of 150.000 t: 82.000 t may go.
    assert (body["value"], body["exposure"], body["pending"], body["kept_value"], body["releasable_value"],
            body["floor_value"], body["reliable"]) == (
        "750000.00", "180000.00", "40000.00", "300000.00", "410000.00", "300000.00", True)
    assert body["commodities"] == [{"commodity": "CU", "price": "5000.000000", "quantity": "150.000",
                                    "keep": "68.000", "releasable": "82.000"}]
    # Against LOT-NEW: 100,000.00 in, 40,000.00 exchanged; V − R − F = 410,000.00: 60,000.00 may go out.
    # Against the first intake (130.000 t, 650,000.00 in): min(650,000.00, 410,000.00).
    assert body["substitutions"] == [
        {"intake": new.intake_id, "reference": new.intake.reference, "value_in": "100000.00",
         "exchanged": "40000.00", "allowed_out": "60000.00"},
        {"intake": lot.intake_id, "reference": lot.intake.reference, "value_in": "650000.00",
         "exchanged": "0.00", "allowed_out": "410000.00"}]
