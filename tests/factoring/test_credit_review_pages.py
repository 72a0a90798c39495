"""The credit officer's review page carries what it takes to decide; a return asks for a document.

Worked numbers (DESIGN §5, the facility of the factoring world: advance rate 0.80, limit
20,000,000.00, grace 3 days, recourse after 30): the supplier's earlier financing advanced
760,000.00 on 950,000.00 confirmed, due 2027-02-23, first overdue 2027-02-27, buy-back claimed on
2027-03-26 with 5,557.50 penalty posted (27 days × 205.8333…), so 765,557.50 still owed. Its next
request: 500,000.00 confirmed, advance 400,000.00.
"""

import datetime
import hashlib
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from scf.facilities.services import facility_unfreeze
from scf.parties.demo import MINIMAL_PDF
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from workflows.factoring import jobs, services
from workflows.factoring.flows import FactoringFlow
from workflows.factoring.models import FactoringFinancing
from workflows.inbox.models import CaseAttachment, DocumentRequest

from .test_financing_attachments import ASKED, _under_review
from .test_financing_lifecycle import _task
from .test_settlement import _disbursed

D = Decimal


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _url(task):
    return reverse("inbox:task", kwargs={"task_pk": task.pk})


def _at(time_machine, day):
    time_machine.move_to(datetime.datetime.combine(day, datetime.time(1), tzinfo=datetime.UTC), tick=False)


def test_the_officer_reviewing_the_next_request_sees_the_earlier_overdue_case_and_the_figures(world, time_machine):
    earlier = _disbursed(world)
    for day in (datetime.date(2027, 3, 25), datetime.date(2027, 3, 26)):
        _at(time_machine, day)
        jobs.factoring_daily(day)
    earlier.refresh_from_db()
    assert (earlier.state, earlier.lender_owed) == ("recourse_claimed", D("765557.50"))
    facility_unfreeze(facility=world.facility, acting_user=world.risk, note="Buy-back agreed with the supplier.")
    receivable = services.receivable_create(
        supplier=world.supplier, debtor=world.debtor, invoice_number="INV-NEXT", issue_date=datetime.date(2027, 3, 20),
        due_date=datetime.date(2027, 6, 24), face_amount=D("500000.00"), acting_user=world.supplier_user)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                  value_date=datetime.date(2027, 3, 26),
                                                  acting_user=world.supplier_user)
    services.receivable_confirm(receivable=receivable, amount=D("500000.00"), note="", acting_user=world.debtor_user)
    financing.refresh_from_db()
    assert (financing.state, financing.advance_amount) == ("under_review", D("400000.00"))

    page = _client(world.officer).get(_url(_task(financing, FactoringFlow.review)))
    assert page.status_code == 200
    text = page.content.decode()
    # KYC state and expiry of both parties (verified on 2026-11-25 for three years).
    assert 'id="kyc"' in text and "expires on 2029-11-24" in text
    # Exposure: 760,000.00 outstanding on 1 financing paid out, 5,557.50 penalty owed on it; with the
    # request 760,000 + 400,000 = 1,160,000.00.
    assert "Advance outstanding (1 financing paid out)</dt><dd>760,000.00" in text
    assert "Interest, fees and penalty owed on them</dt><dd>5,557.50" in text
    assert "Total exposure</dt><dd><strong>CNY 760,000.00" in text
    assert "This request</dt><dd>400,000.00" in text
    assert "Exposure with this request</dt><dd><strong>CNY 1,160,000.00" in text
    # The earlier case: overdue from 2027-02-27, buy-back claimed on 2027-03-26, 765,557.50 still owed.
    assert "has 1 financing with this lender that fell overdue" in text
    row = text[text.index(f">{earlier.reference}</a>"):]
    row = row[:row.index("</tr>")]
    for cell in ("2027-02-23", "2027-02-27", "yes · 2027-03-26", "Recourse claimed", "CNY 765,557.50"):
        assert cell in row, cell
    # Concentration on the debtor: 1,160,000 of the 20,000,000 limit = 5.80 %; all of the facility and the book.
    assert "On this debtor under the facility, with this request</dt><dd>1,160,000.00" in text
    assert "Share of the facility's limit</dt><dd>5.80%" in text
    assert "Share of what the facility has at risk</dt><dd>100.00%" in text
    assert "Share of the lender's factoring book</dt><dd>100.00%" in text

    api = APIClient()
    api.force_authenticate(world.officer)
    body = api.get(f"/api/v1/factoring/financings/{financing.pk}/credit-review/").json()
    assert body["exposure"]["with_request"] == "1160000.00"
    assert body["overdue_history"][0]["reference"] == earlier.reference
    assert body["overdue_history"][0]["recourse_claimed"] is True
    assert body["concentration"]["share_of_limit"] == "5.80"
    supplier_api = APIClient()
    supplier_api.force_authenticate(world.supplier_user)
    assert supplier_api.get(f"/api/v1/factoring/financings/{financing.pk}/credit-review/").status_code == 404


