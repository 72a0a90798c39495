"""The purchase order API: create 201 with hand-computed P and M0, 400 by field, 409 with stable codes, 404 elsewhere."""

from __future__ import annotations

import pytest
from django.test import Client

from scf.ledger.models import JournalEntry
from workflows.confirming import orders
from workflows.confirming.models import PurchaseOrder

from .order_setup import *  # noqa: F403
from .order_setup import DAY, D, apply, approved

pytestmark = pytest.mark.django_db
URL = "/api/v1/confirming/orders/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body(ow, **changes) -> dict:
    return {"agreement": ow.agreement.pk, "route": "loan", "seller_order_number": "SO-7", "submit": True,
            "lines": [{"description": "Copper cathode", "unit": "t", "quantity": "40", "unit_price": "12345.675"},
                      {"description": "Cable drum", "unit": "set", "quantity": "7.5", "unit_price": "1333.333"}],
            **changes}


def test_the_distributor_applies_and_the_sellers_erp_confirms(ow):
    response = logged_in(ow.distributor_user).post(URL, body(ow), content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["order_amount"], data["initial_margin"], data["state"]) == (
        "503827.00", "151148.10", "seller_confirmation")
    assert [line["amount"] for line in data["lines"]] == ["493827.00", "10000.00"]
    url = f"{URL}{data['id']}/seller-confirm/"
    response = logged_in(ow.seller_user).post(url, {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "under_review"
    again = logged_in(ow.seller_user).post(url, {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "confirming_order_state"
    listed = logged_in(ow.seller_user).get(URL, {"state": "under_review"}).json()
    assert [row["reference"] for row in listed] == [data["reference"]]


def test_bad_input_answers_400_by_field_and_creates_nothing(ow):
    client = logged_in(ow.distributor_user)
    response = client.post(URL, body(ow, lines=[{"description": "", "unit": "t", "quantity": "-1",
                                                  "unit_price": "x"}]), content_type="application/json")
    assert response.status_code == 400 and "lines" in response.json()["error"]["fields"]
    response = client.post(URL, body(ow, route="cash", lines=[]), content_type="application/json")
    fields = response.json()["error"]["fields"]
    assert response.status_code == 400 and "route" in fields and "lines" in fields
    assert not PurchaseOrder.objects.exists()


def test_above_the_limit_and_on_an_unsigned_agreement_answer_409_with_stable_codes(ow):
    client = logged_in(ow.distributor_user)
    big = [{"description": "Copper", "unit": "t", "quantity": "500", "unit_price": "10000.01"}]
    response = client.post(URL, body(ow, lines=big), content_type="application/json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "order_above_limit"
    type(ow.agreement).objects.filter(pk=ow.agreement.pk).update(state="contract_issued")
    response = client.post(URL, body(ow), content_type="application/json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "agreement_not_active"
    assert not PurchaseOrder.objects.exists()


def test_operations_fund_once_and_the_seller_confirms_receipt(ow):
    order = approved(ow, "acceptance_bill")
    ops = logged_in(ow.ops)
    response = ops.post(f"{URL}{order.pk}/fund/", {"bill_number": "BAC-9"}, content_type="application/json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "confirming_order_state"  # no margin yet
    orders.order_margin_apply(order=order, amount=D("151148.10"), received_on=DAY, bank_reference="M-1",
                              acting_user=ow.ops)
    response = ops.post(f"{URL}{order.pk}/fund/", {}, content_type="application/json")
    assert response.status_code == 400 and "bill_number" in response.json()["error"]["fields"]
    # Maker-checker: prepared (202), then a second click waits for the first, and nothing moved yet.
    response = ops.post(f"{URL}{order.pk}/fund/", {"bill_number": "bac-9"}, content_type="application/json")
    assert response.status_code == 202
    release = response.json()
    assert (release["action"], release["status"], release["amount"]) == ("confirming.fund", "pending", "503827.00")
    again = ops.post(f"{URL}{order.pk}/fund/", {"bill_number": "BAC-9"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"
    assert not JournalEntry.objects.filter(idempotency_key__contains=":acceptance").exists()
    assert ops.post(f"/api/v1/releases/{release['id']}/release/").status_code in (403, 409)  # never its maker
    assert logged_in(ow.ops2).post(f"/api/v1/releases/{release['id']}/release/").status_code == 200
    assert JournalEntry.objects.filter(idempotency_key__contains=":acceptance").count() == 1
    done = ops.post(f"{URL}{order.pk}/fund/", {"bill_number": "BAC-9"}, content_type="application/json")
    assert done.status_code == 409  # already funded
    response = ops.get(f"{URL}{order.pk}/")
    assert response.json()["state"] == "funded"
    data = response.json()
    assert (data["bill_number"], data["maturity_date"], data["exposure"]) == ("BAC-9", "2026-08-29", "352678.90")
    response = logged_in(ow.seller_user).post(f"{URL}{order.pk}/confirm-receipt/", {},
                                              content_type="application/json")
    assert response.status_code == 200 and response.json()["receipt_confirmed_at"]


def test_another_partys_order_answers_404(ow, corporate):
    order = apply(ow)
    _stranger, user = corporate("stranger", is_distributor=True, is_supplier=False)
    client = logged_in(user)
    assert client.get(f"{URL}{order.pk}/").status_code == 404
    assert client.post(f"{URL}{order.pk}/seller-confirm/", {}, content_type="application/json").status_code == 404
    assert client.get(URL).json() == []


def test_the_order_endpoints_are_in_the_openapi_schema(ow):
    schema = logged_in(ow.ops).get("/api/schema/").content.decode()
    for path in ("/api/v1/confirming/orders/", "/api/v1/confirming/orders/{cw_order_pk}/fund/",
                 "/api/v1/confirming/orders/{cw_order_pk}/seller-confirm/"):
        assert path in schema
