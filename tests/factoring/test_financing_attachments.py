"""A return for revision names a document; the supplier attaches it (checked by content, kept with its SHA-256).

Bad input (a missing, empty, oversized, disguised or damaged file, a duplicate, a request that is
not the supplier's) is refused with the reason on the field and stores nothing.
"""

import datetime
import hashlib
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image

from scf.audit.models import AuditRecord
from scf.core.exceptions import ActionNotPermitted, IllegalTransition
from scf.parties.demo import MINIMAL_PDF
from workflows.approval.models import ApprovalDecision
from workflows.factoring import services
from workflows.factoring.models import FactoringFinancing
from workflows.inbox.attachments import attachment_add
from workflows.inbox.models import CaseAttachment, DocumentRequest

from .test_financing_lifecycle import _receivable

ASKED = "Audited financial statements 2025"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _under_review(world, number="INV-9001"):
    receivable = _receivable(world, number)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                  value_date=datetime.date(2026, 11, 25),
                                                  acting_user=world.supplier_user)
    services.receivable_confirm(receivable=receivable, amount=Decimal("1000000.00"), note="",
                                acting_user=world.debtor_user)
    financing.refresh_from_db()
    assert financing.state == "under_review"
    return financing


@pytest.fixture
def returned(world):
    financing = _under_review(world)
    services.financing_review_decide(financing=financing, approver=world.officer, decision="return",
                                     comment="We need the accounts.", requested_document=f"  {ASKED} ")
    financing.refresh_from_db()
    return financing


def _rows() -> tuple:
    return CaseAttachment.objects.count(), list(DocumentRequest.objects.values_list("fulfilled_at", flat=True))


def test_a_return_names_the_document_asked_for(world, returned):
    assert returned.state == "returned"
    request = DocumentRequest.objects.get()
    assert (request.case, request.description, request.organization, request.lender, request.requested_by,
            request.is_open) == (returned, ASKED, world.supplier, world.lender, world.officer, True)
    assert AuditRecord.objects.filter(action="inbox.document_request.ask_document", object_id=str(returned.pk),
                                      actor=world.officer, note=ASKED).exists()


def test_only_a_return_can_ask_for_a_document_and_a_refusal_changes_nothing(world):
    financing = _under_review(world)
    for decision in ("approve", "reject"):
        with pytest.raises(ValidationError) as error:
            services.financing_review_decide(financing=financing, approver=world.officer, decision=decision,
                                             comment="fine", requested_document=ASKED)
        assert error.value.message_dict == {
            "requested_document": ["A document can be asked for only when returning the request for revision."]}
    financing.refresh_from_db()
    assert financing.state == "under_review"
    assert not DocumentRequest.objects.exists()
    assert not ApprovalDecision.objects.exists()
    # A return without naming a document asks for none.
    services.financing_review_decide(financing=financing, approver=world.officer, decision="return",
                                     comment="Check the value date.", requested_document="   ")
    assert not DocumentRequest.objects.exists()


def test_the_requested_document_is_attached_with_its_sha256_and_answers_the_request(world, returned):
    request = DocumentRequest.objects.get()
    upload = SimpleUploadedFile("accounts.pdf", MINIMAL_PDF, content_type="application/octet-stream")
    attachment = services.financing_attach(financing=returned, uploaded_file=upload, answers=request,
                                           acting_user=world.supplier_user)
    digest = hashlib.sha256(MINIMAL_PDF).hexdigest()
    assert (attachment.case, attachment.title, attachment.content_type, attachment.size, attachment.sha256,
            attachment.organization, attachment.lender) == (
        returned, ASKED, "application/pdf", len(MINIMAL_PDF), digest, world.supplier, world.lender)
    # Stored under its hash, never the client's name (storage may add a suffix if the name is taken).
    assert re.fullmatch(rf"attachments/\d+/{returned.pk}/{digest}(_\w+)?\.pdf", attachment.file.name)
    with attachment.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == digest
    request.refresh_from_db()
    assert request.fulfilled_at is not None and list(request.attachments.all()) == [attachment]
    # The type is the content's, not the name's: a PNG named .pdf is kept as a PNG.
    png = services.financing_attach(financing=returned, uploaded_file=SimpleUploadedFile("scan.pdf", _png()),
                                    title="Warehouse photo", acting_user=world.supplier_user)
    assert (png.content_type, png.file.name.endswith(".png")) == ("image/png", True)
    assert AuditRecord.objects.filter(action="inbox.case_attachment.upload", object_id=str(returned.pk)).count() == 2


