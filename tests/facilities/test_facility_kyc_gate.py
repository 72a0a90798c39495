"""No facility is proposed or activated for an obligor whose KYC is not verified or has expired."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from scf.audit.models import AuditRecord
from scf.facilities.models import CreditFacility, Product
from scf.facilities.services import facility_activate, facility_create
from scf.parties.exceptions import KycNotVerified
from tests.factories import FacilityFactory, OrganizationFactory
from tests.kyc import LAPSES, lapse, refusal

pytestmark = pytest.mark.django_db


def _propose(lender, obligor, user):
    return facility_create(lender=lender, obligor=obligor, product=Product.FACTORING,
                           limit_amount=Decimal("5000000.00"), valid_from=datetime.date(2031, 3, 1),
                           valid_to=datetime.date(2032, 2, 29), acting_user=user)


@pytest.mark.parametrize(("state", "expires_in", "ending"), LAPSES)
def test_no_facility_is_proposed_for_an_obligor_without_a_verified_kyc(lender, credit_officer, state, expires_in,
                                                                       ending):
    obligor = OrganizationFactory()
    date = lapse(obligor, state, expires_in)
    audit = AuditRecord.objects.count()

    with pytest.raises(KycNotVerified) as refused:
        _propose(lender, obligor, credit_officer)

    assert refused.value.message == refusal(obligor, ending, date)
    assert not CreditFacility.objects.exists()
    assert AuditRecord.objects.count() == audit


@pytest.mark.parametrize(("state", "expires_in", "ending"), LAPSES)
def test_no_facility_is_activated_for_an_obligor_without_a_verified_kyc(lender, risk_manager, state, expires_in,
                                                                        ending):
    facility = FacilityFactory(lender=lender, state=CreditFacility.State.PROPOSED)
    date = lapse(facility.obligor, state, expires_in)
    audit = AuditRecord.objects.count()

    with pytest.raises(KycNotVerified) as refused:
        facility_activate(facility=facility, acting_user=risk_manager)

    assert refused.value.message == refusal(facility.obligor, ending, date)
    facility.refresh_from_db()
    assert facility.state == CreditFacility.State.PROPOSED
    assert AuditRecord.objects.count() == audit


def test_a_verified_obligor_gets_its_facility_proposed_and_activated(lender, credit_officer, risk_manager):
    facility = _propose(lender, OrganizationFactory(), credit_officer)
    facility_activate(facility=facility, acting_user=risk_manager)
    facility.refresh_from_db()
    assert facility.state == CreditFacility.State.ACTIVE


def test_the_api_answers_409_with_the_code_and_the_portal_shows_the_reason(lender, credit_officer, risk_manager):
    obligor = OrganizationFactory(legal_name="上海某某有限公司")
    lapse(obligor, "submitted", None)
    client = Client()
    client.force_login(credit_officer)

    answer = client.post("/api/v1/facilities/", {
        "obligor": obligor.pk, "product": "factoring", "limit_amount": "1000000.00",
        "valid_from": "2031-01-01", "valid_to": "2031-12-31"}, content_type="application/json")

    assert answer.status_code == 409, answer.content
    assert answer.json()["error"]["code"] == "kyc_not_verified"
    assert "上海某某有限公司 cannot be financed: its KYC is submitted, not verified." in answer.json()["error"]["message"]

    page = client.post("/facilities/new/", {
        "obligor": obligor.pk, "product": "factoring", "currency": "CNY", "limit_amount": "1000000.00",
        "revolving": "on", "valid_from": "2031-01-01", "valid_to": "2031-12-31", "max_tenor_days": "180",
        "day_count": "ACT/360"})
    assert page.status_code == 400
    assert "its KYC is submitted, not verified." in page.content.decode()

    proposed = FacilityFactory(lender=lender, obligor=obligor, state=CreditFacility.State.PROPOSED)
    risk = Client()
    risk.force_login(risk_manager)
    answer = risk.post(f"/api/v1/facilities/{proposed.pk}/activate/", {}, content_type="application/json")
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "kyc_not_verified"
    assert not CreditFacility.objects.filter(state=CreditFacility.State.ACTIVE).exists()
