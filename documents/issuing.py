"""Issue and finalise documents: the work the Celery tasks do after commit.

`document_issue` numbers, renders and issues a draft; `document_finalize` appends the signature
certificate, seals, and tells the business object's signing set. Both are idempotent.
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from scf.audit.services import audited
from scf.core.sequences import sequence_next
from scf.parties.models import Organization

from . import registry, sealing
from .languages import language_locale
from .models import Document
from .rendering import html_to_pdf, render_html
from .selectors import kinds_all_issued, kinds_all_signed, parties_signed_all
from .signature_blocks import document_blocks, fill_signature_blocks


def document_lock(pk: int) -> Document:
    return Document.objects.select_for_update().get(pk=pk)


def document_meta(document: Document) -> dict:
    """The document's own facts, as templates see them under `doc`."""
    return {
        "number": document.display_number,
        "version": document.version,
        "title": document.title,
        "language": document.language,
        # The lender's calendar day (TIME_ZONE), not UTC's: issued at 01:00 in Shanghai is dated that day.
        "issued_date": timezone.localdate(document.issued_at or timezone.now()),
        "kind": document.kind,
    }


def build_context(kind: registry.DocumentKind, obj, document_info: dict) -> dict:
    """Build and check the context of a document; raises MissingContext naming the field."""
    context = kind.build_context(obj)
    context["doc"] = document_info
    registry.check_context(kind, context)
    return context


def _allocate_number(document: Document, kind: registry.DocumentKind) -> str:
    """Take the next number of the kind and year; the row lock makes the sequence gapless."""
    # One number per document of a business object, whatever the language of its versions. Versions
    # count across languages (document_generate), so a first version has no earlier one to take it from.
    previous = None if document.version == 1 else (
        Document.objects.filter(content_type_id=document.content_type_id, object_id=document.object_id,
                                kind=document.kind)
        .exclude(pk=document.pk).exclude(number="").order_by("-version").first())
    if previous is not None:
        return previous.number
    year = timezone.localdate().year
    return f"{kind.prefix}-{year}-{sequence_next(key=document.kind, year=year):06d}"


@audited
def document_issue(*, document_id: int) -> Document:
    """Number, render and issue a draft; for anything but a draft it changes nothing (safe to retry)."""
    document = document_lock(document_id)
    if document.state != Document.State.DRAFT:
        return document
    kind = registry.get(document.kind)
    document.number = _allocate_number(document, kind)
    document.issued_at = timezone.now()
    obj = kind.business_object(document.object_id)
    context = build_context(kind, obj, document_meta(document))
    html = render_html(kind.template_name(document.language), context, document.language)
    rendered = html_to_pdf(html)
    document.html = html
    document.sha256 = rendered.sha256
    document.page_count = rendered.page_count
    document.pdf.save(f"{document.number}.pdf", ContentFile(rendered.data), save=False)
    document.issue()
    document.save()
    # A first version has no earlier one to supersede.
    for older in [] if document.version == 1 else Document.objects.select_for_update().filter(
        content_type_id=document.content_type_id, object_id=document.object_id, kind=document.kind,
        version__lt=document.version,
        state__in=[Document.State.DRAFT, Document.State.ISSUED],
    ):
        older.supersede(note=f"superseded by v{document.version}")
        older.save()
    signing_set = registry.signing_set_for(kind)
    if signing_set is not None and signing_set.on_issued is not None:
        _tell_when_all_issued(kind, signing_set, obj)
    # A kind of a signing set always has parties to sign it. Any other kind is sealed at once, under the lock
    # already held, when nobody signs it (an advice): finalising reads its parties and leaves it issued otherwise.
    if signing_set is None:
        return _finalize(document)
    return document


