"""Generate, sign, void and verify documents; issuing and finalising are in `issuing.py` (run by the tasks)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from scf.audit.services import audit_record, audited
from scf.core.after_commit import batch_after_commit
from scf.parties.models import Membership, Organization, User
from scf.parties.second_factor import has_device_subquery, second_factor_recheck

from . import registry, sealing, tasks
from .exceptions import NotAPdf, NotASignatory, SigningRefused, WrongPassword
from .issuing import build_context
from .models import Document, DocumentParty, Language, Signature
from .rendering import require_fonts
from .selectors import LIVE_STATES, documents_of, party_signed_all


def document_title(kind: registry.DocumentKind, language: str) -> str:
    """Return the kind's title in the document's language (both, Chinese first, for parallel text)."""
    if language == Language.BILINGUAL:
        with translation.override(Language.ZH_HANS):
            chinese = str(kind.title)
        with translation.override(Language.EN):
            english = str(kind.title)
        return chinese if chinese == english else f"{chinese} / {english}"
    with translation.override(language):
        return str(kind.title)


@audited
def document_generate(*, obj, kind_code: str, language: str, acting_user: User | None) -> Document:
    """Create the next version of a document (rendered after commit); a pending draft is reused.

    A business object has one document of each kind, whatever its language: choosing another
    language makes the next version of the same document (same number once issued), which
    supersedes the one in the other language. Never two agreements for one financing.
    """
    return documents_generate(obj=obj, kinds=[(kind_code, language)], acting_user=acting_user)[0]


@audited
def documents_generate(*, obj, kinds: list[tuple[str, str]], acting_user: User | None) -> list[Document]:
    """Create the next version of each (kind, language) of `obj` as `document_generate` does one; return them in order.

    A contract pack costs the same few statements whatever its size: every version of the kinds locked and read in
    one statement, the new drafts inserted in one and their parties in another.
    """
    wanted = []
    for kind_code, language in kinds:
        kind = registry.get(kind_code)
        if language not in kind.languages:
            raise registry.UnknownDocumentKind(_("“%(kind)s” is not available in %(lang)s.")
                                               % {"kind": kind_code, "lang": language})
        require_fonts(language)
        wanted.append((kind, language))
    if len({kind.code for kind, _language in wanted}) != len(wanted):
        raise ValueError("One document of each kind at a time.")
    content_type = ContentType.objects.get_for_model(obj)
    # Every version of the kinds, locked and read once: the drafts, the next version and the live one come from it.
    existing: dict[str, list[Document]] = {kind.code: [] for kind, _language in wanted}
    for document in Document.objects.select_for_update().filter(
            content_type=content_type, object_id=obj.pk, kind__in=list(existing)).order_by("kind", "-version"):
        existing[document.kind].append(document)
    result: list[Document | None] = []
    new: list[tuple[Document, registry.DocumentKind]] = []
    for kind, language in wanted:
        versions = existing[kind.code]
        drafts = [document for document in versions if document.state == Document.State.DRAFT]
        pending = next((draft for draft in drafts if draft.language == language), None)
        if pending is not None:
            result.append(pending)
            continue
        # Check the content before anything is stored: no blanks in a contract.
        build_context(kind, obj, {"number": "", "version": 0, "title": str(kind.title), "language": language,
                                  "issued_date": timezone.localdate(), "kind": kind.code})
        version = (versions[0].version if versions else 0) + 1
        live = [document for document in versions if document.state in (Document.State.DRAFT, Document.State.ISSUED)]
        if drafts or language != (live[0].language if live else None):
            # Another language replaces the document at once: nobody may sign the old text meanwhile.
            for older in sorted(live, key=lambda document: (document.created_at, document.pk), reverse=True):
                older.supersede(by=acting_user, note=f"replaced by v{version} ({language})")
                older.save()
        document = Document(kind=kind.code, version=version, language=language, title=document_title(kind, language),
                            content_type=content_type, object_id=obj.pk, created_by=acting_user)
        new.append((document, kind))
        result.append(document)
    if new:
        Document.objects.bulk_create([document for document, _kind in new])
        rows = []
        for document, kind in new:
            parties = kind.parties(obj)
            roles = registry.signing_roles(kind.code)
            if roles is not None and {p.role for p in parties if p.must_sign} != set(roles):
                raise RuntimeError(f"{kind.code}: the signing parties differ from the signing set's {roles}.")
            rows += [DocumentParty(document=document, organization=party.organization, role=party.role,
                                   must_sign=party.must_sign, order=order) for order, party in enumerate(parties)]
            audit_record(action="documents.document.generate", target=document, actor=acting_user,
                         note=f"{kind.code} v{document.version} {document.language}")
        DocumentParty.objects.bulk_create(rows)
        # Rendered after commit, with the other drafts the transaction generates (a contract pack: one task).
        batch_after_commit(tasks.render_after_commit, [document.pk for document, _kind in new])
    return result


@audited
def document_sign(*, document: Document, organization: Organization, signer: User, password: str,
                  ip_address: str | None, user_agent: str, otp_code: str | None = None) -> Signature:
    """Record a party's signature on the issued PDF after the signer re-enters their password.

    A signer with an authenticator app also enters a fresh code from it (`otp_code`).
    """
    return documents_sign(documents=[document], organization=organization, signer=signer, password=password,
                          ip_address=ip_address, user_agent=user_agent, otp_code=otp_code)[0]


@audited
def documents_sign(*, documents, organization: Organization, signer: User, password: str,
                   ip_address: str | None, user_agent: str, otp_code: str | None = None) -> list[Signature]:
    """Sign several documents for one party in one click: the password (a deliberately slow hash) and the second
    factor are checked once, then the documents are signed under their locks; all or none.

    A click costs the same few statements whatever the number of documents: the documents locked in one read, their
    signing parties and who of them signed in another, the signatures in one INSERT, the audit records in one.
    """
    ids = sorted({document.pk for document in documents})
    if not ids:
        return []
    # Whether the signer signs for the party, and whether they have an authenticator app, in one read.
    has_device = (Membership.objects.filter(user=signer, organization=organization, role=Membership.Role.SIGNATORY)
                  .annotate(has_device=has_device_subquery()).values_list("has_device", flat=True).first())
    if has_device is None:
        raise NotASignatory(_("%(user)s is not a signatory of %(org)s.")
                            % {"user": signer.get_username(), "org": organization})
    if not password or not signer.check_password(password):
        raise WrongPassword()
    second_factor_recheck(user=signer, code=otp_code, has_device=has_device)
    # Locked in the order of their keys, as every other path that locks several documents does.
    locked = list(Document.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    if len(locked) != len(ids):
        raise SigningRefused(_("A document to sign no longer exists."))
    # The signing sets the documents belong to (one per business object): whether the party is done with each is
    # answered from the same read as the documents' parties.
    sets: dict[tuple, tuple[registry.DocumentKind, registry.SigningSet]] = {}
    for document in locked:
        kind = registry.get(document.kind)
        signing_set = registry.signing_set_for(kind)
        if signing_set is not None and signing_set.on_party_done is not None:
            sets.setdefault((document.content_type_id, document.object_id, signing_set.kinds), (kind, signing_set))
    # Every party that must sign these documents, and every current document of their sets this party must sign
    # (on other pages, perhaps), each with whether it is signed by that party: one statement.
    wanted = Q(document_id__in=ids)
    for content_type_id, object_id, kinds in sets:
        wanted |= Q(organization=organization, document__content_type_id=content_type_id,
                    document__object_id=object_id, document__kind__in=kinds, document__state__in=LIVE_STATES)
    must_sign: dict[int, set[int]] = {pk: set() for pk in ids}
    signed: dict[int, set[int]] = {pk: set() for pk in ids}
    # ((type, object, kind), document, signed, role) of the party's own rows
    own: list[tuple[tuple[int, int, str], int, bool, str]] = []
    for document_id, organization_id, done, content_type_id, object_id, kind_code, role in DocumentParty.objects.filter(
            wanted, must_sign=True).annotate(signed=Exists(Signature.objects.filter(
                document_id=OuterRef("document_id"), organization_id=OuterRef("organization_id")))).values_list(
                "document_id", "organization_id", "signed", "document__content_type_id", "document__object_id",
                "document__kind", "role"):
        if organization_id == organization.pk:
            own.append(((content_type_id, object_id, kind_code), document_id, done, role))
        if document_id in must_sign:
            must_sign[document_id].add(organization_id)
            if done:
                signed[document_id].add(organization_id)
    now = timezone.now()
    signatures = []
    for document in locked:
        if document.state != Document.State.ISSUED:
            raise SigningRefused(_("Only an issued document can be signed; this one is %(state)s.")
                                 % {"state": document.get_state_display()})
        if organization.pk not in must_sign[document.pk]:
            raise SigningRefused(_("%(org)s is not a signing party of this document.") % {"org": organization})
        if organization.pk in signed[document.pk]:
            raise SigningRefused(_("%(org)s has already signed this document.") % {"org": organization})
        with document.pdf.open("rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        if digest != document.sha256:
            raise SigningRefused(_("The stored PDF does not match its recorded hash; signing is refused."))
        signatures.append(Signature(
            document=document, organization=organization, signer=signer,
            signer_name=signer.get_full_name() or signer.get_username(), signed_at=now,
            ip_address=ip_address or None, user_agent=(user_agent or "")[:400], sha256=digest,
        ))
    Signature.objects.bulk_create(signatures)
    complete = []
    for document in locked:
        audit_record(action="documents.document.sign", target=document, actor=signer,
                     note=f"{organization.legal_name} sha256={document.sha256}")
        if not must_sign[document.pk] - signed[document.pk] - {organization.pk}:
            complete.append(document.pk)
    # Sealed after commit, in one task for the documents the click completed.
    batch_after_commit(tasks.finalize_after_commit, complete)
    # The party is done with an object's signing set once every current document of the set it must sign is signed,
    # by this click or before. What the click's read left unsigned is asked again now that its signatures are
    # written: another click of the party may have signed it and committed meanwhile. The roles it signs as say
    # which steps it has done: the object is not read (the flow reads its case from the process if it asks).
    for (content_type_id, object_id, kinds), (kind, signing_set) in sets.items():
        mine = [(done or document_id in must_sign, role) for (type_id, obj_id, code), document_id, done, role in own
                if (type_id, obj_id) == (content_type_id, object_id) and code in kinds]
        if mine and (all(done for done, _role in mine) or party_signed_all(kind.model(pk=object_id), organization,
                                                                           kinds)):
            signing_set.on_party_done(kind.model(pk=object_id), organization, signer,
                                      frozenset(role for _done, role in mine), by_key=True)
    by_document = {signature.document_id: signature for signature in signatures}
    order = [document.pk for document in documents]
    return [by_document[pk] for pk in dict.fromkeys(order)]


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
        # Beyond the hash lookup: the lender's PAdES seal itself must be intact and trusted.
        seal_ok = sealing.validate_seal(data).ok
    return Verification(known=True, document=document, sealed=sealed, seal_ok=seal_ok,
                        signatures=list(document.signatures.select_related("organization")))
