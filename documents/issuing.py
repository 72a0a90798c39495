"""Issue and finalise documents: the work the Celery tasks do after commit.

`documents_issue` numbers, renders and issues the drafts a transaction generated; `documents_finalize` appends
each signed document's signature certificate, seals it, and tells the business object's signing set. Both are
idempotent; `document_issue` and `document_finalize` do the same for one document.
"""

from __future__ import annotations

import hashlib
from contextlib import nullcontext

from django.core.files.base import ContentFile
from django.db.models import F, FilteredRelation, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from scf.audit.services import audited
from scf.core.sequences import sequences_next
from scf.parties.models import Organization

from . import registry, sealing
from .languages import language_locale
from .models import Document, DocumentParty, Signature
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


def _allocate_numbers(drafts: list[Document], kinds: list[registry.DocumentKind]) -> list[str]:
    """Return the number of each draft: its earlier version's, or the next of its kind and year (the row locks make
    the sequences gapless), the new ones taken in one statement."""
    # One number per document of a business object, whatever the language of its versions. Versions
    # count across languages (document_generate), so a first version has no earlier one to take it from.
    numbers: list[str | None] = []
    for document in drafts:
        previous = None if document.version == 1 else (
            Document.objects.filter(content_type_id=document.content_type_id, object_id=document.object_id,
                                    kind=document.kind)
            .exclude(pk=document.pk).exclude(number="").order_by("-version").first())
        numbers.append(previous.number if previous is not None else None)
    year = timezone.localdate().year
    taken = sequences_next([document.kind for document, number in zip(drafts, numbers, strict=True)
                            if number is None], year)
    return [number if number is not None else f"{kind.prefix}-{year}-{taken[document.kind]:06d}"
            for document, kind, number in zip(drafts, kinds, numbers, strict=True)]


@audited
def document_issue(*, document_id: int) -> Document:
    """Number, render and issue a draft; for anything but a draft it changes nothing (safe to retry)."""
    document = document_lock(document_id)
    if document.state == Document.State.DRAFT:
        _issue_drafts([document])
    return document


@audited
def documents_issue(*, document_ids: list[int]) -> list[Document]:
    """Number, render and issue the drafts among these documents, together (those a transaction generated).

    The documents are locked in one read, each business object is read once for all its drafts (its kinds' shared
    reads too: a financing's receivables, say), and each signing set is told once per object when its last draft
    is issued. Anything but a draft is left as it is (safe to retry); the documents are returned in key order.
    """
    documents = list(Document.objects.select_for_update().filter(pk__in=set(document_ids)).order_by("pk"))
    drafts: dict[tuple[int, int], list[Document]] = {}
    for document in documents:
        if document.state == Document.State.DRAFT:
            drafts.setdefault((document.content_type_id, document.object_id), []).append(document)
    for group in drafts.values():
        _issue_drafts(group)
    return documents


