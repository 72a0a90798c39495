"""Bad input in the portal: a form error naming the problem, status 400, nothing changed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from scf.facilities.models import CreditFacility
from scf.parties.demo import MINIMAL_PDF
from scf.parties.models import KycDocument, Organization
from tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db


def test_kyc_upload_of_a_disguised_file_shows_a_form_error(client, corporate):
    organization, user = corporate("sup", kyc_state="draft")
    client.force_login(user)
    response = client.post(f"/organizations/{organization.pk}/kyc/upload/", {
        "kind": "business_licence", "file": SimpleUploadedFile("licence.pdf", b"PK\x03\x04 zip pretending"),
    })
    assert response.status_code == 400
    assert "Only PDF, PNG and JPEG files are accepted" in response.content.decode()
    assert KycDocument.objects.count() == 0


def test_kyc_upload_and_submit_through_the_portal(client, corporate):
    organization, user = corporate("sup", kyc_state="draft")
    client.force_login(user)
    response = client.post(f"/organizations/{organization.pk}/kyc/upload/", {
        "kind": "business_licence", "file": SimpleUploadedFile("licence.pdf", MINIMAL_PDF),
    })
    assert response.status_code == 302
    client.post(f"/organizations/{organization.pk}/kyc/submit/")
    organization.refresh_from_db()
    assert organization.kyc_state == Organization.KycState.SUBMITTED
    page = client.get(f"/organizations/{organization.pk}/").content.decode()
    assert "licence.pdf" in page


def test_kyc_submit_without_documents_shows_the_reason(client, corporate):
    organization, user = corporate("sup", kyc_state="draft")
    client.force_login(user)
    response = client.post(f"/organizations/{organization.pk}/kyc/submit/", follow=True)
    assert "Upload at least one KYC document" in response.content.decode()
    organization.refresh_from_db()
    assert organization.kyc_state == Organization.KycState.DRAFT


def test_facility_form_refuses_dates_out_of_order_and_negative_limits(client, credit_officer, corporate):
    obligor, _user = corporate("sup")
    client.force_login(credit_officer)
    response = client.post("/facilities/new/", {
        "obligor": obligor.pk, "product": "factoring", "currency": "CNY", "limit_amount": "-5",
        "valid_from": "2026-12-01", "valid_to": "2026-11-01", "max_tenor_days": 180, "day_count": "ACT/360",
    })
    assert response.status_code == 400
    body = response.content.decode()
    assert "The end of validity must not be before its start." in body
    assert "greater than or equal to 0.01" in body
    assert CreditFacility.objects.count() == 0


def test_facility_form_refuses_a_non_numeric_limit(client, credit_officer, corporate):
    obligor, _user = corporate("sup")
    client.force_login(credit_officer)
    response = client.post("/facilities/new/", {
        "obligor": obligor.pk, "product": "factoring", "currency": "CNY", "limit_amount": "1,000,000 yuan",
        "valid_from": "2026-12-01", "valid_to": "2027-11-01", "max_tenor_days": 180, "day_count": "ACT/360",
    })
    assert response.status_code == 400
    assert "Group the digits by thousands (1,000.00) or write none (1000.00)." in response.content.decode()
    assert CreditFacility.objects.count() == 0


def test_facility_form_creates_a_proposed_facility(client, credit_officer, corporate, lender):
    obligor, _user = corporate("sup")
    client.force_login(credit_officer)
    response = client.post("/facilities/new/", {
        "obligor": obligor.pk, "product": "factoring", "currency": "CNY", "limit_amount": "2500000.00",
        "valid_from": "2026-12-01", "valid_to": "2027-11-30", "max_tenor_days": 180, "day_count": "ACT/360",
        "revolving": "on",
    })
    facility = CreditFacility.objects.get()
    assert response.status_code == 302 and response.url == f"/facilities/{facility.pk}/"
    assert (facility.reference, facility.state, facility.lender) == ("CF-2026-00001", "proposed", lender)


def test_corporate_user_cannot_open_the_facility_form(client, corporate):
    _org, user = corporate("sup")
    client.force_login(user)
    assert client.get("/facilities/new/").status_code == 403


def test_illegal_facility_transition_in_the_portal_shows_a_message_and_changes_nothing(client, risk_manager, lender):
    facility = FacilityFactory(lender=lender)  # already active
    client.force_login(risk_manager)
    response = client.post(f"/facilities/{facility.pk}/activate/", follow=True)
    assert "cannot be activated" in response.content.decode()
    facility.refresh_from_db()
    assert facility.state == "active"


def test_staff_dashboard_shows_portfolio_totals(client, risk_manager, lender):
    FacilityFactory(lender=lender, limit_amount="1234567.89")
    FacilityFactory(lender=lender, limit_amount="10.11")
    client.force_login(risk_manager)
    body = client.get("/").content.decode()
    assert "1,234,578.00" in body  # 1,234,567.89 + 10.11