def test_a_first_request_shows_a_clean_record(world):
    financing = _under_review(world)
    text = _client(world.officer).get(_url(_task(financing, FactoringFlow.review))).content.decode()
    assert "No financing of 上海供应商有限公司 with this lender has fallen overdue." in text
    # 1,000,000 confirmed × 0.80 = 800,000.00: 4.00 % of the 20,000,000.00 limit.
    assert "Exposure with this request</dt><dd><strong>CNY 800,000.00" in text
    assert "Share of the facility's limit</dt><dd>4.00%" in text


@override_settings(CASE_ATTACHMENT_MAX_BYTES=1000)
def test_the_officer_asks_for_a_document_and_reads_it_once_the_supplier_attached_it(world):
    financing = _under_review(world)
    officer = _client(world.officer)
    review_url = _url(_task(financing, FactoringFlow.review))
    assert 'name="requested_document"' in officer.get(review_url).content.decode()
    refused = officer.post(review_url, {"decision": "approve", "comment": "", "requested_document": ASKED})
    assert refused.status_code == 400
    assert "A document can be asked for only when returning the request for revision." in refused.content.decode()
    financing.refresh_from_db()
    assert financing.state == "under_review" and not DocumentRequest.objects.exists()
    done = officer.post(review_url, {"decision": "return", "comment": "We need the accounts.",
                                     "requested_document": ASKED})
    assert done.status_code == 302
    financing.refresh_from_db()
    assert financing.state == "returned"

    supplier = _client(world.supplier_user)
    revise_url = _url(_task(financing, FactoringFlow.revise))
    page = supplier.get(revise_url).content.decode()
    assert f"The lender asks for: <strong>{ASKED}</strong>" in page
    assert 'id="attach-form"' in page and "not attached yet" in page
    assert 'id="credit-review"' not in page  # the lender's figures are not the supplier's
    # Resubmitting before attaching it is refused and changes nothing.
    early = supplier.post(revise_url, {"action": "resubmit", "value_date": "2026-11-25", "note": ""})
    assert early.status_code == 400 and "not attached yet: Audited financial statements 2025" in early.content.decode()
    financing.refresh_from_db()
    assert financing.state == "returned"

    attach_url = reverse("factoring:financing-attach", args=[financing.pk])
    request = DocumentRequest.objects.get()
    bad = [
        ({}, "Choose a file to attach."),
        ({"file": SimpleUploadedFile("accounts.pdf", b"just some text")},
         "Only PDF, PNG and JPEG files are accepted"),
        ({"file": SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 2000 + b"%%EOF")}, "the limit is 1000"),
    ]
    for files, message in bad:
        answer = supplier.post(attach_url, {"document_request": str(request.pk), "title": "", "next": revise_url,
                                            **files})
        assert answer.status_code == 400 and message in answer.content.decode(), message
    assert not CaseAttachment.objects.exists() and DocumentRequest.objects.get().is_open
    # The debtor may see the financing but not attach to it; another tenant does not find it.
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, organization=OrganizationFactory(), role="operator")
    assert _client(stranger).post(attach_url, {"title": "x", "file": SimpleUploadedFile("a.pdf", MINIMAL_PDF)}
                                  ).status_code == 404
    refused = _client(world.debtor_user).post(attach_url, {"title": "x",
                                                           "file": SimpleUploadedFile("a.pdf", MINIMAL_PDF)})
    assert refused.status_code == 400 and not CaseAttachment.objects.exists()

    attached = supplier.post(attach_url, {"document_request": str(request.pk), "title": "", "next": revise_url,
                                          "file": SimpleUploadedFile("accounts-2025.pdf", MINIMAL_PDF)})
    assert attached.status_code == 302 and attached["Location"] == revise_url
    attachment = CaseAttachment.objects.get()
    digest = hashlib.sha256(MINIMAL_PDF).hexdigest()
    assert attachment.sha256 == digest
    assert supplier.post(revise_url, {"action": "resubmit", "value_date": "2026-11-25",
                                      "note": "Accounts attached."}).status_code == 302
    financing.refresh_from_db()
    assert financing.state == "under_review"

    page = officer.get(_url(_task(financing, FactoringFlow.review))).content.decode()
    for shown in (ASKED, "accounts-2025.pdf", "application/pdf", digest, "attached on 2026-11-25"):
        assert shown in page, shown
    download = reverse("inbox:attachment", kwargs={"attachment_pk": attachment.pk})
    assert download in page
    got = officer.get(download)
    assert got.status_code == 200 and b"".join(got.streaming_content) == MINIMAL_PDF
    assert got["X-Content-Type-Options"] == "nosniff"
    for outsider in (world.debtor_user, stranger):
        assert _client(outsider).get(download).status_code == 404