def _issue_drafts(drafts: list[Document]) -> None:
    """Issue drafts of one business object, under their locks."""
    if len({document.kind for document in drafts}) != len(drafts):  # one number a kind: one draft a kind at a time
        for document in drafts:
            _issue_drafts([document])
        return
    kinds = [registry.get(document.kind) for document in drafts]
    # Locked before rendering, after the documents (the order sealing takes too): two workers issuing the last two
    # drafts of one object would each see the other's still a draft and neither would start the signing. One object's
    # drafts are issued by one task, so the lock makes no worker wait for another's layout.
    obj = _business_object_lock(kinds[0], drafts[0].object_id,
                                related=dict.fromkeys(name for kind in kinds for name in kind.related))
    told: dict[int, tuple[registry.DocumentKind, registry.SigningSet]] = {}
    shared_reads = next((kind.shared_reads for kind in kinds if kind.shared_reads is not None), None)
    numbers = _allocate_numbers(drafts, kinds)
    issued = []
    with shared_reads(obj) if shared_reads is not None else nullcontext():
        for document, kind, number in zip(drafts, kinds, numbers, strict=True):
            _issue(document, kind, obj, number)
            signing_set = registry.signing_set_for(kind)
            if signing_set is not None and signing_set.on_issued is not None:
                told.setdefault(id(signing_set), (kind, signing_set))
            # A kind of a signing set always has parties to sign it. Any other kind is sealed at once, under the lock
            # already held, when nobody signs it (an advice), and stored once, sealed; it has no signature yet (it was
            # a draft until now, under its lock). A party that must sign leaves it issued, stored as such.
            if signing_set is None and _seal(document, [], list(
                    document.document_parties.select_related("organization"))):
                continue
            issued.append(document)
    # Stored in one statement, under the documents' locks.
    Document.objects.bulk_update(issued, ["number", "issued_at", "html", "sha256", "page_count", "pdf", "state"])
    for document in issued:
        document._update_initial_state()  # as save() does: the state stored is the one a later save starts from
    for kind, signing_set in told.values():
        _tell_when_all_issued(kind, signing_set, obj)


def _issue(document: Document, kind: registry.DocumentKind, obj, number: str) -> None:
    """Number, render and issue one draft about `obj` (the caller saves it); supersede its kind's earlier versions."""
    document.number = number
    document.issued_at = timezone.now()
    context = build_context(kind, obj, document_meta(document))
    html = render_html(kind.template_name(document.language), context, document.language)
    rendered = html_to_pdf(html)
    document.html = html
    document.sha256 = rendered.sha256
    document.page_count = rendered.page_count
    document.pdf.save(f"{document.number}.pdf", ContentFile(rendered.data), save=False)
    document.issue()  # stored by the caller
    # A first version has no earlier one to supersede.
    for older in [] if document.version == 1 else Document.objects.select_for_update().filter(
        content_type_id=document.content_type_id, object_id=document.object_id, kind=document.kind,
        version__lt=document.version,
        state__in=[Document.State.DRAFT, Document.State.ISSUED],
    ):
        older.supersede(note=f"superseded by v{document.version}")
        older.save()


def _tell_when_all_issued(kind: registry.DocumentKind, signing_set: registry.SigningSet, obj) -> None:
    """Call the signing set's `on_issued` once the object's last draft of the set is issued (its signing starts);
    the caller holds the object's lock."""
    all_issued, any_signed = kinds_all_issued(obj, signing_set.kinds)
    if not all_issued:
        return
    signing_set.on_issued(obj)
    # A party may have signed its documents from their own page while another's was still being rendered, when it
    # had no signing task to finish: the task it has just been given is finished now.
    if any_signed and signing_set.on_party_done is not None:
        for organization, signer, roles in parties_signed_all(obj, signing_set.kinds):
            signing_set.on_party_done(obj, organization, signer, roles, by_key=False)


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
    return _finalize_all([document_lock(document_id)])[0]


@audited
def documents_finalize(*, document_ids: list[int]) -> list[Document]:
    """document_finalize for several documents (those one signing click completed), in one transaction: locked in
    one read, their signatures and parties read in one each, each object's signing set asked once at the end."""
    return _finalize_all(list(Document.objects.select_for_update().filter(pk__in=set(document_ids)).order_by("pk")))


