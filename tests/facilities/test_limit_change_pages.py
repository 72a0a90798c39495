"""Facility page and API for limit changes: the pending card, buttons for the right people, both languages."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from scf.facilities.models import FacilityLimitChange
from scf.facilities.services import facility_limit_change_propose, facility_reserve
from scf.parties.models import Membership, StaffGroup

from ..factories import FacilityFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_reset():
    """A request in Chinese leaves Chinese active in this thread: reset it for the tests after this one."""
    yield
    translation.deactivate()

D = Decimal


def client_for(user, language="en") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


@pytest.fixture
def facility(lender):
    facility = FacilityFactory(lender=lender, limit_amount=D("1000000.00"))
    facility_reserve(facility=facility, amount=D("400000.00"), reference="HELD", acting_user=None)
    return facility


@pytest.fixture
def second_risk(staff_user):
    return staff_user(StaffGroup.RISK_MANAGER, "risk-second")


def _page(user, facility, language="en") -> str:
    response = client_for(user, language).get(reverse("portal:facility-detail", kwargs={"facility_pk": facility.pk}))
    assert response.status_code == 200
    return response.content.decode()


def _propose_url(facility):
    return reverse("portal:facility-limit-change-propose", kwargs={"facility_pk": facility.pk})


def _decide_url(change, action):
    return reverse("portal:facility-limit-change-decide", kwargs={"limit_change_pk": change.pk, "action": action})


def test_the_proposer_sees_the_card_with_withdraw_and_no_approve(facility, credit_officer):
    page = _page(credit_officer, facility)
    assert "Propose a new limit" in page and "No limit changes decided yet." in page

    answer = client_for(credit_officer).post(_propose_url(facility), {
        "new_limit": "1500000.00", "reason": "Turnover grew 50%", "new_valid_to": ""})

    assert answer.status_code == 302
    change = FacilityLimitChange.objects.get()
    page = _page(credit_officer, facility)
    assert "Awaiting review" in page and "1,000,000.00 → 1,500,000.00" in page and "Turnover grew 50%" in page
    assert _decide_url(change, "cancel") in page
    assert _decide_url(change, "approve") not in page
    assert "a second person entitled to activate facilities reviews it" in page


def test_a_second_risk_manager_approves_from_the_page(facility, credit_officer, risk_manager):
    change = facility_limit_change_propose(facility=facility, new_limit=D("1500000.00"), reason="Growth",
                                           acting_user=credit_officer)
    page = _page(risk_manager, facility)
    assert _decide_url(change, "approve") in page and _decide_url(change, "reject") in page
    assert _decide_url(change, "cancel") not in page

    answer = client_for(risk_manager).post(_decide_url(change, "approve"), {"note": "OK"}, follow=True)

    assert answer.redirect_chain[-1][1] == 302
    facility.refresh_from_db()
    assert facility.limit_amount == D("1500000.00")
    assert "Limit change approved" in answer.content.decode()
    page = _page(risk_manager, facility)
    assert "limit-change-history" in page and "Approved" in page


def test_the_proposer_posting_approve_changes_nothing(facility, risk_manager):
    change = facility_limit_change_propose(facility=facility, new_limit=D("1500000.00"), reason="Growth",
                                           acting_user=risk_manager)
    answer = client_for(risk_manager).post(_decide_url(change, "approve"), follow=True)

    assert "a second person must decide it" in answer.content.decode()
    facility.refresh_from_db()
    assert facility.limit_amount == D("1000000.00")


def test_a_reduction_below_what_is_used_shows_the_figures_on_the_form(facility, credit_officer):
    answer = client_for(credit_officer).post(_propose_url(facility), {"new_limit": "300000.00", "reason": "Risk"})

    assert answer.status_code == 400
    assert "400,000.00 reserved + 0.00 outstanding = 400,000.00" in answer.content.decode()
    assert not FacilityLimitChange.objects.exists()


def test_reject_without_a_comment_is_refused_with_a_message(facility, credit_officer, risk_manager):
    change = facility_limit_change_propose(facility=facility, new_limit=D("1500000.00"), reason="Growth",
                                           acting_user=credit_officer)
    answer = client_for(risk_manager).post(_decide_url(change, "reject"), {"note": ""}, follow=True)
    assert "a comment is required" in answer.content.decode()
    assert FacilityLimitChange.objects.get().state == "proposed"


def test_the_page_in_chinese(facility, credit_officer, risk_manager):
    facility_limit_change_propose(facility=facility, new_limit=D("1500000.00"), reason="经营规模扩大",
                                  acting_user=credit_officer)
    page = _page(risk_manager, facility, "zh-hans")
    assert "额度调整" in page and "待复核" in page and "复核通过" in page and "当前额度" in page
    assert "经营规模扩大" in page
    form = client_for(credit_officer, "zh-hans").post(_propose_url(facility), {"new_limit": "1", "reason": "x"})
    assert "该额度已有一笔待复核的额度调整" in form.content.decode()


def test_the_obligor_sees_the_facility_but_no_limit_change_card(facility, credit_officer):
    facility_limit_change_propose(facility=facility, new_limit=D("500000.00"), reason="Reduce exposure",
                                  acting_user=credit_officer)
    clerk = UserFactory(username="clerk")
    MembershipFactory(user=clerk, organization=facility.obligor, role=Membership.Role.OPERATOR)
    page = _page(clerk, facility)
    assert "Reduce exposure" not in page and "limit-changes" not in page
    change = FacilityLimitChange.objects.get()
    assert client_for(clerk).post(_decide_url(change, "approve")).status_code == 404
    assert client_for(clerk).get(_propose_url(facility)).status_code == 403


# --- API ----------------------------------------------------------------------------------------

def test_api_propose_approve_and_four_eyes_refusal(facility, credit_officer, risk_manager):
    url = f"/api/v1/facilities/{facility.pk}/limit-changes/"
    answer = client_for(credit_officer).post(url, {"new_limit": "1200000.00", "reason": "Growth"},
                                             content_type="application/json")
    assert answer.status_code == 201, answer.content
    change_id = answer.json()["id"]
    assert answer.json()["state"] == "proposed" and answer.json()["old_limit"] == "1000000.00"

    again = client_for(risk_manager).post(url, {"new_limit": "900000.00", "reason": "x"},
                                          content_type="application/json")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "limit_change_open")

    own = client_for(credit_officer).post(f"/api/v1/limit-changes/{change_id}/approve/")
    assert own.status_code == 403 and own.json()["error"]["code"] in ("four_eyes", "not_permitted")

    approved = client_for(risk_manager).post(f"/api/v1/limit-changes/{change_id}/approve/", {"note": "ok"},
                                             content_type="application/json")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    facility.refresh_from_db()
    assert facility.limit_amount == D("1200000.00")
    listed = client_for(risk_manager).get(url).json()
    assert [row["id"] for row in listed] == [change_id]


def test_api_refuses_a_reduction_below_used_with_409_and_bad_input_with_400(facility, credit_officer):
    url = f"/api/v1/facilities/{facility.pk}/limit-changes/"
    below = client_for(credit_officer).post(url, {"new_limit": "399999.99", "reason": "Risk"},
                                            content_type="application/json")
    assert (below.status_code, below.json()["error"]["code"]) == (409, "limit_below_used")
    missing = client_for(credit_officer).post(url, {"new_limit": "500000.00", "reason": ""},
                                              content_type="application/json")
    assert missing.status_code == 400 and "reason" in missing.json()["error"]["fields"]
    assert not FacilityLimitChange.objects.exists()


def test_the_staff_dashboard_lists_changes_to_review_for_deciders_only(facility, credit_officer, risk_manager):
    facility_limit_change_propose(facility=facility, new_limit=D("1500000.00"), reason="Growth",
                                  acting_user=credit_officer)
    assert "limit-changes-to-review" in client_for(risk_manager).get("/").content.decode()
    assert "limit-changes-to-review" not in client_for(credit_officer).get("/").content.decode()
    page = client_for(risk_manager, "zh-hans").get("/").content.decode()
    assert "待您复核的额度调整" in page and facility.reference in page


def test_the_facility_history_names_the_limit_change_in_chinese(facility, credit_officer, risk_manager):
    from scf.facilities.services import facility_limit_change_approve

    change = facility_limit_change_propose(facility=facility, new_limit=D("1500000.00"), reason="Growth",
                                           acting_user=credit_officer)
    facility_limit_change_approve(change=change, acting_user=risk_manager)
    page = _page(risk_manager, facility, "zh-hans")
    assert "额度已调整" in page and "1,000,000.00 -&gt; 1,500,000.00" in page
