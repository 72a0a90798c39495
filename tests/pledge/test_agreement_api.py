"""The pledge agreement API: create 201, bad terms 400 by field, another lender's 404, illegal transition 409."""

from __future__ import annotations

import pytest
from django.test import Client

from workflows.pledge.models import PledgeAgreement

from .agreement_setup import *  # noqa: F403
from .agreement_setup import prepare

pytestmark = pytest.mark.django_db
URL = "/api/v1/pledge/agreements/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body(aw, **changes) -> dict:
    return {"pledgor": aw.pledgor.uscc, "warehouse": aw.warehouse.uscc, "kind": "static",
            "maximum_amount": "2500000.00", "annual_rate": "0.0525", "start_date": "2026-02-01",
            "end_date": "2027-01-31", **changes}


def test_create_answers_201_with_the_defaults_of_design(aw):
    response = logged_in(aw.officer).post(URL, body(aw), content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["state"] == "draft" and data["kind"] == "static" and data["maximum_amount"] == "2500000.00"
    assert (data["pledge_rate"], data["warning_ltv"], data["call_ltv"], data["liquidation_ltv"]) == (
        "0.600000", "0.650000", "0.700000", "0.800000")
    assert data["cure_days"] == 3 and data["price_max_age_days"] == 5 and data["facility"] == aw.facility.reference
    assert data["pledgor"] == aw.pledgor.uscc and data["currency"] == "CNY"


def test_bad_terms_answer_400_by_field_and_store_nothing(aw):
    response = logged_in(aw.officer).post(URL, body(aw, pledge_rate="1.000000", maximum_amount="9000000.00"),
                                          content_type="application/json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "pledge_rate" in fields and "maximum_amount" in fields
    assert not PledgeAgreement.objects.exists()
    unknown = logged_in(aw.officer).post(URL, body(aw, warehouse="91310000000000000X"),
                                         content_type="application/json")
    assert unknown.status_code == 400 and "warehouse" in unknown.json()["error"]["fields"]


def test_list_detail_and_filter_are_tenant_scoped(aw, other_lender_world):
    agreement = prepare(aw)
    officer = logged_in(aw.officer)
    assert [a["reference"] for a in officer.get(URL).json()] == [agreement.reference]
    assert officer.get(URL + "?state=active").json() == []
    assert officer.get(f"{URL}{agreement.pk}/").json()["reference"] == agreement.reference
    assert logged_in(aw.pledgor_user).get(f"{URL}{agreement.pk}/").status_code == 200
    _other, stranger = other_lender_world
    assert logged_in(stranger).get(f"{URL}{agreement.pk}/").status_code == 404
    assert logged_in(stranger).post(f"{URL}{agreement.pk}/submit/").status_code == 404
    assert logged_in(stranger).get(URL).json() == []


def test_submit_then_submit_again_answers_409_with_a_stable_code(aw):
    agreement = prepare(aw)
    officer = logged_in(aw.officer)
    first = officer.post(f"{URL}{agreement.pk}/submit/", {"note": "ready"}, content_type="application/json")
    assert first.status_code == 200 and first.json()["state"] == "under_review"
    again = officer.post(f"{URL}{agreement.pk}/submit/", {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "pledge_agreement_state"


def test_a_client_cannot_create_agreements(aw):
    response = logged_in(aw.pledgor_user).post(URL, body(aw), content_type="application/json")
    assert response.status_code in (403, 404)
    assert not PledgeAgreement.objects.exists()


def test_the_endpoints_are_in_the_openapi_schema(aw):
    schema = logged_in(aw.officer).get("/api/schema/").content.decode()
    for path in ("/api/v1/pledge/agreements/", "/api/v1/pledge/agreements/{agreement_pk}/",
                 "/api/v1/pledge/agreements/{agreement_pk}/submit/"):
        assert path in schema