def _finalize_all(documents: list[Document]) -> list[Document]:
    """documents_finalize, for documents locked by the caller; returns them all, sealed or left as they were."""
    issued = [document for document in documents if document.state == Document.State.ISSUED]
    if not issued:
        return documents
    # Each read once for all: the missing signers, the certificates and the blocks are all made of these.
    parties, signatures = _parties_with_signatures([document.pk for document in issued])
    complete: dict[tuple, tuple[registry.DocumentKind, registry.SigningSet, int]] = {}
    sealed = []
    for document in issued:
        if not _seal(document, signatures[document.pk], parties[document.pk], save=False):
            continue
        sealed.append(document)
        kind = registry.get(document.kind)
        signing_set = registry.signing_set_for(kind)
        if signing_set is not None and signing_set.on_complete is not None:
            complete.setdefault((id(signing_set), document.object_id), (kind, signing_set, document.object_id))
    # Stored in one statement, under the documents' locks.
    Document.objects.bulk_update(sealed, _SEALED_FIELDS)
    for document in sealed:
        document._update_initial_state()  # as save() does
    for kind, signing_set, object_id in complete.values():
        # Two workers sealing two documents of one object at once: each would see the other's still issued
        # and neither would call on_complete. The object's row lock makes the later one see both.
        # Locked and read in one statement: on_complete gets the object as it is under its lock.
        obj = _business_object_lock(kind, object_id)
        if kinds_all_signed(obj, signing_set.kinds):
            signing_set.on_complete(obj)
    return documents


_SEALED_FIELDS = ["final_pdf", "final_sha256", "signed_at", "state"]
_SIGNATURE_COLUMNS = [field.attname for field in Signature._meta.concrete_fields
                      if field.attname not in ("document_id", "organization_id")]


def _parties_with_signatures(ids: list[int]) -> tuple[dict[int, list[DocumentParty]], dict[int, list[Signature]]]:
    """Each document's parties (in their order, with their organizations) and its signatures (in the order they were
    given), in one read: a signature is a party's (one at most each, as the keys of both say)."""
    parties: dict[int, list[DocumentParty]] = {pk: [] for pk in ids}
    signatures: dict[int, list[Signature]] = {pk: [] for pk in ids}
    given = FilteredRelation("document__signatures", condition=Q(document__signatures__organization=F("organization")))
    # The signature's key by a subquery: Django resolves `given__id` to the document's (the join's other side).
    key = Subquery(Signature.objects.filter(document_id=OuterRef("document_id"),
                                            organization_id=OuterRef("organization_id")).values("pk")[:1])
    rows = (DocumentParty.objects.filter(document_id__in=ids).select_related("organization").annotate(given=given)
            .annotate(signature_id=key, **{f"signature_{column}": F(f"given__{column}")
                                           for column in _SIGNATURE_COLUMNS if column != "id"}))
    for party in rows:
        parties[party.document_id].append(party)
        if party.signature_id is None:
            continue
        values = {"document_id": party.document_id, "organization_id": party.organization_id,
                  **{column: getattr(party, f"signature_{column}") for column in _SIGNATURE_COLUMNS}}
        columns = [field.attname for field in Signature._meta.concrete_fields]  # from_db takes them in this order
        signature = Signature.from_db(party._state.db, columns, [values[column] for column in columns])
        signature.organization = party.organization
        signatures[party.document_id].append(signature)
    for document_signatures in signatures.values():
        document_signatures.sort(key=lambda signature: (signature.signed_at, signature.pk))
    return parties, signatures


def _seal(document: Document, signatures: list[Signature], parties: list[DocumentParty], *, save: bool = True) -> bool:
    """Seal an issued document every party that must has signed; return whether it was (stored unless `save` is
    False: the caller stores what `_SEALED_FIELDS` names)."""
    signed = {signature.organization_id for signature in signatures}
    if any(party.must_sign and party.organization_id not in signed for party in parties):
        return False
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
    if save:
        document.save()
    return True


def _business_object_lock(kind: registry.DocumentKind, object_id: int, related=None):
    """Lock the business object's row, after the document's, and return it with the kind's related rows.

    The order the signing sets' on_complete always took; issuing takes it in the same order. A service that locks
    the object and then its documents (a new version generated while a worker still issues the old one) can meet
    a worker here the other way round: PostgreSQL then fails one of the two transactions (the worker's issue of a
    version about to be replaced, or the service, which its user submits again)."""
    return (kind.model._default_manager.select_for_update(of=("self",))
            .select_related(*(kind.related if related is None else related)).get(pk=object_id))
