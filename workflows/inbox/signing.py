"""Signing a set of documents as steps of a case's flow.

A product declares which of its document kinds must all be signed, which flow step each
signing party completes, and the transition its business object fires once every kind is
signed. The document services call back after each signature and after sealing.

    signing_steps(model=FactoringFinancing, kinds=SIGNED_KINDS, transition="mark_signed",
                  steps=lambda financing: {financing.supplier_id: "sign_supplier", ...},
                  signers={"factoring_agreement": ("supplier", "lender"), ...}, sealed_step="sealing")

Rendering and sealing run in a documents worker after the signing click commits, so the click
waits for neither. The flow waits for them in a `flow.Handle()` step (`sealed_step`) between the
signing steps' join and the next human step: the worker that seals the last document fires the
transition and completes it, so the next task appears only once the sealed documents exist and
nobody can click it early.

    signed = flow.Join().Next(this.sealing)
    sealing = flow.Handle().Next(this.disburse)
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models
from django_fsm import can_proceed

from documents import registry as document_registry

from .services import complete_step


def signing_steps(*, model: type[models.Model], kinds: tuple[str, ...], transition: str,
                  steps: Callable[[models.Model], dict[int, str]], note: str = "",
                  signers: dict[str, tuple[str, ...]] | None = None, sealed_step: str | None = None) -> None:
    """Register the signing set of `model`: a party that signed all it must completes its step; all signed
    and sealed fires `transition` and completes `sealed_step`."""

    def on_party_done(obj, organization, signer) -> None:
        step = steps(obj).get(organization.pk)
        if step is not None:
            complete_step(obj, step, signer)

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
        on_complete=on_complete))
