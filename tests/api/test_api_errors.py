"""API errors: one shape {"error": {"code", "message", "fields"?}}, and nothing written on an error."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from stdnum.cn import uscc as stdnum_uscc

from scf.facilities.models import CreditFacility
from scf.parties.models import Organization
from tests.factories import FacilityFactory, next_uscc

ORGANIZATIONS = "/api/v1/organizations/"
FACILITIES = "/api/v1/facilities/"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post_json(client: Client, url: str, data: dict):
    return client.post(url, data, content_type="application/json")


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert set(error) <= {"code", "message", "fields"}
    return error


def assert_invalid(response, *fields: str) -> dict:
    error = assert_error(response, 400, "invalid")
    assert set(fields) <= set(error["fields"]), error
    for messages in error["fields"].values():
        assert isinstance(messages, list) and all(isinstance(m, str) and m for m in messages)
    return error["fields"]


def organization_data(**overrides) -> dict:
    data = {"legal_name": "上海新供应链有限公司", "uscc": next_uscc(), "roles": ["supplier"]}
    data.update(overrides)
    return data


def facility_data(obligor: Organization, **overrides) -> dict:
    today = timezone.localdate()
    data = {"obligor": obligor.pk, "product": "factoring", "limit_amount": "2500000",
            "valid_from": today.isoformat(), "valid_to": (today + datetime.timedelta(days=365)).isoformat()}
    data.update(overrides)
    return data


@pytest.fixture
def obligor(corporate):
    organization, _user = corporate("obligor-operator", legal_name="应收有限公司")
    return organization


# --------------------------------------------------------------------------- organizations


def test_organization_with_a_wrong_check_character_is_refused(credit_officer):
    valid = next_uscc()
    wrong = valid[:-1] + next(c for c in USCC_ALPHABET if c != valid[-1])
    count = Organization.objects.count()

    response = post_json(client_for(credit_officer), ORGANIZATIONS, organization_data(uscc=wrong))

    fields = assert_invalid(response, "uscc")
    message = " ".join(fields["uscc"])
    assert "check character" in message
    assert stdnum_uscc.calc_check_digit(wrong[:-1]) == valid[-1]
    assert valid[-1] in message  # names the character expected
    assert Organization.objects.count() == count


def test_organization_with_a_17_character_code_is_refused(credit_officer):
    count = Organization.objects.count()

    response = post_json(client_for(credit_officer), ORGANIZATIONS, organization_data(uscc=next_uscc()[:17]))

    fields = assert_invalid(response, "uscc")
    assert "18 characters" in " ".join(fields["uscc"])
    assert Organization.objects.count() == count


def test_organization_without_roles_is_refused(credit_officer):
    count = Organization.objects.count()
    data = organization_data()
    del data["roles"]

    response = post_json(client_for(credit_officer), ORGANIZATIONS, data)

    assert_invalid(response, "roles")
    assert Organization.objects.count() == count


def test_organization_with_an_empty_role_list_is_refused(credit_officer):
    count = Organization.objects.count()

    response = post_json(client_for(credit_officer), ORGANIZATIONS, organization_data(roles=[]))

    assert_invalid(response, "roles")
    assert Organization.objects.count() == count


def test_corporate_user_cannot_onboard_an_organization(corporate):
    _organization, user = corporate("corp-operator")
    count = Organization.objects.count()

    response = post_json(client_for(user), ORGANIZATIONS, organization_data())

    error = assert_error(response, 403, "permission_denied")
    assert "fields" not in error
    assert Organization.objects.count() == count


def test_lender_staff_onboards_an_organization(credit_officer):
    data = organization_data(roles=["supplier", "distributor"])

    response = post_json(client_for(credit_officer), ORGANIZATIONS, data)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["uscc"] == data["uscc"]
    assert body["roles"] == ["supplier", "distributor"]
    assert body["kyc_state"] == "draft"
    assert Organization.objects.filter(uscc=data["uscc"]).exists()


# --------------------------------------------------------------------------- facilities


@pytest.mark.parametrize(("overrides", "field"), [
    ({"limit_amount": "-100.00"}, "limit_amount"),
    ({"limit_amount": "0"}, "limit_amount"),
    ({"limit_amount": "abc"}, "limit_amount"),
    ({"valid_from": "2026-06-30", "valid_to": "2026-06-01"}, "valid_to"),
], ids=["negative-limit", "zero-limit", "non-numeric-limit", "end-before-start"])
def test_facility_with_invalid_fields_is_refused(credit_officer, obligor, overrides, field):
    count = CreditFacility.objects.count()

    response = post_json(client_for(credit_officer), FACILITIES, facility_data(obligor, **overrides))

    fields = assert_invalid(response, field)
    assert set(fields) == {field}
    assert CreditFacility.objects.count() == count


def test_credit_officer_proposes_a_facility(credit_officer, lender, obligor):
    response = post_json(client_for(credit_officer), FACILITIES, facility_data(obligor))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "proposed"
    assert body["limit_amount"] == "2500000.00"
    assert body["reserved_amount"] == "0.00"
    assert body["outstanding_amount"] == "0.00"
    assert body["available_amount"] == "2500000.00"
    assert body["currency"] == "CNY"
    assert body["obligor_id"] == obligor.pk
    facility = CreditFacility.objects.get(pk=body["id"])
    assert facility.lender == lender
    assert facility.limit_amount == Decimal("2500000.00")
    assert facility.state == CreditFacility.State.PROPOSED


def test_corporate_user_cannot_propose_a_facility(corporate, obligor):
    _organization, user = corporate("corp-operator")
    count = CreditFacility.objects.count()

    response = post_json(client_for(user), FACILITIES, facility_data(obligor))

    assert_error(response, 403, "permission_denied")
    assert CreditFacility.objects.count() == count


def test_activating_an_active_facility_is_a_conflict(risk_manager, lender, obligor):
    facility = FacilityFactory(lender=lender, obligor=obligor, state=CreditFacility.State.ACTIVE)

    response = post_json(client_for(risk_manager), f"{FACILITIES}{facility.pk}/activate/", {})

    error = assert_error(response, 409, "illegal_transition")
    assert "fields" not in error
    facility.refresh_from_db()
    assert facility.state == CreditFacility.State.ACTIVE


def test_credit_officer_may_not_activate_a_facility(credit_officer, lender, obligor):
    facility = FacilityFactory(lender=lender, obligor=obligor, state=CreditFacility.State.PROPOSED)

    response = post_json(client_for(credit_officer), f"{FACILITIES}{facility.pk}/activate/", {})

    assert_error(response, 403, "not_permitted")
    facility.refresh_from_db()
    assert facility.state == CreditFacility.State.PROPOSED


def test_risk_manager_activates_a_proposed_facility(risk_manager, lender, obligor):
    facility = FacilityFactory(lender=lender, obligor=obligor, state=CreditFacility.State.PROPOSED)

    response = post_json(client_for(risk_manager), f"{FACILITIES}{facility.pk}/activate/", {"note": "approved"})

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "active"
    facility.refresh_from_db()
    assert facility.state == CreditFacility.State.ACTIVE


# --------------------------------------------------------------------------- other tenants


def test_another_tenants_facility_and_organization_answer_404(corporate, lender):
    _own, user = corporate("own-operator")
    other, _other_user = corporate("other-operator")
    facility = FacilityFactory(lender=lender, obligor=other)
    client = client_for(user)

    for url in (f"{FACILITIES}{facility.pk}/", f"{ORGANIZATIONS}{other.pk}/"):
        error = assert_error(client.get(url), 404, "not_found")
        assert "fields" not in error
    assert_error(post_json(client, f"{FACILITIES}{facility.pk}/freeze/", {}), 404, "not_found")
    facility.refresh_from_db()
    assert facility.state == CreditFacility.State.ACTIVE


def test_another_tenants_object_is_indistinguishable_from_a_missing_one(corporate, lender):
    _own, user = corporate("own-operator")
    other, _other_user = corporate("other-operator")
    facility = FacilityFactory(lender=lender, obligor=other)
    client = client_for(user)

    for existing, missing in ((f"{FACILITIES}{facility.pk}/", f"{FACILITIES}999999/"),
                              (f"{ORGANIZATIONS}{other.pk}/", f"{ORGANIZATIONS}999999/")):
        assert_error(client.get(missing), 404, "not_found")
        assert client.get(existing).json() == client.get(missing).json()


# --------------------------------------------------------------------------- list filters


@pytest.mark.parametrize(("url", "params", "field"), [
    (ORGANIZATIONS, {"role": "bank"}, "role"),
    (ORGANIZATIONS, {"search": "a\x00b"}, "search"),
    (FACILITIES, {"state": "open"}, "state"),
    (FACILITIES, {"product": "loan\x00"}, "product"),
], ids=["unknown-role", "nul-in-search", "unknown-state", "unknown-product"])
def test_list_filters_with_invalid_values_are_refused(corporate, url, params, field):
    """A bad filter is a 400 with the error shape, never a 500 (KeyError, or PostgreSQL refusing NUL)."""
    _organization, user = corporate("filter-user")

    response = client_for(user).get(url, params)

    assert set(assert_invalid(response, field)) == {field}


def test_list_filters_narrow_the_visible_rows(credit_officer, lender, corporate):
    supplier, _user = corporate("supplier-operator", legal_name="过滤供应商有限公司")
    core, _user = corporate("core-operator", is_supplier=False, is_core=True)
    active = FacilityFactory(lender=lender, obligor=supplier, state=CreditFacility.State.ACTIVE)
    FacilityFactory(lender=lender, obligor=core, state=CreditFacility.State.PROPOSED,
                    product="reverse_factoring")
    client = client_for(credit_officer)

    cores = client.get(ORGANIZATIONS, {"role": "core"}).json()
    assert [o["id"] for o in cores] == [core.pk]
    found = client.get(ORGANIZATIONS, {"search": "过滤供应商", "role": ""}).json()
    assert [o["id"] for o in found] == [supplier.pk]
    assert [f["id"] for f in client.get(FACILITIES, {"state": "active"}).json()] == [active.pk]
    assert [f["id"] for f in client.get(FACILITIES, {"product": "factoring", "state": ""}).json()] == [active.pk]