@pytest.mark.parametrize(("name", "data", "title", "field", "message"), [
    pytest.param("accounts.pdf", None, "Accounts", "file", "Choose a file to attach.", id="missing"),
    pytest.param("accounts.pdf", b"", "Accounts", "file", "The file is empty.", id="empty"),
    pytest.param("accounts.pdf", b"MZ\x90\x00" + b"\x00" * 200, "Accounts", "file",
                 "Only PDF, PNG and JPEG files are accepted; this file's content is none of them.", id="disguised"),
    pytest.param("accounts.pdf", MINIMAL_PDF[:60], "Accounts", "file", "This PDF is truncated or damaged.",
                 id="truncated"),
    pytest.param("scan.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "Scan", "file",
                 "This image is damaged or not really an image.", id="damaged-image"),
    pytest.param("big.pdf", b"%PDF-1.4\n" + b"0" * 2000 + b"%%EOF", "Accounts", "file",
                 "The file is 2.0\xa0KB; the limit is 1000\xa0bytes.", id="too-large"),
    pytest.param("accounts.pdf", MINIMAL_PDF, "  ", "title", "Say what the document is.", id="no-title"),
])
@override_settings(CASE_ATTACHMENT_MAX_BYTES=1000)
def test_bad_files_are_refused_on_the_field_and_nothing_is_stored(world, returned, name, data, title, field,
                                                                  message):
    before = _rows()
    upload = None if data is None else SimpleUploadedFile(name, data)
    with pytest.raises(ValidationError) as error:
        services.financing_attach(financing=returned, uploaded_file=upload, title=title,
                                  acting_user=world.supplier_user)
    assert error.value.message_dict == {field: [message]}
    assert _rows() == before


def test_a_file_attached_twice_or_for_a_request_not_the_suppliers_is_refused(world, returned):
    request = DocumentRequest.objects.get()
    services.financing_attach(financing=returned, uploaded_file=SimpleUploadedFile("a.pdf", MINIMAL_PDF),
                              answers=request, acting_user=world.supplier_user)
    before = _rows()
    with pytest.raises(ValidationError) as error:
        services.financing_attach(financing=returned, uploaded_file=SimpleUploadedFile("again.pdf", MINIMAL_PDF),
                                  title="Again", acting_user=world.supplier_user)
    assert error.value.message_dict == {"file": [f"This file is already attached to the case (as “{ASKED}”)."]}
    with pytest.raises(ValidationError) as error:
        services.financing_attach(financing=returned, uploaded_file=SimpleUploadedFile("b.png", _png()),
                                  answers=request, acting_user=world.supplier_user)
    assert error.value.message_dict == {"document_request": [f"A file was already attached for “{ASKED}”."]}
    # A request made on another case cannot be answered from this one.
    other = _under_review(world, "INV-9002")
    services.financing_review_decide(financing=other, approver=world.officer, decision="return",
                                     comment="Same.", requested_document="Bank statements")
    foreign = DocumentRequest.objects.get(description="Bank statements")
    with pytest.raises(ValidationError) as error:
        attachment_add(case=returned, organization=world.supplier, lender=world.lender,
                       uploaded_file=SimpleUploadedFile("c.png", _png()), answers=foreign,
                       acting_user=world.supplier_user)
    assert error.value.message_dict == {"document_request": ["This document was not asked of you on this case."]}
    assert CaseAttachment.objects.count() == before[0]
    assert DocumentRequest.objects.get(pk=foreign.pk).is_open


def test_only_the_suppliers_operators_attach_and_only_until_the_decision(world, returned):
    upload = SimpleUploadedFile("a.pdf", MINIMAL_PDF)
    for outsider in (world.debtor_user, world.officer):
        with pytest.raises(ActionNotPermitted):
            services.financing_attach(financing=returned, uploaded_file=upload, title="x", acting_user=outsider)
    FactoringFinancing.objects.filter(pk=returned.pk).update(state="approved")
    with pytest.raises(IllegalTransition, match="can be attached until the credit decision"):
        services.financing_attach(financing=returned, uploaded_file=upload, title="x",
                                  acting_user=world.supplier_user)
    assert not CaseAttachment.objects.exists()


def test_resubmitting_waits_for_the_document_asked_for(world, returned):
    with pytest.raises(ValidationError) as error:
        services.financing_resubmit(financing=returned, acting_user=world.supplier_user, note="")
    assert error.value.messages == [f"The lender asked for a document that is not attached yet: {ASKED}. "
                                    "Attach it before resubmitting, or withdraw the request."]
    returned.refresh_from_db()
    assert returned.state == "returned"
    services.financing_attach(financing=returned, uploaded_file=SimpleUploadedFile("a.pdf", MINIMAL_PDF),
                              answers=DocumentRequest.objects.get(), acting_user=world.supplier_user)
    services.financing_resubmit(financing=returned, acting_user=world.supplier_user, note="Accounts attached.")
    returned.refresh_from_db()
    assert returned.state == "under_review"
