"""The loans API: list and request (201, 400 by field, 409 with a stable code), detail, withdraw, disburse, tenancy.

Figures from tests/pledge/drawdown_setup.py: max loan 600,000.00 with nothing drawn.
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from scf.facilities.models import FacilityReservation
from workflows.pledge import drawdowns
from workflows.pledge.models import PledgeDrawdown

from .drawdown_setup import *  # noqa: F403  (the fixtures dw, today)
from .drawdown_setup import D

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def list_url(dw) -> str:
    return f"/api/v1/pledge/agreements/{dw.agreement.pk}/drawdowns/"


def get(client: Client, url: str):
    return client.get(url)


def post(client: Client, url: str, data: dict | None = None):
    return client.post(url, data or {}, content_type="application/json")


def test_the_pledgor_requests_a_loan_and_lists_it(dw):
    client = logged_in(dw.pledgor_user)
    response = post(client, list_url(dw), {"amount": "400000.00"})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["state"] == "requested" and data["amount"] == "400000.00" and data["currency"] == "CNY"
    assert data["agreement"] == dw.agreement.reference and data["maturity_date"] == "2027-01-05"
    assert data["principal_outstanding"] == "0.00" and data["repayments"] == []
    assert [d["reference"] for d in client.get(list_url(dw)).json()] == [data["reference"]]
    assert logged_in(dw.ops).get(f"/api/v1/pledge/drawdowns/{data['id']}/").json()["reference"] == data["reference"]


def test_bad_input_answers_400_by_field_and_changes_nothing(dw):
    client = logged_in(dw.pledgor_user)
    for body in ({}, {"amount": "abc"}, {"amount": "-5.00"}, {"amount": "400000.00", "maturity_date": "2028-01-01"}):
        response = post(client, list_url(dw), body)
        assert response.status_code == 400, (body, response.content)
        fields = response.json()["error"]["fields"]
        assert set(fields) & {"amount", "maturity_date"}, fields
    assert not PledgeDrawdown.objects.exists() and not FacilityReservation.objects.exists()


def test_above_available_and_stale_answer_409_with_a_stable_code(dw, today):
    client = logged_in(dw.pledgor_user)
    response = post(client, list_url(dw), {"amount": "600000.01"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "drawdown_above_available" and "600,000.00" in error["message"]
    today.move_to(datetime.datetime(2026, 3, 9, 10, 0, tzinfo=datetime.UTC), tick=False)
    response = post(client, list_url(dw), {"amount": "1000.00"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "valuation_stale"
    assert not PledgeDrawdown.objects.exists()


def test_withdraw_then_withdraw_again_is_a_409(dw):
    drawdown = drawdowns.drawdown_request(agreement=dw.agreement, amount=D("400000.00"), acting_user=dw.pledgor_user)
    client = logged_in(dw.pledgor_user)
    url = f"/api/v1/pledge/drawdowns/{drawdown.pk}/withdraw/"
    response = post(client, url, {"note": "no longer needed"})
    assert response.status_code == 200 and response.json()["state"] == "withdrawn"
    response = post(client, url)
    assert response.status_code == 409 and response.json()["error"]["code"] == "pledge_drawdown_state"


def test_operations_disburse_an_approved_loan_and_not_a_requested_one(dw):
    drawdown = drawdowns.drawdown_request(agreement=dw.agreement, amount=D("400000.00"), acting_user=dw.pledgor_user)
    url = f"/api/v1/pledge/drawdowns/{drawdown.pk}/disburse/"
    ops = logged_in(dw.ops)
    response = post(ops, url)
    assert response.status_code == 409 and response.json()["error"]["code"] == "pledge_drawdown_state"
    drawdowns.drawdown_approve(drawdown=drawdown, approver=dw.officer)
    assert post(logged_in(dw.pledgor_user), url).status_code == 403
    response = post(ops, url)
    # Maker-checker: the payment is prepared (202) and waits for a second operations user.
    assert response.status_code == 202
    assert (response.json()["action"], response.json()["status"], response.json()["amount"]) == (
        "pledge.disburse", "pending", "400000.00")
    assert get(ops, f"/api/v1/pledge/drawdowns/{drawdown.pk}/").json()["state"] == "approved"
    again = post(ops, url)
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"
    own = post(ops, f"/api/v1/releases/{response.json()['id']}/release/")
    assert own.status_code in (403, 409)  # never by the one who prepared it
    released = post(logged_in(dw.ops2), f"/api/v1/releases/{response.json()['id']}/release/")
    assert released.status_code == 200
    data = get(ops, f"/api/v1/pledge/drawdowns/{drawdown.pk}/").json()
    assert data["state"] == "disbursed" and data["principal_outstanding"] == "400000.00"
    assert data["disbursed_on"] == "2026-03-02"
    assert post(ops, url).status_code == 409  # already disbursed


def test_the_pledgor_resubmits_a_returned_request(dw):
    drawdown = drawdowns.drawdown_request(agreement=dw.agreement, amount=D("400000.00"), acting_user=dw.pledgor_user)
    url = f"/api/v1/pledge/drawdowns/{drawdown.pk}/resubmit/"
    client = logged_in(dw.pledgor_user)
    response = post(client, url)
    assert response.status_code == 409 and response.json()["error"]["code"] == "pledge_drawdown_state"
    drawdowns.drawdown_return(drawdown=drawdown, approver=dw.officer, comment="Attach the sales contract")
    assert client.get(f"/api/v1/pledge/drawdowns/{drawdown.pk}/").json()["state"] == "returned"
    response = post(client, url, {"note": "attached"})
    assert response.status_code == 200 and response.json()["state"] == "requested"


def test_another_lender_and_the_warehouse_get_404(dw, other_lender_world):
    drawdown = drawdowns.drawdown_request(agreement=dw.agreement, amount=D("400000.00"), acting_user=dw.pledgor_user)
    _other, stranger = other_lender_world
    for user in (stranger, dw.warehouse_user):
        client = logged_in(user)
        assert client.get(list_url(dw)).status_code == 404
        assert post(client, list_url(dw), {"amount": "1.00"}).status_code == 404
        assert client.get(f"/api/v1/pledge/drawdowns/{drawdown.pk}/").status_code == 404
        for action in ("withdraw", "resubmit", "disburse"):
            assert post(client, f"/api/v1/pledge/drawdowns/{drawdown.pk}/{action}/").status_code == 404
    drawdown.refresh_from_db()
    assert drawdown.state == PledgeDrawdown.State.REQUESTED and PledgeDrawdown.objects.count() == 1


def test_the_endpoints_are_in_the_openapi_schema(dw):
    schema = logged_in(dw.ops).get("/api/schema/").content.decode()
    for path in ("/api/v1/pledge/agreements/{agreement_pk}/drawdowns/", "/api/v1/pledge/drawdowns/{drawdown_pk}/",
                 "/api/v1/pledge/drawdowns/{drawdown_pk}/withdraw/", "/api/v1/pledge/drawdowns/{drawdown_pk}/disburse/",
                 "/api/v1/pledge/drawdowns/{drawdown_pk}/resubmit/",
                 "PledgeDrawdownRequest", "PledgeDrawdownRepayment"):
        assert path in schema, path