def _tell_when_all_issued(kind: registry.DocumentKind, signing_set: registry.SigningSet, obj) -> None:
    """Call the signing set's `on_issued` once the object's last draft of the set is issued (its signing starts)."""
    # Two workers issuing the last two drafts of one object at once: each would see the other's still a draft and
    # neither would call on_issued. The object's row lock, after the document's as in sealing, makes the later one
    # see both.
    _business_object_lock(kind, obj.pk)
    all_issued, any_signed = kinds_all_issued(obj, signing_set.kinds)
    if not all_issued:
        return
    signing_set.on_issued(obj)
    # A party may have signed its documents from their own page while another's was still being rendered, when it
    # had no signing task to finish: the task it has just been given is finished now.
    if any_signed and signing_set.on_party_done is not None:
        for organization, signer in parties_signed_all(obj, signing_set.kinds):
            signing_set.on_party_done(obj, organization, signer)


def document_missing_signers(document: Document) -> list[Organization]:
    signed = set(document.signatures.values_list("organization_id", flat=True))
    return [p.organization for p in document.document_parties.filter(must_sign=True).select_related("organization")
            if p.organization_id not in signed]


@audited
def document_finalize(*, document_id: int) -> Document:
    """Fill the signature blocks, append the signature certificate, seal, mark signed (idempotent).

    The final PDF shows in each party's block who signed for it and when, and the lender's seal
    image in the lender's block. A document nobody signs (an advice) is sealed as soon as it is
    issued: its lender's block carries the seal, and there is no certificate page.
    """
    return _finalize(document_lock(document_id))


def _finalize(document: Document) -> Document:
    """document_finalize, for the document locked by the caller."""
    if document.state != Document.State.ISSUED:
        return document
    # Each read once: the missing signers, the certificate and the blocks are all made of these.
    signatures = list(document.signatures.select_related("organization"))
    parties = list(document.document_parties.select_related("organization"))
    signed = {signature.organization_id for signature in signatures}
    if any(party.must_sign and party.organization_id not in signed for party in parties):
        return document
    kind = registry.get(document.kind)
    html = fill_signature_blocks(document.html, document_blocks(document, signatures=signatures, parties=parties),
                                 document.language)
    certificate_html = render_html("documents/signature_certificate.html", {
        # Parallel text is certified in Chinese, the text that governs.
        "doc": {**document_meta(document), "language": language_locale(document.language)}, "document": document,
        "signatures": signatures, "parties": parties,
    }, document.language) if signatures else None
    rendered = html_to_pdf(html, extra_pages_html=certificate_html)
    sealed = sealing.seal_pdf(rendered.data, reason=f"{document.number} v{document.version}")
    document.final_pdf.save(f"{document.number}-{'signed' if signatures else 'sealed'}.pdf", ContentFile(sealed),
                            save=False)
    document.final_sha256 = hashlib.sha256(sealed).hexdigest()
    document.signed_at = timezone.now()
    document.complete_signing(note=_("all parties signed") if signatures else _("sealed by the lender"))
    document.save()
    signing_set = registry.signing_set_for(kind)
    if signing_set is not None and signing_set.on_complete is not None:
        # Two workers sealing two documents of one object at once: each would see the other's still issued
        # and neither would call on_complete. The object's row lock makes the later one see both.
        # Locked and read in one statement: on_complete gets the object as it is under its lock.
        obj = _business_object_lock(kind, document.object_id)
        if kinds_all_signed(obj, signing_set.kinds):
            signing_set.on_complete(obj)
    return document


def _business_object_lock(kind: registry.DocumentKind, object_id: int):
    """Lock the business object's row, after the document's, and return it with the kind's related rows.

    The order the signing sets' on_complete always took; issuing takes it in the same order. A service that locks
    the object and then its documents (a new version generated while a worker still issues the old one) can meet
    a worker here the other way round: PostgreSQL then fails one of the two transactions (the worker's issue of a
    version about to be replaced, or the service, which its user submits again)."""
    return (kind.model._default_manager.select_for_update(of=("self",)).select_related(*kind.related)
            .get(pk=object_id))
