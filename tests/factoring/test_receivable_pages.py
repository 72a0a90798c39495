"""Suppliers register invoices in the portal, one by one or by file, with errors shown per row."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from scf.parties.models import TradeRelationship
from tests.factories import OrganizationFactory
from workflows.factoring.models import Receivable

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("registration_day")]


@pytest.fixture
def supplier_client(client, corporate):
    supplier, user = corporate("sup")
    debtor = OrganizationFactory(is_supplier=False, is_core=True, legal_name="核心企业乙")
    TradeRelationship.objects.create(seller=supplier, buyer=debtor)
    client.force_login(user)
    return client, supplier, debtor


def test_register_one_invoice_and_refuse_it_twice(supplier_client):
    client, _supplier, debtor = supplier_client
    form = {"debtor": debtor.pk, "invoice_number": "FP-77", "issue_date": "2026-11-01", "due_date": "2027-01-01",
            "face_amount": "5000.00", "currency": "CNY"}
    assert client.post("/factoring/receivables/", form).status_code == 302
    response = client.post("/factoring/receivables/", {**form, "invoice_number": "fp 77"})
    assert response.status_code == 400
    assert "already registered" in response.content.decode()
    assert Receivable.objects.count() == 1


def test_upload_with_errors_shows_the_row_report_and_saves_nothing(supplier_client):
    client, _supplier, debtor = supplier_client
    data = ("debtor_uscc,invoice_number,issue_date,due_date,face_amount\n"
            f"{debtor.uscc},A-1,2026-11-01,2027-01-01,100\n"
            f"{debtor.uscc},A-2,2026-11-01,2026-01-01,100\n").encode()
    response = client.post("/factoring/receivables/upload/", {"file": SimpleUploadedFile("x.csv", data)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "1 of 2 rows have problems; nothing was saved" in page
    assert "The due date is before the issue date." in page
    assert Receivable.objects.count() == 0
    response = client.post("/factoring/receivables/upload/",
                           {"file": SimpleUploadedFile("x.csv", data), "only_valid": "on"})
    assert response.status_code == 200
    assert Receivable.objects.count() == 1


def test_a_core_enterprise_uploads_payables_and_a_supplier_style_file_is_refused(client, corporate):
    _core, user = corporate("core", is_supplier=False, is_core=True)
    client.force_login(user)
    data = b"debtor_uscc,invoice_number,issue_date,due_date,face_amount\n91310000000000001X,A,2026-11-01,2027-01-01,1\n"
    page = client.post("/factoring/receivables/upload/", {"file": SimpleUploadedFile("ap.csv", data)})
    assert page.status_code == 400 and "supplier_uscc" in page.content.decode()
    assert not Receivable.objects.exists()


def test_a_user_of_neither_side_cannot_upload(client, corporate):
    _warehouse, user = corporate("wh", is_supplier=False, is_warehouse=True)
    client.force_login(user)
    assert client.get("/factoring/receivables/upload/").status_code == 404


def test_the_debtor_list_offers_only_the_suppliers_counterparties(supplier_client):
    client, _supplier, debtor = supplier_client
    stranger = OrganizationFactory(is_supplier=False, is_core=True, legal_name="无关核心企业")
    page = client.get("/factoring/receivables/").content.decode()
    assert debtor.legal_name in page
    assert stranger.legal_name not in page