def test_the_attachment_api_answers_400_with_field_errors_and_404_to_another_tenant(world):
    financing = _under_review(world)
    services.financing_review_decide(financing=financing, approver=world.officer, decision="return",
                                     comment="We need the accounts.", requested_document=ASKED)
    request = DocumentRequest.objects.get()
    url = f"/api/v1/factoring/financings/{financing.pk}/attachments/"
    supplier = APIClient()
    supplier.force_authenticate(world.supplier_user)
    missing = supplier.post(url, {"title": "Accounts"}, format="multipart")
    assert missing.status_code == 400 and "file" in missing.json()["error"]["fields"]
    wrong = supplier.post(url, {"document_request": request.pk,
                                "file": SimpleUploadedFile("accounts.pdf", b"not a pdf at all")}, format="multipart")
    assert wrong.status_code == 400
    assert wrong.json()["error"]["fields"] == {
        "file": ["Only PDF, PNG and JPEG files are accepted; this file's content is none of them."]}
    unknown = supplier.post(url, {"document_request": request.pk + 100,
                                  "file": SimpleUploadedFile("a.pdf", MINIMAL_PDF)}, format="multipart")
    assert unknown.status_code == 400 and "document_request" in unknown.json()["error"]["fields"]
    assert not CaseAttachment.objects.exists()

    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, organization=OrganizationFactory(), role="operator")
    other = APIClient()
    other.force_authenticate(stranger)
    assert other.get(url).status_code == 404
    assert other.post(url, {"title": "x", "file": SimpleUploadedFile("a.pdf", MINIMAL_PDF)},
                      format="multipart").status_code == 404

    created = supplier.post(url, {"document_request": request.pk,
                                  "file": SimpleUploadedFile("accounts.pdf", MINIMAL_PDF)}, format="multipart")
    assert created.status_code == 201, created.json()
    assert (created.json()["sha256"], created.json()["title"], created.json()["document_request"]) == (
        hashlib.sha256(MINIMAL_PDF).hexdigest(), ASKED, request.pk)
    officer = APIClient()
    officer.force_authenticate(world.officer)
    listed = officer.get(url).json()
    assert [r["is_open"] for r in listed["document_requests"]] == [False]
    assert [a["original_name"] for a in listed["attachments"]] == ["accounts.pdf"]
    debtor = APIClient()
    debtor.force_authenticate(world.debtor_user)
    assert debtor.get(url).json() == {"document_requests": [], "attachments": []}
    assert FactoringFinancing.objects.get(pk=financing.pk).state == "returned"
