"""Document pages and API: listing, preview, download, signing in the portal, verification."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from documents.models import Document, Signature
from workflows.factoring.services import financing_generate_contracts

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def contracts(demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        financing_generate_contracts(financing=demo["financing"], language="en", acting_user=demo["officer"])
    return {d.kind: d for d in Document.objects.all()}


def test_parties_see_their_documents_and_others_get_404(client, demo, contracts):
    agreement = contracts["factoring_agreement"]
    client.force_login(demo["supplier"])
    page = client.get("/documents/").content.decode()
    assert agreement.number in page
    assert client.get(f"/documents/{agreement.pk}/pdf/").status_code == 200
    client.force_login(demo["supplier2"])
    assert agreement.number not in client.get("/documents/").content.decode()
    for suffix in ("", "pdf/", "preview.png", "signed.pdf"):
        assert client.get(f"/documents/{agreement.pk}/{suffix}").status_code == 404


def test_preview_is_a_png_of_the_first_page(client, demo, contracts):
    client.force_login(demo["officer"])
    response = client.get(f"/documents/{contracts['factoring_agreement'].pk}/preview.png")
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")


def test_staff_filter_documents_by_kind(client, demo, contracts):
    client.force_login(demo["officer"])
    page = client.get("/documents/?kind=notice_of_assignment").content.decode()
    assert contracts["notice_of_assignment"].number in page
    assert contracts["factoring_agreement"].number not in page


def test_portal_signing_with_a_wrong_password_shows_an_error_and_signs_nothing(client, demo, contracts):
    agreement = contracts["factoring_agreement"]
    client.force_login(demo["supplier"])
    response = client.post(f"/documents/{agreement.pk}/sign/", {
        "organization": demo["financing"].supplier_id, "password": "nope", "confirm": "on"})
    assert response.status_code == 400
    assert "The password is not correct" in response.content.decode()
    assert Signature.objects.count() == 0


def test_portal_signing_records_ip_and_user_agent(client, demo, contracts):
    agreement = contracts["factoring_agreement"]
    client.force_login(demo["supplier"])
    response = client.post(f"/documents/{agreement.pk}/sign/", {
        "organization": demo["financing"].supplier_id, "password": PASSWORD, "confirm": "on"},
        HTTP_USER_AGENT="Mozilla/5.0 test", REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302
    signature = Signature.objects.get()
    assert (signature.ip_address, signature.user_agent, signature.sha256) == (
        "198.51.100.7", "Mozilla/5.0 test", agreement.sha256)


def test_public_verify_page_and_api(client, contracts):
    agreement = contracts["factoring_agreement"]
    with agreement.pdf.open("rb") as handle:
        data = handle.read()
    page = client.post("/verify/", {"file": SimpleUploadedFile("c.pdf", data)}).content.decode()
    assert "Known document" in page and agreement.number in page
    response = client.post("/api/v1/documents/verify/", {"file": SimpleUploadedFile("c.pdf", data)})
    body = response.json()
    assert response.status_code == 200
    assert (body["known"], body["number"], body["version"], body["state"]) == (True, agreement.number, 1, "issued")
    assert body["issued_at"]
    response = client.post("/api/v1/documents/verify/", {"sha256": "0" * 64}, content_type="application/json")
    assert response.json() == {"known": False}
    response = client.post("/api/v1/documents/verify/", {"file": SimpleUploadedFile("x.pdf", b"hello")})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_a_pdf"
    response = client.post("/api/v1/documents/verify/", {}, content_type="application/json")
    assert response.status_code == 400 and "file" in response.json()["error"]["fields"]
