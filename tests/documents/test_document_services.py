"""Generate, issue, number, sign, finalise and verify documents through the services."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from documents import issuing, registry, services
from documents.exceptions import NotAPdf, NotASignatory, SigningRefused, WrongPassword
from documents.models import Document, Signature
from scf.core.models import NumberSequence
from workflows.factoring.models import FactoringFinancing
from workflows.factoring.services import financing_generate_contracts

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _generate(demo, kind="factoring_agreement", language="en", capture=None):
    return services.document_generate(obj=demo["financing"], kind_code=kind, language=language,
                                      acting_user=demo["officer"])


def _issued(demo, kind="factoring_agreement", language="en", django_capture_on_commit_callbacks=None):
    with django_capture_on_commit_callbacks(execute=True):
        document = _generate(demo, kind, language)
    document.refresh_from_db()
    return document


def test_generate_issues_a_numbered_hashed_pdf_after_commit(demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        document = _generate(demo)
    assert document.state == Document.State.DRAFT and document.number == ""
    assert len(callbacks) == 1
    callbacks[0]()
    document.refresh_from_db()
    year = timezone.localdate().year
    assert document.state == Document.State.ISSUED
    assert document.number == f"FAC-{year}-000001"
    assert document.version == 1
    with document.pdf.open("rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF-")
    assert hashlib.sha256(data).hexdigest() == document.sha256
    assert document.page_count >= 3
    roles = list(document.document_parties.values_list("role", "must_sign"))
    assert roles == [("supplier", True), ("lender", True)]  # the debtor is not a party: the agreement prices the advance


def test_a_retried_render_task_creates_nothing_more(demo, django_capture_on_commit_callbacks):
    document = _issued(demo, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    sha = document.sha256
    issuing.document_issue(document_id=document.pk)
    issuing.document_issue(document_id=document.pk)
    document.refresh_from_db()
    assert document.sha256 == sha
    assert Document.objects.count() == 1
    assert NumberSequence.objects.get(key="factoring_agreement").last_number == 1


def test_generate_twice_before_rendering_returns_the_same_draft(demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first = _generate(demo)
        second = _generate(demo)
    assert first.pk == second.pk
    assert Document.objects.count() == 1


def test_regenerating_makes_the_next_version_with_the_same_number(demo, django_capture_on_commit_callbacks):
    first = _issued(demo, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    second = _issued(demo, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    first.refresh_from_db()
    assert (second.version, second.number) == (2, first.number)
    assert first.state == Document.State.SUPERSEDED
    assert second.state == Document.State.ISSUED


def test_numbers_are_per_kind_and_one_per_document_whatever_its_language(demo, django_capture_on_commit_callbacks):
    agreement = _issued(demo, "factoring_agreement", "en", django_capture_on_commit_callbacks)
    notice = _issued(demo, "notice_of_assignment", "en", django_capture_on_commit_callbacks)
    agreement_zh = _issued(demo, "factoring_agreement", "zh-hans", django_capture_on_commit_callbacks)
    year = timezone.localdate().year
    assert agreement.number == f"FAC-{year}-000001"
    assert notice.number == f"NOA-{year}-000001"
    # The Chinese text is the next version of the same agreement, not a second agreement.
    assert (agreement_zh.number, agreement_zh.version) == (f"FAC-{year}-000001", 2)
    agreement.refresh_from_db()
    assert agreement.state == Document.State.SUPERSEDED


def test_a_pack_is_generated_in_one_call_and_issued_by_one_task_numbered_per_kind(demo,
                                                                                  django_capture_on_commit_callbacks):
    earlier = _issued(demo, "factoring_agreement", "en", django_capture_on_commit_callbacks)
    kinds = [("factoring_agreement", "zh-hans"), ("notice_of_assignment", "en"), ("debtor_confirmation_letter", "en")]
    with django_capture_on_commit_callbacks(execute=False) as callbacks, CaptureQueriesContext(connection) as queries:
        agreement, notice, letter = services.documents_generate(obj=demo["financing"], kinds=kinds,
                                                                acting_user=demo["officer"])
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "documents_document')]
    assert len(inserts) == 2  # the drafts in one statement, their parties in another
    assert len(callbacks) == 1  # one task issues the pack
    earlier.refresh_from_db()
    assert earlier.state == Document.State.SUPERSEDED  # the agreement in another language replaces it at once
    callbacks[0]()
    year = timezone.localdate().year
    for document in (agreement, notice, letter):
        document.refresh_from_db()
    assert [(d.state, d.number, d.version, d.language) for d in (agreement, notice, letter)] == [
        ("issued", f"FAC-{year}-000001", 2, "zh-hans"), ("issued", f"NOA-{year}-000001", 1, "en"),
        ("issued", f"DCL-{year}-000001", 1, "en")]
    assert [list(d.document_parties.filter(must_sign=True).values_list("role", flat=True))
            for d in (agreement, notice, letter)] == [["supplier", "lender"], ["supplier", "debtor"], ["debtor"]]
    with django_capture_on_commit_callbacks(execute=False):
        again = services.documents_generate(obj=demo["financing"], kinds=kinds[1:], acting_user=demo["officer"])
    assert [d.version for d in again] == [2, 2]


def test_a_pack_names_each_kind_once_in_a_language_it_has(demo):
    with pytest.raises(ValueError, match="One document of each kind"):
        services.documents_generate(obj=demo["financing"], acting_user=None,
                                    kinds=[("notice_of_assignment", "en"), ("notice_of_assignment", "zh-hans")])
    with pytest.raises(registry.UnknownDocumentKind):
        services.documents_generate(obj=demo["financing"], acting_user=None,
                                    kinds=[("notice_of_assignment", "en"), ("factoring_agreement", "fr")])
    assert not Document.objects.exists()


def test_missing_context_names_the_field_and_stores_nothing(demo):
    financing = demo["financing"]
    financing.receivables.clear()
    with pytest.raises(registry.MissingContext) as error:
        _generate(demo)
    assert error.value.field_path == "receivables"
    assert "receivables" in error.value.message
    assert Document.objects.count() == 0


def test_unknown_kind_is_refused(demo):
    with pytest.raises(registry.UnknownDocumentKind):
        services.document_generate(obj=demo["financing"], kind_code="love_letter", language="en",
                                   acting_user=demo["officer"])


def _sign(demo, document, user, org_attr, password=PASSWORD):
    return services.document_sign(document=document, organization=getattr(demo["financing"], org_attr),
                                  signer=user, password=password, ip_address="203.0.113.9",
                                  user_agent="pytest-browser/1.0")


def test_signing_records_signer_ip_agent_and_the_hash_of_the_pdf(demo, django_capture_on_commit_callbacks):
    document = _issued(demo, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    signature = _sign(demo, document, demo["supplier"], "supplier")
    assert (signature.ip_address, signature.user_agent, signature.sha256) == (
        "203.0.113.9", "pytest-browser/1.0", document.sha256)
    assert signature.organization == demo["financing"].supplier


def test_wrong_password_signs_nothing(demo, django_capture_on_commit_callbacks):
    document = _issued(demo, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    with pytest.raises(WrongPassword):
        _sign(demo, document, demo["supplier"], "supplier", password="guess")
    assert Signature.objects.count() == 0


def test_a_non_signatory_cannot_sign_for_a_party(demo, django_capture_on_commit_callbacks):
    document = _issued(demo, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    with pytest.raises(NotASignatory):
        _sign(demo, document, demo["officer"], "lender")  # officer is an operator, not a signatory
    with pytest.raises(NotASignatory):
        _sign(demo, document, demo["supplier2"], "supplier")
    assert Signature.objects.count() == 0


def test_signing_twice_for_one_party_is_refused(demo, django_capture_on_commit_callbacks):
    document = _issued(demo, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    _sign(demo, document, demo["supplier"], "supplier")
    with pytest.raises(SigningRefused):
        _sign(demo, document, demo["supplier"], "supplier")
    assert Signature.objects.count() == 1


def test_a_party_that_does_not_sign_is_refused(demo, django_capture_on_commit_callbacks):
    document = _issued(demo, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    with pytest.raises(SigningRefused):
        _sign(demo, document, demo["core"], "debtor")  # the debtor is named in the agreement only


def test_a_superseded_version_cannot_be_signed(demo, django_capture_on_commit_callbacks):
    first = _issued(demo, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    _issued(demo, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    first.refresh_from_db()
    with pytest.raises(SigningRefused):
        _sign(demo, first, demo["supplier"], "supplier")


def test_every_party_signing_seals_the_final_pdf_and_tells_the_financing(demo, django_capture_on_commit_callbacks):
    from documents.sealing import validate_seal

    financing = demo["financing"]
    from workflows.factoring.services import financing_generate_contracts

    with django_capture_on_commit_callbacks(execute=True):
        financing_generate_contracts(financing=financing, language="zh-hans", acting_user=demo["officer"])
    financing.refresh_from_db()
    assert financing.state == FactoringFinancing.State.CONTRACT_ISSUED
    agreement = Document.objects.get(kind="factoring_agreement")
    notice = Document.objects.get(kind="notice_of_assignment")
    with django_capture_on_commit_callbacks(execute=True):
        _sign(demo, agreement, demo["supplier"], "supplier")
        _sign(demo, agreement, demo["ops"], "lender")
    agreement.refresh_from_db()
    assert agreement.state == Document.State.SIGNED
    with agreement.final_pdf.open("rb") as handle:
        final = handle.read()
    assert hashlib.sha256(final).hexdigest() == agreement.final_sha256
    status = validate_seal(final)
    assert status.sealed and status.intact and status.trusted and status.covers_whole_file
    financing.refresh_from_db()
    assert financing.state == FactoringFinancing.State.CONTRACT_ISSUED  # the notice is not signed yet
    with django_capture_on_commit_callbacks(execute=True):
        _sign(demo, notice, demo["supplier"], "supplier")
        _sign(demo, notice, demo["core"], "debtor")
    financing.refresh_from_db()
    assert financing.state == FactoringFinancing.State.CONTRACT_ISSUED  # the confirmation letter is not signed yet
    with django_capture_on_commit_callbacks(execute=True):
        _sign(demo, Document.objects.get(kind="debtor_confirmation_letter"), demo["core"], "debtor")
    financing.refresh_from_db()
    assert financing.state == FactoringFinancing.State.SIGNED
    # The issued PDF never changed.
    with agreement.pdf.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == agreement.sha256


def test_verify_knows_issued_and_final_pdfs_and_nothing_else(demo, django_capture_on_commit_callbacks):
    document = _issued(demo, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    with document.pdf.open("rb") as handle:
        data = handle.read()
    result = services.document_verify(data=data)
    assert result.known and result.document == document and not result.sealed
    assert services.document_verify(sha256=document.sha256.upper()).known
    middle = len(data) // 2
    tampered = data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]
    assert not services.document_verify(data=tampered).known
    with pytest.raises(NotAPdf):
        services.document_verify(data=b"GIF89a not a pdf")


def test_the_notice_needs_the_lenders_collection_account(demo):
    from scf.parties.models import SettlementAccount

    # A lender's collection account that is pending verification (changed, say) is not printed either.
    SettlementAccount.objects.filter(organization_id=demo["financing"].lender_id).update(status="pending")
    demo["financing"].refresh_from_db()
    with pytest.raises(registry.MissingContext) as error:
        _generate(demo, kind="notice_of_assignment")
    assert error.value.field_path == "collection_account.bank"
    assert Document.objects.count() == 0


def test_the_title_is_in_the_documents_language_whatever_the_request_language(demo, django_capture_on_commit_callbacks):
    from django.utils import translation

    with translation.override("en"):
        document = _generate(demo, language="zh-hans")
    assert document.title != "Factoring Agreement"
    assert "保理" in document.title


def test_the_verify_page_says_whether_the_seal_of_a_final_pdf_is_intact(demo, client,
                                                                       django_capture_on_commit_callbacks):
    financing = demo["financing"]
    with django_capture_on_commit_callbacks(execute=True):
        financing_generate_contracts(financing=financing, language="en", acting_user=demo["officer"])
    agreement = Document.objects.get(kind="factoring_agreement")
    with django_capture_on_commit_callbacks(execute=True):
        _sign(demo, agreement, demo["supplier"], "supplier")
        _sign(demo, agreement, demo["ops"], "lender")
    agreement.refresh_from_db()
    with agreement.final_pdf.open("rb") as handle:
        final = handle.read()
    page = client.post("/verify/", {"file": SimpleUploadedFile("signed.pdf", final)}).content.decode()
    assert "the signed and sealed final PDF" in page and "intact and trusted" in page
    by_hash = client.post("/verify/", {"sha256": agreement.final_sha256}).content.decode()
    assert "not checked: upload the file itself" in by_hash and "intact and trusted" not in by_hash


def test_signing_several_documents_checks_the_password_once(demo, django_capture_on_commit_callbacks, monkeypatch):
    """The password hash is slow by design: one click signing two documents checks it once, not once each."""
    first = _issued(demo, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    second = _issued(demo, kind="notice_of_assignment", django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    supplier = demo["supplier"]
    checks = []
    real_check = type(supplier).check_password
    monkeypatch.setattr(type(supplier), "check_password", lambda self, raw: checks.append(raw) or real_check(self, raw))
    signatures = services.documents_sign(documents=[first, second], organization=demo["financing"].supplier,
                                         signer=supplier, password=PASSWORD, ip_address=None, user_agent="")
    assert [s.document_id for s in signatures] == [first.pk, second.pk]
    assert checks == [PASSWORD]


def test_a_click_costs_the_same_statements_for_one_document_or_two(demo, django_capture_on_commit_callbacks):
    """The documents are locked in one read; their parties and signatures read in one, with whether the party has
    signed everything else of the set it must; the signatures written in one INSERT: a second document adds no
    statement to the click."""
    first = _issued(demo, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    second = _issued(demo, kind="notice_of_assignment", django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    supplier, organization = demo["supplier"], demo["financing"].supplier

    def click(documents):
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            signed = services.documents_sign(documents=documents, organization=organization, signer=supplier,
                                             password=PASSWORD, ip_address=None, user_agent="")
            transaction.set_rollback(True)
        assert len(signed) == len(documents)
        # What the click itself reads and writes; finishing the party's step once it signed all it must is apart.
        return [q["sql"].split(" WHERE ")[0][-60:] for q in queries if '"documents_' in q["sql"].split(" WHERE ")[0]]

    both, one = click([first, second]), click([first])
    assert len(both) == 3, both
    # Signing one of its two leaves the party with the notice still to sign: whether it is done is asked again
    # after the signature is written (another click of the party may have signed the notice meanwhile).
    assert len(one) == 4 and "documents_signature" in one[-1], one
    signatures = services.documents_sign(documents=[second, first], organization=organization, signer=supplier,
                                         password=PASSWORD, ip_address="10.0.0.1", user_agent="pytest")
    assert [s.document_id for s in signatures] == [second.pk, first.pk]  # in the order asked
    assert {(s.document_id, s.sha256) for s in Signature.objects.filter(organization=organization)} == {
        (first.pk, first.sha256), (second.pk, second.sha256)}


def test_one_refused_document_signs_none_of_the_click(demo, django_capture_on_commit_callbacks):
    first = _issued(demo, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    second = _issued(demo, kind="notice_of_assignment", django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    _sign(demo, second, demo["supplier"], "supplier")
    with pytest.raises(SigningRefused, match="already signed"):
        services.documents_sign(documents=[first, second], organization=demo["financing"].supplier,
                                signer=demo["supplier"], password=PASSWORD, ip_address=None, user_agent="")
    assert not Signature.objects.filter(document=first).exists()
