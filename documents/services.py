"""Generate, issue, sign, finalise and verify documents."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from scf.audit.services import audit_record, audited
from scf.core.sequences import sequence_next
from scf.parties.models import Membership, Organization, User

from . import registry
from .exceptions import NotAPdf, NotASignatory, SigningRefused, WrongPassword
from .models import Document, DocumentParty, Signature
from .rendering import html_to_pdf, render_html, require_fonts
from .selectors import documents_of, kinds_all_signed, party_signed_all


def _document_lock(pk: int) -> Document:
    return Document.objects.select_for_update().get(pk=pk)


def document_meta(document: Document) -> dict:
    """The document's own facts, as templates see them under `doc`."""
    return {
        "number": document.display_number,
        "version": document.version,
        "title": document.title,
        "language": document.language,
        "issued_date": (document.issued_at or timezone.now()).date(),
        "kind": document.kind,
    }


def build_context(kind: registry.DocumentKind, obj, document_info: dict) -> dict:
    """Build and check the context of a document; raises MissingContext naming the field."""
    context = kind.build_context(obj)
    context["doc"] = document_info
    registry.check_context(kind, context)
    return context


@audited
def document_generate(*, obj, kind_code: str, language: str, acting_user: User | None) -> Document:
    """Create the next version of a document (rendered after commit); a pending draft is reused."""
    kind = registry.get(kind_code)
    if language not in kind.languages:
        raise registry.UnknownDocumentKind(_("“%(kind)s” is not available in %(lang)s.")
                                           % {"kind": kind_code, "lang": language})
    require_fonts(language)
    content_type = ContentType.objects.get_for_model(obj)
    existing = Document.objects.select_for_update().filter(
        content_type=content_type, object_id=obj.pk, kind=kind_code, language=language)
    pending = existing.filter(state=Document.State.DRAFT).order_by("-version").first()
    if pending is not None:
        return pending
    # Check the content before anything is stored: no blanks in a contract.
    build_context(kind, obj, {"number": "", "version": 0, "title": str(kind.title), "language": language,
                              "issued_date": timezone.localdate(), "kind": kind_code})
    version = (existing.aggregate(v=Max("version"))["v"] or 0) + 1
    with translation.override(language):
        title = str(kind.title)
    document = Document.objects.create(
        kind=kind_code, version=version, language=language, title=title,
        content_type=content_type, object_id=obj.pk, created_by=acting_user,
    )
    DocumentParty.objects.bulk_create(
        DocumentParty(document=document, organization=party.organization, role=party.role,
                      must_sign=party.must_sign, order=order)
        for order, party in enumerate(kind.parties(obj)))
    audit_record(action="documents.document.generate", target=document, actor=acting_user,
                 note=f"{kind_code} v{version} {language}")
    from .tasks import render_document

    render_document.delay_on_commit(document_id=document.pk)
    return document


def _allocate_number(document: Document, kind: registry.DocumentKind) -> str:
    """Take the next number of the kind and year; the row lock makes the sequence gapless."""
    previous = (Document.objects.filter(content_type_id=document.content_type_id, object_id=document.object_id,
                                        kind=document.kind, language=document.language)
                .exclude(pk=document.pk).exclude(number="").order_by("-version").first())
    if previous is not None:
        return previous.number
    year = timezone.localdate().year
    return f"{kind.prefix}-{year}-{sequence_next(key=document.kind, year=year):06d}"


@audited
def document_issue(*, document_id: int) -> Document:
    """Number, render and issue a draft; for anything but a draft it changes nothing (safe to retry)."""
    document = _document_lock(document_id)
    if document.state != Document.State.DRAFT:
        return document
    kind = registry.get(document.kind)
    document.number = _allocate_number(document, kind)
    document.issued_at = timezone.now()
    context = build_context(kind, kind.business_object(document.object_id), document_meta(document))
    html = render_html(kind.template_name(document.language), context, document.language)
    rendered = html_to_pdf(html)
    document.html = html
    document.sha256 = rendered.sha256
    document.page_count = rendered.page_count
    document.pdf.save(f"{document.number}.pdf", ContentFile(rendered.data), save=False)
    document.issue()
    document.save()
    for older in Document.objects.select_for_update().filter(
        content_type_id=document.content_type_id, object_id=document.object_id, kind=document.kind,
        language=document.language, version__lt=document.version,
        state__in=[Document.State.DRAFT, Document.State.ISSUED],
    ):
        older.supersede(note=f"superseded by v{document.version}")
        older.save()
    return document


