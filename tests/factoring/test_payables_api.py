"""A core enterprise's ERP registers approved payables through the API, one at a time or by file."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import OrganizationFactory
from workflows.factoring.models import Receivable

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("registration_day")]

PAYABLE = {"invoice_number": "AP-2026-0001", "issue_date": "2026-11-01", "due_date": "2027-02-28",
           "face_amount": "480000.00"}


@pytest.fixture
def core(corporate):
    return corporate("core-erp", is_core=True, is_supplier=False)


def test_a_core_enterprise_registers_an_approved_payable_already_confirmed(client, core):
    organization, user = core
    supplier = OrganizationFactory(legal_name_en="ERP Supplier")
    client.force_login(user)
    response = client.post("/api/v1/payables/", {**PAYABLE, "supplier": supplier.uscc.lower()},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["reverse"], body["confirmed_amount"]) == ("confirmed", True, "480000.00")
    assert (body["debtor_uscc"], body["supplier_uscc"]) == (organization.uscc, supplier.uscc)
    payable = Receivable.objects.get()
    assert (payable.debtor, payable.supplier, payable.confirmed_amount) == (organization, supplier, Decimal("480000.00"))


def test_the_same_payable_is_refused_whoever_registered_it_first(client, core, corporate):
    organization, user = core
    supplier, supplier_user = corporate("sup-erp")
    client.force_login(supplier_user)
    first = client.post("/api/v1/receivables/", {**PAYABLE, "invoice_number": "ap 2026-0001",
                                                 "debtor": organization.uscc}, content_type="application/json")
    assert first.status_code == 201
    client.force_login(user)
    again = client.post("/api/v1/payables/", {**PAYABLE, "supplier": supplier.uscc}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "duplicate_receivable"
    assert Receivable.objects.count() == 1


@pytest.mark.parametrize("change, field", [
    ({"supplier": "91310000MA1FL0000X"}, "supplier"),
    ({"due_date": "2026-10-01"}, "due_date"),
    ({"face_amount": "0"}, "face_amount"),
    ({"face_amount": "-5"}, "face_amount"),
])
def test_bad_input_answers_400_naming_the_field_and_saves_nothing(client, core, change, field):
    _organization, user = core
    supplier = OrganizationFactory()
    client.force_login(user)
    response = client.post("/api/v1/payables/", {**PAYABLE, "supplier": supplier.uscc, **change},
                           content_type="application/json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not Receivable.objects.exists()


def test_a_supplier_cannot_register_payables_of_a_core_enterprise(client, corporate):
    supplier, user = corporate("only-supplier")
    client.force_login(user)
    response = client.post("/api/v1/payables/", {**PAYABLE, "supplier": OrganizationFactory().uscc},
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["core"] == ["You are not a member of a core enterprise organization."]
    assert not Receivable.objects.exists()


def test_bulk_payables_answer_a_row_report_and_save_nothing_from_a_bad_file(client, core):
    organization, user = core
    supplier = OrganizationFactory()
    client.force_login(user)
    header = "supplier_uscc,invoice_number,issue_date,due_date,face_amount\n"
    bad = (header + f"{supplier.uscc},AP-1,2026-11-01,2027-01-31,1000.00\n"
                    f"{supplier.uscc},AP-2,2026-11-01,2026-10-31,500.00\n").encode()
    response = client.post("/api/v1/payables/bulk/", {"file": SimpleUploadedFile("ap.csv", bad)})
    assert response.status_code == 400
    assert response.json()["error"]["rows"] == [
        {"row": 3, "field": "due_date", "problem": "The due date is before the issue date."}]
    assert not Receivable.objects.exists()
    response = client.post("/api/v1/payables/bulk/", {"file": SimpleUploadedFile("ap.csv", bad), "only_valid": "true"})
    assert response.status_code == 201
    assert (response.json()["created"], len(response.json()["errors"])) == (1, 1)
    payable = Receivable.objects.get()
    assert (payable.invoice_number, payable.debtor, payable.state, payable.reverse) == (
        "AP-1", organization, "confirmed", True)
