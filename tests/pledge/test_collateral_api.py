"""The collateral API: declare, count, sign, notice and confirm as each party's system; the valuation."""

import datetime
import warnings

import pytest
from django.test import Client
from django.utils import timezone

from tests.pledge.collateral_helpers import PASSWORD, approve_price, approve_warehouse, declare, receipt_line
from workflows.pledge.models import CollateralIntake

pytestmark = pytest.mark.django_db


def api(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def priced(world):
    approve_warehouse(world)
    approve_price(world, world.copper, "68250.00")
    approve_price(world, world.batteries, "12800.00")
    return world


def _lines():
    issued = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    return {"lines": [
        {"kind": "receipt", "number": "WR-API-1", "commodity": "CU", "quantity": "120.500", "issued_on": issued,
         "location": "Shed 3"},
        {"kind": "lot", "number": "LOT-API-1", "commodity": "EVB", "quantity": "40", "description": "Type A"}]}


def test_the_whole_intake_through_the_api(priced, active_agreement, django_capture_on_commit_callbacks):
    world = priced
    pledgor, warehouse, ops = api(world.pledgor_user), api(world.warehouse_user), api(world.ops)
    base = f"/api/v1/pledge/agreements/{active_agreement.pk}"
    created = pledgor.post(f"{base}/intakes/", _lines(), content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "declared" and [i["number"] for i in body["items"]] == ["WR-API-1", "LOT-API-1"]
    intake = f"/api/v1/pledge/intakes/{body['id']}"
    counts = {"counts": [{"item": body["items"][0]["id"], "counted_quantity": "120.500"},
                         {"item": body["items"][1]["id"], "counted_quantity": "41"}]}
    refused = warehouse.post(f"{intake}/count/", counts, content_type="application/json")
    assert refused.status_code == 400 and f"counts.{body['items'][1]['id']}" in refused.json()["error"]["fields"]
    counts["counts"][1]["counted_quantity"] = "40"
    assert pledgor.post(f"{intake}/count/", counts, content_type="application/json").json()["error"]["code"] == \
        "not_your_warehouse"
    with django_capture_on_commit_callbacks(execute=True):
        counted = warehouse.post(f"{intake}/count/", counts, content_type="application/json")
    assert counted.status_code == 200 and counted.json()["state"] == "counted"
    early = ops.post(f"{intake}/notice/")
    assert early.status_code == 409 and early.json()["error"]["code"] == "goods_list_not_signed"
    assert warehouse.post(f"{intake}/notice/confirm/", {"password": PASSWORD}).json()["error"]["code"] == \
        "document_not_ready"
    wrong = warehouse.post(f"{intake}/goods-list/sign/", {"password": "nope"})
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_password"
    with django_capture_on_commit_callbacks(execute=True):
        assert warehouse.post(f"{intake}/goods-list/sign/", {"password": PASSWORD}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert ops.post(f"{intake}/notice/").json()["state"] == "notice_issued"
    with django_capture_on_commit_callbacks(execute=True):
        assert warehouse.post(f"{intake}/notice/confirm/", {"password": PASSWORD}).status_code == 200
    final = pledgor.get(f"{intake}/").json()
    assert final["state"] == "effective" and {i["status"] for i in final["items"]} == {"pledged"}
    assert {d["kind"] for d in final["documents"]} == {"pledged_goods_list", "pledge_notice"}
    valuation = api(world.risk).get(f"{base}/valuation/").json()
    assert valuation["value"] == "8736125.00"  # 8,224,125.00 + 40 × 12,800.00
    assert valuation["max_loan"] == "5241675.00" and valuation["available"] == "5000000.00"  # capped by headroom
    assert valuation["reliable"] is True and valuation["missing"] == []
    assert [line["value"] for line in valuation["lines"]] == ["8224125.00", "512000.00"]
    assert len(pledgor.get(f"{base}/intakes/").json()) == 1
    assert pledgor.get(f"{base}/valuation/").status_code == 200
    assert warehouse.get(f"{base}/valuation/").status_code == 404  # the pledgor's borrowing is not its business


def test_bad_lines_answer_400_with_their_fields_and_a_held_receipt_409(priced, active_agreement):
    world = priced
    pledgor = api(world.pledgor_user)
    url = f"/api/v1/pledge/agreements/{active_agreement.pk}/intakes/"
    bad = pledgor.post(url, {"lines": [{"kind": "lot", "number": "L", "commodity": "EVB", "quantity": "2.5"}]},
                       content_type="application/json")
    assert bad.status_code == 400 and "lines.0.quantity" in bad.json()["error"]["fields"]
    unknown = pledgor.post(url, {"lines": [{"kind": "crate", "number": "L", "commodity": "XX", "quantity": "1"}]},
                           content_type="application/json")
    assert unknown.status_code == 400 and {"lines.0.kind", "lines.0.commodity"} <= set(unknown.json()["error"]["fields"])
    declare(world, active_agreement, receipt_line("WR-API-1", commodity=world.copper))
    held = pledgor.post(url, _lines(), content_type="application/json")
    assert held.status_code == 409 and held.json()["error"]["code"] == "collateral_already_pledged"
    assert CollateralIntake.objects.count() == 1


def test_another_lender_gets_404(priced, active_agreement, other_lender_world):
    world = priced
    intake = declare(world, active_agreement, receipt_line(commodity=world.copper))
    _other, other_user = other_lender_world
    other = api(other_user)
    assert other.get(f"/api/v1/pledge/agreements/{active_agreement.pk}/intakes/").status_code == 404
    assert other.get(f"/api/v1/pledge/agreements/{active_agreement.pk}/valuation/").status_code == 404
    assert other.get(f"/api/v1/pledge/intakes/{intake.pk}/").status_code == 404
    assert other.post(f"/api/v1/pledge/intakes/{intake.pk}/notice/").status_code == 404


def test_the_collateral_endpoints_are_in_the_schema(priced):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = api(priced.pledgor_user).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in ("/api/v1/pledge/agreements/{agreement_pk}/intakes/", "/api/v1/pledge/agreements/{agreement_pk}/valuation/",
                 "/api/v1/pledge/intakes/{intake_pk}/", "/api/v1/pledge/intakes/{intake_pk}/count/",
                 "/api/v1/pledge/intakes/{intake_pk}/goods-list/sign/", "/api/v1/pledge/intakes/{intake_pk}/notice/",
                 "/api/v1/pledge/intakes/{intake_pk}/notice/confirm/"):
        assert path in schema["paths"], path