@audited
def document_sign(*, document: Document, organization: Organization, signer: User, password: str,
                  ip_address: str | None, user_agent: str) -> Signature:
    """Record a party's signature on the issued PDF after the signer re-enters their password."""
    document = _document_lock(document.pk)
    if document.state != Document.State.ISSUED:
        raise SigningRefused(_("Only an issued document can be signed; this one is %(state)s.")
                             % {"state": document.get_state_display()})
    must_sign = {p.organization_id for p in document.document_parties.filter(must_sign=True)}
    if organization.pk not in must_sign:
        raise SigningRefused(_("%(org)s is not a signing party of this document.") % {"org": organization})
    if not Membership.objects.filter(user=signer, organization=organization,
                                     role=Membership.Role.SIGNATORY).exists():
        raise NotASignatory(_("%(user)s is not a signatory of %(org)s.")
                            % {"user": signer.get_username(), "org": organization})
    if not password or not signer.check_password(password):
        raise WrongPassword()
    signed = set(document.signatures.values_list("organization_id", flat=True))
    if organization.pk in signed:
        raise SigningRefused(_("%(org)s has already signed this document.") % {"org": organization})
    with document.pdf.open("rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    if digest != document.sha256:
        raise SigningRefused(_("The stored PDF does not match its recorded hash; signing is refused."))
    signature = Signature.objects.create(
        document=document, organization=organization, signer=signer,
        signer_name=signer.get_full_name() or signer.get_username(), signed_at=timezone.now(),
        ip_address=ip_address or None, user_agent=(user_agent or "")[:400], sha256=digest,
    )
    audit_record(action="documents.document.sign", target=document, actor=signer,
                 note=f"{organization.legal_name} sha256={digest}")
    kind = registry.get(document.kind)
    signing_set = registry.signing_set_for(kind)
    if signing_set is not None and signing_set.on_party_done is not None:
        obj = kind.business_object(document.object_id)
        if party_signed_all(obj, organization, signing_set.kinds):
            signing_set.on_party_done(obj, organization, signer)
    if not must_sign - signed - {organization.pk}:
        from .tasks import finalize_document

        finalize_document.delay_on_commit(document_id=document.pk)
    return signature


def document_missing_signers(document: Document) -> list[Organization]:
    signed = set(document.signatures.values_list("organization_id", flat=True))
    return [p.organization for p in document.document_parties.filter(must_sign=True).select_related("organization")
            if p.organization_id not in signed]


@audited
def document_finalize(*, document_id: int) -> Document:
    """Append the signature certificate, seal, mark signed and tell the business object (idempotent)."""
    from .sealing import seal_pdf

    document = _document_lock(document_id)
    if document.state != Document.State.ISSUED or document_missing_signers(document):
        return document
    kind = registry.get(document.kind)
    certificate_html = render_html("documents/signature_certificate.html", {
        "doc": document_meta(document), "document": document,
        "signatures": list(document.signatures.select_related("organization")),
    }, document.language)
    rendered = html_to_pdf(document.html, extra_pages_html=certificate_html)
    sealed = seal_pdf(rendered.data, reason=f"{document.number} v{document.version}")
    document.final_pdf.save(f"{document.number}-signed.pdf", ContentFile(sealed), save=False)
    document.final_sha256 = hashlib.sha256(sealed).hexdigest()
    document.signed_at = timezone.now()
    document.complete_signing(note=_("all parties signed"))
    document.save()
    signing_set = registry.signing_set_for(kind)
    if signing_set is not None and signing_set.on_complete is not None:
        obj = kind.business_object(document.object_id)
        if kinds_all_signed(obj, signing_set.kinds):
            signing_set.on_complete(obj)
    return document


def documents_void(*, obj, acting_user: User | None, note: str) -> int:
    """Void the object's documents not yet signed by everyone (a withdrawn case): none can be signed any more."""
    voided = 0
    for document in documents_of(obj).select_for_update().filter(
            state__in=[Document.State.DRAFT, Document.State.ISSUED]):
        document.void(by=acting_user, note=note)
        document.save()
        voided += 1
    return voided


@dataclass
class Verification:
    known: bool
    document: Document | None = None
    sealed: bool = False
    signatures: list = field(default_factory=list)
    seal_ok: bool | None = None


def document_verify(*, data: bytes | None = None, sha256: str | None = None) -> Verification:
    """Tell whether a PDF (or its SHA-256) is one the service issued."""
    if data is not None:
        if not data.startswith(b"%PDF-"):
            raise NotAPdf()
        sha256 = hashlib.sha256(data).hexdigest()
    sha256 = (sha256 or "").strip().lower()
    document = Document.objects.filter(sha256=sha256).first()
    sealed = False
    if document is None:
        document = Document.objects.filter(final_sha256=sha256).first()
        sealed = document is not None
    if document is None:
        return Verification(known=False)
    seal_ok = None
    if sealed and data is not None:
        from .sealing import validate_seal

        # Beyond the hash lookup: the lender's PAdES seal itself must be intact and trusted.
        seal_ok = validate_seal(data).ok
    return Verification(known=True, document=document, sealed=sealed, seal_ok=seal_ok,
                        signatures=list(document.signatures.select_related("organization")))
