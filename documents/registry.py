"""The registry of document kinds: templates, signing parties and a context builder for each.

A product declares its kinds next to its models (e.g. workflows/factoring/documents.py) and
registers them once, from its `AppConfig.ready`:

    FACTORING_AGREEMENT = DocumentKind(
        code="factoring_agreement", prefix="FAC", title=_("Factoring Agreement"),
        model=FactoringFinancing, build_context=factoring_agreement_context,
        parties=factoring_agreement_parties, required=["supplier.legal_name", "amounts.advance"],
    )
    registry.register(FACTORING_AGREEMENT, ...)

A missing party or amount in the built context is an error naming the field, never a blank.

A `SigningSet` names the kinds of a business object that must all be signed before it moves
on, and what happens when every kind is issued for signing, when one party signed all it must and
when every kind is signed; the document services call it after issuing, after each signature and
after sealing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from scf.core.exceptions import DomainError


class UnknownDocumentKind(DomainError):
    code = "unknown_document_kind"
    http_status = 400
    default_message = _("There is no such document kind.")


class MissingContext(DomainError):
    code = "document_context_incomplete"
    http_status = 409
    default_message = _("The document cannot be produced: a required value is missing.")

    def __init__(self, kind: str, field_path: str) -> None:
        self.field_path = field_path
        super().__init__(
            _("Document “%(kind)s” cannot be produced: “%(field)s” is missing.") % {"kind": kind, "field": field_path}
        )


@dataclass(frozen=True)
class SigningParty:
    organization: Any
    role: str
    must_sign: bool = True


@dataclass(frozen=True)
class DocumentKind:
    code: str
    prefix: str
    title: Any
    model: type[models.Model]
    build_context: Callable[[Any], dict]
    parties: Callable[[Any], list[SigningParty]]
    required: list[str] = field(default_factory=list)
    languages: tuple[str, ...] = ("en", "zh-hans")
    sample: Callable[[], Any] | None = None  # a business object from the demo data, for demo_documents
    # Relations of the business object its context and parties read, loaded with it in one query.
    related: tuple[str, ...] = ()
    # A context manager over the business object within which the contexts of its documents share what they read
    # beyond it (a financing's receivables, say): the drafts of one object issued together read those once.
    shared_reads: Callable[[Any], AbstractContextManager] | None = None

    def template_name(self, language: str) -> str:
        return f"documents/{self.code}.{language}.html"

    def business_object(self, object_id: int):
        return self.model._default_manager.select_related(*self.related).get(pk=object_id)



@dataclass(frozen=True)
class SigningSet:
    """The kinds of a business object's documents that must all be signed before it moves on."""

    model: type[models.Model]
    kinds: tuple[str, ...]
    # Kind → the roles of the parties that sign it (e.g. the agreement: supplier and lender). Every
    # kind of the set names its signers, and a kind's `parties` mark exactly those must_sign: a
    # party never gets a document, or a signature block, it is not to sign.
    signers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # (business object, organization, signer, roles): the organization has signed every document of the set it must,
    # as the parties of these roles (the `SigningParty` roles of its rows). From a signing click the object comes by
    # its key alone (`by_key` True: an unsaved instance with only its pk set, for `complete_step(..., by_key=True)`).
    on_party_done: Callable[..., None] | None = None
    # (business object): every kind of the set has a signed document.
    on_complete: Callable[[Any], None] | None = None
    # (business object): every kind of the set has an issued PDF and no draft is left to render, so
    # every party can sign all it must (the worker that issues the last draft calls it).
    on_issued: Callable[[Any], None] | None = None


_kinds: dict[str, DocumentKind] = {}
_signing_sets: dict[type[models.Model], SigningSet] = {}


def register(*kinds: DocumentKind) -> None:
    """Register document kinds (from the product's `AppConfig.ready`); a code is registered once."""
    for kind in kinds:
        if kind.code in _kinds:
            raise RuntimeError(f"Document kind {kind.code} is already registered.")
        _kinds[kind.code] = kind


def register_signing_set(signing_set: SigningSet) -> None:
    """Register the signing set of a model (one per model)."""
    if signing_set.model in _signing_sets:
        raise RuntimeError(f"{signing_set.model.__name__} already has a signing set.")
    unknown = [code for code in signing_set.kinds if code not in _kinds]
    if unknown:
        raise RuntimeError(f"Unknown document kinds in the signing set: {', '.join(unknown)}.")
    unnamed = [code for code in signing_set.kinds if not signing_set.signers.get(code)]
    if signing_set.signers and unnamed:
        raise RuntimeError(f"The signing set names no signers for: {', '.join(unnamed)}.")
    _signing_sets[signing_set.model] = signing_set


def signing_roles(kind_code: str) -> tuple[str, ...] | None:
    """Return the roles that sign documents of a kind, as its signing set names them (None: no set says)."""
    for signing_set in _signing_sets.values():
        if kind_code in signing_set.signers:
            return signing_set.signers[kind_code]
    return None


def signing_set_for(kind: DocumentKind) -> SigningSet | None:
    """Return the signing set a kind's documents belong to, if any."""
    signing_set = _signing_sets.get(kind.model)
    return signing_set if signing_set is not None and kind.code in signing_set.kinds else None


def get(code: str) -> DocumentKind:
    try:
        return _kinds[code]
    except KeyError:
        raise UnknownDocumentKind(_("There is no document kind “%(kind)s”.") % {"kind": code}) from None


def all_kinds() -> list[DocumentKind]:
    return list(_kinds.values())


def _lookup(context: dict, path: str) -> Any:
    value: Any = context
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        else:
            value = getattr(value, part, None)
        if value is None:
            return None
    return value


def check_context(kind: DocumentKind, context: dict) -> None:
    """Raise MissingContext naming the first required value that is absent or blank."""
    for path in kind.required:
        value = _lookup(context, path)
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            raise MissingContext(kind.code, path)
