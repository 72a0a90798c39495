"""The confirming-warehouse agreement API: create 201, bad terms 400 by field, others 404, illegal state 409."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from scf.parties.models import StaffGroup
from tests.factories import LenderFactory, MembershipFactory, UserFactory
from workflows.confirming.models import ConfirmingAgreement

from .agreement_setup import *  # noqa: F403
from .agreement_setup import prepare

pytestmark = pytest.mark.django_db
URL = "/api/v1/confirming/agreements/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body(cw, **changes) -> dict:
    return {"seller": cw.seller.uscc, "distributor": cw.distributor.uscc, "warehouse": cw.warehouse.uscc,
            "limit_amount": "2500000.00", "annual_rate": "0.0450", "start_date": "2026-02-01",
            "end_date": "2027-01-31", **changes}


@pytest.fixture
def other_risk():
    """A risk manager of another lender."""
    user = UserFactory(username="other-risk")
    user.groups.add(Group.objects.get(name=StaffGroup.RISK_MANAGER))
    MembershipFactory(user=user, organization=LenderFactory(legal_name="另一银行", legal_name_en="Other Bank"))
    return user


def test_create_answers_201_with_the_defaults_of_design(cw):
    response = logged_in(cw.officer).post(URL, body(cw), content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["state"] == "draft" and data["form"] == "four_party" and data["limit_amount"] == "2500000.00"
    assert (data["margin_ratio"], data["release_mode"], data["refund_notice_days"]) == ("0.300000", 1, 5)
    assert data["allows_loan"] and data["allows_acceptance_bill"] and data["revolving"]
    assert data["facility"] == cw.facility.reference and data["guarantee_facility"] == cw.guarantee.reference
    assert data["warehouse"] == cw.warehouse.uscc and data["currency"] == "CNY"
    three = logged_in(cw.officer).post(URL, body(cw, warehouse="", limit_amount="1000000.00"),
                                       content_type="application/json")
    assert three.status_code == 201 and three.json()["form"] == "three_party" and three.json()["warehouse"] is None


def test_bad_terms_answer_400_by_field_and_store_nothing(cw):
    response = logged_in(cw.officer).post(URL, body(cw, margin_ratio="1.000000", limit_amount="4500000.00",
                                                    allows_loan=False, allows_acceptance_bill=False),
                                          content_type="application/json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"margin_ratio", "guarantee_facility", "allows_loan"} <= set(fields)
    assert not ConfirmingAgreement.objects.exists()
    unknown = logged_in(cw.officer).post(URL, body(cw, seller="91310000000000000X"), content_type="application/json")
    assert unknown.status_code == 400 and "seller" in unknown.json()["error"]["fields"]


def test_list_detail_and_filter_are_tenant_scoped(cw, other_risk):
    agreement = prepare(cw, four_party=True)
    officer = logged_in(cw.officer)
    assert [a["reference"] for a in officer.get(URL).json()] == [agreement.reference]
    assert officer.get(URL + "?state=active").json() == []
    assert officer.get(f"{URL}{agreement.pk}/").json()["reference"] == agreement.reference
    for party in (cw.seller_user, cw.distributor_user, cw.warehouse_user):
        assert logged_in(party).get(f"{URL}{agreement.pk}/").status_code == 200
    stranger = logged_in(other_risk)
    assert stranger.get(f"{URL}{agreement.pk}/").status_code == 404
    assert stranger.post(f"{URL}{agreement.pk}/submit/").status_code == 404
    assert stranger.get(URL).json() == []


def test_submit_then_submit_again_answers_409_with_a_stable_code(cw):
    agreement = prepare(cw)
    officer = logged_in(cw.officer)
    first = officer.post(f"{URL}{agreement.pk}/submit/", {"note": "ready"}, content_type="application/json")
    assert first.status_code == 200 and first.json()["state"] == "under_review"
    again = officer.post(f"{URL}{agreement.pk}/submit/", {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "confirming_agreement_state"


def test_a_party_cannot_create_or_submit_agreements(cw):
    response = logged_in(cw.distributor_user).post(URL, body(cw), content_type="application/json")
    assert response.status_code in (403, 404)
    agreement = prepare(cw)
    refused = logged_in(cw.distributor_user).post(f"{URL}{agreement.pk}/submit/", {}, content_type="application/json")
    assert refused.status_code == 403
    agreement.refresh_from_db()
    assert agreement.state == "draft" and ConfirmingAgreement.objects.count() == 1


def test_the_endpoints_are_in_the_openapi_schema(cw):
    schema = logged_in(cw.officer).get("/api/schema/").content.decode()
    for path in ("/api/v1/confirming/agreements/", "/api/v1/confirming/agreements/{cw_agreement_pk}/",
                 "/api/v1/confirming/agreements/{cw_agreement_pk}/submit/"):
        assert path in schema
