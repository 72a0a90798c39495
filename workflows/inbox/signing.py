"""Signing a set of documents as steps of a case's flow.

A product declares which of its document kinds must all be signed, which flow step each
signing party completes, and the transition its business object fires once every kind is
signed. The document services call back after issuing, after each signature and after sealing.

    signing_steps(model=FactoringFinancing, kinds=SIGNED_KINDS, transition="mark_signed",
                  steps={"supplier": "sign_supplier", "debtor": "sign_debtor", "lender": "sign_lender"},
                  signers={"factoring_agreement": ("supplier", "lender"), ...},
                  issued_step="rendering", sealed_step="sealing")

The documents are rendered and issued by a worker after the step that generates them commits.
The flow waits for them the same way, in a `Handle()` step (`issued_step`) between the
generation and the signing split: the worker that issues the last draft completes it, so the
signing tasks appear only once every document to sign exists as an issued PDF.

    contracts = Function(this.issue_contracts).Next(this.rendering)
    rendering = Handle().Next(this.signing)

Rendering and sealing run in a documents worker after the signing click commits, so the click
waits for neither. The flow waits for them in a `Handle()` step (`sealed_step`) between the
signing steps' join and the next human step: the worker that seals the last document fires the
transition and completes it, so the next task appears only once the sealed documents exist and
nobody can click it early.

    signed = Join().Next(this.sealing)
    sealing = Handle().Next(this.disburse)
"""

from __future__ import annotations

from django.db import models
from django_fsm import can_proceed

from documents import registry as document_registry

from .services import complete_step


def signing_steps(*, model: type[models.Model], kinds: tuple[str, ...], transition: str,
                  steps: dict[str, str], note: str = "",
                  signers: dict[str, tuple[str, ...]] | None = None, issued_step: str | None = None,
                  sealed_step: str | None = None) -> None:
    """Register the signing set of `model`: all issued completes `issued_step`; a party that signed all it must
    completes the step of each role it signs as (`steps`: role → step); all signed and sealed fires `transition`
    and completes `sealed_step`."""

    def on_issued(obj) -> None:
        complete_step(obj, issued_step, None)

    def on_party_done(obj, organization, signer, roles, *, by_key: bool) -> None:
        party_steps_complete(obj, signer, roles, steps, by_key=by_key)

    def on_complete(obj) -> None:
        # document_finalize hands over the object as it read it under the object's row lock.
        locked = obj
        fire = getattr(locked, transition)
        if can_proceed(fire):
            fire(note=str(note))
            locked.save()
        if sealed_step is not None:
            complete_step(locked, sealed_step, None)

    document_registry.register_signing_set(document_registry.SigningSet(
        model=model, kinds=tuple(kinds), signers=dict(signers or {}), on_party_done=on_party_done,
        on_complete=on_complete, on_issued=on_issued if issued_step is not None else None))


def party_steps_complete(obj, signer, roles, steps: dict[str, str], *, by_key: bool) -> None:
    """Complete the signing step of each role (`steps`: role → step) a party that signed all it must signs as;
    `obj` may be the business object by its key alone (`by_key`, see `complete_step`)."""
    for role in sorted(roles):
        step = steps.get(role)
        if step is not None:
            complete_step(obj, step, signer, by_key=by_key)
