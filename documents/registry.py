"""The registry of document kinds: templates, signing parties and a context builder for each.

A product registers its kinds next to its models (e.g. workflows/factoring/documents.py):

    registry.register(DocumentKind(
        code="factoring_agreement", prefix="FAC", title=_("Factoring Agreement"),
        model=FactoringFinancing, build_context=factoring_agreement_context,
        parties=factoring_agreement_parties, required=["supplier.legal_name", "amounts.advance"],
    ))

A missing party or amount in the built context is an error naming the field, never a blank.
"""

from __future__ import annotations

from collections.abc import Callable
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
    on_signed: Callable[[Any, Any], None] | None = None
    # Called after each party's signature, with (business object, document, organization, signer).
    on_signature: Callable[[Any, Any, Any, Any], None] | None = None
    sample: Callable[[], Any] | None = None  # a business object from the demo data, for demo_documents
    # Relations of the business object its context and parties read, loaded with it in one query.
    related: tuple[str, ...] = ()

    def template_name(self, language: str) -> str:
        return f"documents/{self.code}.{language}.html"

    def business_object(self, object_id: int):
        return self.model._default_manager.select_related(*self.related).get(pk=object_id)


_kinds: dict[str, DocumentKind] = {}


def register(kind: DocumentKind) -> DocumentKind:
    if kind.code in _kinds:
        raise RuntimeError(f"Document kind {kind.code} is already registered.")
    _kinds[kind.code] = kind
    return kind


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
