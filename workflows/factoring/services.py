"""Writes for factoring financings (contracts for now; the full flow builds on these)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from documents.models import Document
from documents.services import document_generate
from scf.core.exceptions import ActionNotPermitted, IllegalTransition
from scf.parties.models import User

from .models import FactoringFinancing

CONTRACT_KINDS = ("factoring_agreement", "notice_of_assignment")


def financing_lock(*, pk: int) -> FactoringFinancing:
    return FactoringFinancing.objects.select_for_update().get(pk=pk)


@transaction.atomic
def financing_generate_contracts(*, financing: FactoringFinancing, languages: list[str],
                                 acting_user: User) -> list[Document]:
    """Generate the agreement and the notice of assignment in each language asked for."""
    if not (acting_user.is_superuser or acting_user.is_lender_staff):
        raise ActionNotPermitted(_("Only lender staff generate contracts."))
    financing = financing_lock(pk=financing.pk)
    if financing.state not in (FactoringFinancing.State.APPROVED, FactoringFinancing.State.CONTRACT_ISSUED):
        raise IllegalTransition(_("Contracts are generated once the financing is approved; it is %(state)s.")
                                % {"state": financing.get_state_display()})
    documents = [document_generate(obj=financing, kind_code=kind, language=language, acting_user=acting_user)
                 for kind in CONTRACT_KINDS for language in languages]
    if can_proceed(financing.issue_contract):
        financing.issue_contract(by=acting_user)
        financing.save()
    return documents


def financing_documents_signed(financing: FactoringFinancing, document: Document) -> None:
    """Called when a contract is fully signed: the financing is signed once every kind is."""
    financing = financing_lock(pk=financing.pk)
    signed_kinds = set(Document.objects.filter(
        content_type=document.content_type, object_id=financing.pk, state=Document.State.SIGNED,
    ).values_list("kind", flat=True))
    if set(CONTRACT_KINDS) <= signed_kinds and can_proceed(financing.mark_signed):
        financing.mark_signed(note=_("agreement and notice of assignment signed by every party"))
        financing.save()
