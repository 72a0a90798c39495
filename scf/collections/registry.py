"""Receipt handlers: how money received is applied to the cases of each product.

Collections records receipts, keeps what is unmatched or more than owed in suspense and returns
it; what a payment does to a case (the order its debts are paid in, what it closes, the flow
step it completes) belongs to the product that owns the case. Each product registers one
handler per case model from its `AppConfig.ready`, e.g. factoring:

    registry.register(ReceiptHandler(
        model=FactoringFinancing, apply=financing_receipt_apply, apply_from_suspense=...,
        find=..., payers=..., payer_labels={"debtor": _("paid by the debtor"), ...}, url=...))

A case is any model with a `reference`, a `lender` (whose collection account receives the
money) and a `currency`. Collections never imports a product: it finds a case's handler here.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import ProtectedError
from django.db.models.signals import pre_delete

from scf.ledger.models import JournalEntry
from scf.ledger.services import AccountRef
from scf.parties.models import Organization, User

from .models import Receipt


@dataclass(frozen=True)
class Applied:
    """What a product made of money applied to one of its cases, posted as one journal entry."""

    kind: str  # a Receipt.Kind value
    payer: Organization
    # Receipt allocation column (models.ALLOCATION_FIELDS) → amount; a column left out took nothing.
    allocation: Mapping[str, Decimal]
    entry: JournalEntry


class ApplyMoney(Protocol):
    def __call__(self, case: Any, *, amount: Decimal, value_date: datetime.date, bank_reference: str,
                 payer: Organization | None, debit: AccountRef, acting_user: User | None) -> Applied:
        """Apply `amount` to the locked `case` and post it, debiting `debit`; refuse what the case cannot take."""


class ApplyFromSuspense(Protocol):
    def __call__(self, *, receipt: Receipt, case: Any, acting_user: User,
                 payer: Organization | None = None) -> Receipt:
        """The product's service applying a receipt waiting in suspense to one of its cases."""


@dataclass(frozen=True)
class ReceiptHandler:
    """One product's way of taking money for its cases of one model."""

    model: type[models.Model]
    # Split and post money received for a case (the caller holds the case's lock).
    apply: ApplyMoney
    # The product's whole service for money found in suspense: it locks the case, checks the user,
    # applies through collections and does what follows a payment (a closed file, a flow step).
    apply_from_suspense: ApplyFromSuspense
    # The case with this reference that the user may see, or None.
    find: Callable[[str, User], models.Model | None]
    # Who may have paid a case, by key ("debtor", "supplier", ...).
    payers: Callable[[models.Model], Mapping[str, Organization]]
    # How the Suspense page offers each payer key, before a case is chosen.
    payer_labels: Mapping[str, str]
    # The address of a case's page, from its id.
    url: Callable[[int], str]


_handlers: dict[type[models.Model], ReceiptHandler] = {}


def register(handler: ReceiptHandler) -> ReceiptHandler:
    """Register the handler of a case model (once, from the product's AppConfig.ready).

    A case that has taken money can no longer be deleted: its receipts are the record of that
    money, and a generic relation would otherwise delete them with it.
    """
    if handler.model in _handlers:
        raise RuntimeError(f"{handler.model.__name__} already has a receipt handler.")
    _handlers[handler.model] = handler
    pre_delete.connect(_protect_receipts, sender=handler.model, dispatch_uid=f"collections.protect.{handler.model}")
    return handler


def _protect_receipts(sender, instance, **kwargs) -> None:
    receipts = Receipt.objects.for_case(instance)
    if receipts.exists():
        raise ProtectedError(f"{instance} has receipts; a case that took money is never deleted.", set(receipts))


def handlers() -> list[ReceiptHandler]:
    """Return every registered handler, in the order the products registered them."""
    return list(_handlers.values())


def handler_for(case: models.Model | type[models.Model]) -> ReceiptHandler:
    """Return the handler of a case (or case model); LookupError when no product takes money for it."""
    model = case if isinstance(case, type) else type(case)
    model = model._meta.concrete_model
    try:
        return _handlers[model]
    except KeyError:
        raise LookupError(f"{model.__name__} has no receipt handler.") from None


def handler_for_type(content_type_id: int) -> ReceiptHandler | None:
    """Return the handler of the case model with this content type id, or None."""
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    return _handlers.get(model) if model is not None else None


def case_find(reference: str, user: User) -> tuple[ReceiptHandler, models.Model] | None:
    """Return the handler and the case, of any product, with this reference that the user may see."""
    for handler in _handlers.values():
        case = handler.find(reference, user)
        if case is not None:
            return handler, case
    return None
