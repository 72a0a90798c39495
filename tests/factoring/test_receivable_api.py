import pytest

from tests.factories import OrganizationFactory
from workflows.factoring.models import Receivable

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("registration_day")]


@pytest.fixture
def setup(client, corporate):
    supplier, user = corporate("sup")
    debtor = OrganizationFactory(is_supplier=False, is_core=True)
    client.force_login(user)
    return client, supplier, debtor


def _payload(debtor_org, **overrides):
    payload = {"debtor": debtor_org.uscc, "invoice_number": "FP-001", "issue_date": "2026-11-01",
               "due_date": "2027-02-01", "face_amount": "88000.50", "currency": "CNY"}
    payload.update(overrides)
    return payload


def test_post_receivable_creates_it_and_answers_decimal_strings(setup):
    client, supplier, debtor = setup
    response = client.post("/api/v1/receivables/", _payload(debtor), content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert (body["face_amount"], body["state"], body["debtor_uscc"], body["supplier_uscc"]) == (
        "88000.50", "draft", debtor.uscc, supplier.uscc)
    detail = client.get(f"/api/v1/receivables/{body['id']}/").json()
    assert detail["invoice_number"] == "FP-001"


def test_a_duplicate_answers_409_with_its_code(setup):
    client, _supplier, debtor = setup
    client.post("/api/v1/receivables/", _payload(debtor), content_type="application/json")
    response = client.post("/api/v1/receivables/", _payload(debtor, invoice_number="fp 001"),
                           content_type="application/json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_receivable"
    assert Receivable.objects.count() == 1


@pytest.mark.parametrize("overrides, field", [
    ({"due_date": "2026-10-01"}, "due_date"),
    ({"face_amount": "-3"}, "face_amount"),
    ({"face_amount": "lots"}, "face_amount"),
    ({"debtor": "91110000600037341L"}, "debtor"),
    ({"issue_date": "2026-02-30"}, "issue_date"),
])
def test_bad_input_answers_400_naming_the_field(setup, overrides, field):
    client, _supplier, debtor = setup
    response = client.post("/api/v1/receivables/", _payload(debtor, **overrides), content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Receivable.objects.count() == 0


def test_another_suppliers_receivable_is_not_found(setup, corporate):
    client, _supplier, debtor = setup
    created = client.post("/api/v1/receivables/", _payload(debtor), content_type="application/json").json()
    _other, outsider = corporate("outsider")
    client.force_login(outsider)
    assert client.get(f"/api/v1/receivables/{created['id']}/").status_code == 404
    assert client.get("/api/v1/receivables/").json() == []
