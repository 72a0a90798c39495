"""Writes for factoring financings (contracts for now; the full flow builds on these)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from documents.models import Document
from documents.services import document_generate
from scf.core.exceptions import ActionNotPermitted, IllegalTransition
from scf.parties.models import Membership, Organization, User

from .exceptions import DuplicateReceivable
from .models import FactoringFinancing, Receivable, normalize_invoice_number

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


def _require_operator(user: User, organization: Organization) -> None:
    if not Membership.objects.filter(user=user, organization=organization,
                                     role__in=[Membership.Role.OPERATOR, Membership.Role.ADMIN]).exists():
        raise ActionNotPermitted(_("Only an operator of %(org)s can register its receivables.")
                                 % {"org": organization})


def receivable_create(*, supplier: Organization, debtor: Organization, invoice_number: str,
                      issue_date: datetime.date, due_date: datetime.date, face_amount: Decimal,
                      acting_user: User, currency: str = "CNY") -> Receivable:
    """Register a supplier's invoice on a core enterprise; the same one is never accepted twice.

    The database's unique constraint on (debtor, supplier, normalised invoice number) is what
    holds under concurrency; a refused insert answers DuplicateReceivable (409).
    """
    _require_operator(acting_user, supplier)
    errors: dict[str, str] = {}
    if not debtor.is_core:
        errors["debtor"] = _("%(org)s is not registered as a core enterprise.") % {"org": debtor}
    if debtor.pk == supplier.pk:
        errors["debtor"] = _("A supplier cannot be its own debtor.")
    if not normalize_invoice_number(invoice_number):
        errors["invoice_number"] = _("Enter the invoice number.")
    if due_date < issue_date:
        errors["due_date"] = _("The due date cannot be before the issue date.")
    if face_amount is None or face_amount <= 0:
        errors["face_amount"] = _("The face amount must be greater than zero.")
    if errors:
        raise ValidationError(errors)
    receivable = Receivable(supplier=supplier, debtor=debtor, invoice_number=invoice_number.strip(),
                            issue_date=issue_date, due_date=due_date, face_amount=face_amount, currency=currency,
                            created_by=acting_user)
    receivable.full_clean(exclude=["state", "invoice_key", "created_by"], validate_unique=False,
                          validate_constraints=False)
    try:
        with transaction.atomic():
            receivable.save()
    except IntegrityError:
        if Receivable.objects.filter(debtor=debtor, supplier=supplier,
                                     invoice_key=receivable.invoice_key).exists():
            raise DuplicateReceivable(
                _("Invoice %(number)s of %(supplier)s on %(debtor)s is already registered.")
                % {"number": invoice_number, "supplier": supplier, "debtor": debtor}
            ) from None
        raise
    from scf.audit.services import audit_record

    audit_record(action="factoring.receivable.create", target=receivable, actor=acting_user,
                 note=f"{receivable.invoice_key} {currency} {face_amount}")
    return receivable
