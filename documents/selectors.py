"""Reads for documents and their tenancy rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from scf.core import tenancy
from scf.parties.models import Organization, User
from scf.parties.selectors import user_lender_ids, user_organization_ids

from .models import Document, DocumentParty, Signature

# The versions that count: a superseded or void document is no longer anyone's to sign.
LIVE_STATES = (Document.State.DRAFT, Document.State.ISSUED, Document.State.SIGNED)


@tenancy.rule(Document)
def document_visible(user: User) -> QuerySet[Document]:
    """A document is seen by the parties named in it; lender staff see their lender's documents."""
    if user.is_superuser:
        return Document.objects.all()
    ids = user_organization_ids(user) | user_lender_ids(user)
    return Document.objects.filter(document_parties__organization_id__in=ids).distinct()


def document_list(*, user: User, kind: str | None = None, state: str | None = None, party: int | None = None,
                  date_from=None, date_to=None) -> QuerySet[Document]:
    qs = tenancy.visible(Document, user)
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(state=state)
    if party:
        qs = qs.filter(document_parties__organization_id=party)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs.prefetch_related("document_parties__organization").distinct()


def _of(obj) -> dict:
    return {"content_type": ContentType.objects.get_for_model(type(obj)), "object_id": obj.pk}


def documents_of(obj, *, kinds: Iterable[str] | None = None) -> QuerySet[Document]:
    """Return every document (each version, language and kind) about a business object."""
    qs = Document.objects.filter(**_of(obj))
    return qs if kinds is None else qs.filter(kind__in=list(kinds))


def documents_current(obj, *, user: User | None = None) -> QuerySet[Document]:
    """Return the documents about `obj` that are not superseded, by kind, language and newest version.

    With `user`, only those the user may see: a party sees the documents it is named in, never
    another party's (the debtor never sees the supplier's priced agreement).
    """
    qs = documents_of(obj).exclude(state=Document.State.SUPERSEDED)
    if user is not None:
        qs = qs.filter(pk__in=tenancy.visible(Document, user).values("pk"))
    return qs.order_by("kind", "language", "-version")


def documents_visible_of(obj, *, user: User) -> QuerySet[Document]:
    """Return every version of the documents about `obj` that the user may see, newest first per kind."""
    return (documents_of(obj).filter(pk__in=tenancy.visible(Document, user).values("pk"))
            .order_by("kind", "language", "-version"))


def signed_by_anyone(obj, kinds: Iterable[str]) -> bool:
    """Whether any party has signed one of the object's current documents of these kinds."""
    of = _of(obj)
    return Signature.objects.filter(
        document__content_type=of["content_type"], document__object_id=of["object_id"],
        document__kind__in=list(kinds), document__state__in=[Document.State.ISSUED, Document.State.SIGNED],
    ).exists()


def party_signed_all(obj, organization: Organization, kinds: Iterable[str]) -> bool:
    """Whether the organization signed every current document of these kinds that it must sign."""
    # One statement: each current document it must sign, with whether it signed it.
    signed = list(documents_of(obj, kinds=kinds).filter(
        state__in=LIVE_STATES, document_parties__organization=organization, document_parties__must_sign=True,
    ).annotate(signed=Exists(Signature.objects.filter(document=OuterRef("pk"), organization=organization)))
        .values_list("signed", flat=True))
    return bool(signed) and all(signed)


def kinds_all_signed(obj, kinds: Iterable[str]) -> bool:
    """Whether every one of these kinds has a signed document about the object."""
    kinds = set(kinds)
    signed = set(documents_of(obj, kinds=kinds).filter(state=Document.State.SIGNED).values_list("kind", flat=True))
    return kinds <= signed


def kinds_all_issued(obj, kinds: Iterable[str]) -> tuple[bool, bool]:
    """Return whether every one of these kinds has an issued (or signed) document about the object and none a
    draft, and whether any party has signed one of them.

    One query: a draft of a kind is a document a worker has still to render, whatever its other versions.
    """
    kinds = set(kinds)
    rows = list(documents_of(obj, kinds=kinds).filter(state__in=LIVE_STATES).values_list("kind", "state")
                .annotate(signatures_count=Count("signatures")).order_by())
    if any(state == Document.State.DRAFT for _kind, state, _signed in rows):
        return False, False
    return kinds <= {kind for kind, _state, _signed in rows}, any(signed for _kind, _state, signed in rows)


def parties_signed_all(obj, kinds: Iterable[str]) -> list[tuple[Organization, User, frozenset[str]]]:
    """Return each organization that signed every current document of these kinds it must sign, with its last
    signer and the roles it signs them as (the signing sets' `on_party_done` arguments)."""
    kinds = list(kinds)
    current = documents_of(obj, kinds=kinds).filter(state__in=LIVE_STATES)
    signatures = (Signature.objects.filter(document__in=current)
                  .select_related("organization", "signer").order_by("signed_at", "pk"))
    last = {signature.organization_id: signature for signature in signatures}
    roles: dict[int, set[str]] = {}
    for organization_id, role in DocumentParty.objects.filter(document__in=current, organization_id__in=last,
                                                              must_sign=True).values_list("organization_id", "role"):
        roles.setdefault(organization_id, set()).add(role)
    return [(signature.organization, signature.signer, frozenset(roles.get(signature.organization_id, ())))
            for signature in last.values() if party_signed_all(obj, signature.organization, kinds)]


def documents_to_sign(obj, organization: Organization) -> list[Document]:
    """Return the object's current documents the organization must sign and has not signed yet."""
    return [document for document in documents_current(obj).filter(
                document_parties__organization=organization, document_parties__must_sign=True)
            if not document.signatures.filter(organization=organization).exists()]


@dataclass(frozen=True)
class DocumentsProgress:
    """What the documents workers still owe on an object: drafts to render, signed documents to seal."""

    preparing: frozenset[int] = frozenset()
    sealing: frozenset[int] = frozenset()

    @property
    def busy(self) -> bool:
        return bool(self.preparing or self.sealing)


def documents_progress(obj) -> DocumentsProgress:
    """Return the object's documents a worker is rendering (drafts) or sealing (issued, signed by every party).

    One query: the case pages show "Sealing…" and refresh themselves while either set is not empty.
    """
    rows = (documents_of(obj).filter(state__in=[Document.State.DRAFT, Document.State.ISSUED])
            .annotate(must=Count("document_parties", filter=Q(document_parties__must_sign=True), distinct=True),
                      signed=Count("signatures", distinct=True))
            .values_list("pk", "state", "must", "signed"))
    preparing, sealing = set(), set()
    for pk, state, must, signed in rows:
        if state == Document.State.DRAFT:
            preparing.add(pk)
        elif must and signed >= must:
            sealing.add(pk)
    return DocumentsProgress(preparing=frozenset(preparing), sealing=frozenset(sealing))
