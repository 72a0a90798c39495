"""Writes for receivables and factoring financings, from the request to the signed contracts.

Money after signing (disbursement, receipts, penalty, settlement) is in `settlement.py`. The
flow (`flows.py`) routes the people; each step calls one of these services, which fires the
FSM transition and then completes the step's task.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from documents.languages import Language
from documents.models import Document
from documents.selectors import LIVE_STATES, documents_of, signed_by_anyone
from documents.services import document_generate, documents_generate, documents_void
from scf.audit.services import audit_record, audited
from scf.core.exceptions import DomainError, IllegalTransition
from scf.core.races import insert_unless_taken
from scf.core.sequences import sequence_next
from scf.facilities.exceptions import FacilityLimitExceeded
from scf.facilities.models import CreditFacility, Product
from scf.facilities.services import facility_lock, facility_release, facility_reserve
from scf.money import MAX_AMOUNT_IN_WORDS, BusinessDayConvention, adjust
from scf.parties.accounts import settlement_account_require
from scf.parties.models import Organization, User
from scf.parties.permissions import require
from scf.parties.services import kyc_require_verified
from workflows.approval.models import ApprovalCase, ApprovalDecision
from workflows.approval.services import approval_case_submit, approval_case_withdraw, approval_decide
from workflows.inbox.attachments import attachment_add, document_request_create, document_requests_open
from workflows.inbox.models import CaseAttachment, DocumentRequest
from workflows.inbox.services import case_start, complete_step, process_cancel

from . import permissions
from .calculations import Quote, QuoteError, factoring_quote
from .documents import shared_context_reads
from .exceptions import (
    BulkApprovalRefused,
    BulkConfirmationRefused,
    ContractsAlreadySigned,
    ContractsNotOpen,
    DuplicateReceivable,
)
from .models import FactoringFinancing, Receivable, normalize_invoice_number

CONTRACT_KINDS = ("factoring_agreement", "notice_of_assignment")
# The agreement is in the supplier's chosen language, or both as parallel text (the Chinese governs).
AGREEMENT_LANGUAGES = tuple(Language.values)
# What must be signed before disbursement: the contracts and the debtor's confirmation letter.
SIGNED_KINDS = (*CONTRACT_KINDS, "debtor_confirmation_letter")


def financing_lock(*, pk: int) -> FactoringFinancing:
    # Lock the financing's row only, not the facility and parties joined for reading.
    return FactoringFinancing.objects.select_for_update(of=("self",)).select_related(
        "facility", "supplier", "debtor", "lender").get(pk=pk)


def agreement_language(financing: FactoringFinancing) -> str:
    """Return the language of the financing's current agreement, else the supplier's document language."""
    agreement = (documents_of(financing, kinds=["factoring_agreement"]).filter(state__in=LIVE_STATES)
                 .order_by("-version").first())
    return agreement.language if agreement is not None else financing.supplier.preferred_language


def contracts_signed_by_anyone(financing: FactoringFinancing) -> bool:
    """Whether a party has signed one of the financing's current contracts."""
    return signed_by_anyone(financing, SIGNED_KINDS)


@audited
def financing_generate_contracts(*, financing: FactoringFinancing, language: str,
                                 acting_user: User) -> list[Document]:
    """Generate the one factoring agreement of the financing in the language the supplier chose.

    `language` is English, Chinese or both as parallel text ("bilingual"). Another language makes
    the next version of the same agreement, with the same number, which supersedes the other: a
    financing never has two agreements. The notice of assignment and the confirmation letter are
    the debtor's, in its language; they are generated only when missing.
    """
    financing = financing_lock(pk=financing.pk)
    require(permissions.can_generate_contracts(acting_user, financing),
            _("Only the supplier %(supplier)s or the staff of %(lender)s generate the contracts.")
            % {"supplier": financing.supplier, "lender": financing.lender})
    if language not in AGREEMENT_LANGUAGES:
        raise ValidationError({"language": _("Choose English, Chinese, or both as parallel text.")})
    if financing.state not in (FactoringFinancing.State.APPROVED, FactoringFinancing.State.CONTRACT_ISSUED):
        raise ContractsNotOpen(_("Contracts are generated once the financing is approved; it is %(state)s.")
                                % {"state": financing.get_state_display()})
    if contracts_signed_by_anyone(financing):
        # A new version would silently set aside a party's signature, and its signing task is done.
        raise ContractsAlreadySigned(_("A party has already signed the contracts of %(ref)s; they cannot be generated "
                                  "again. Withdraw the request and apply again to change them.")
                                % {"ref": financing.reference})
    current = documents_of(financing, kinds=SIGNED_KINDS).filter(state__in=LIVE_STATES)
    documents = []
    with shared_context_reads(financing):
        agreement = current.filter(kind="factoring_agreement").order_by("-version").first()
        if agreement is None or agreement.language != language:
            documents.append(document_generate(obj=financing, kind_code="factoring_agreement", language=language,
                                               acting_user=acting_user))
        for kind in SIGNED_KINDS[1:]:
            if not current.filter(kind=kind).exists():
                documents.append(document_generate(obj=financing, kind_code=kind,
                                                   language=financing.debtor.preferred_language,
                                                   acting_user=acting_user))
        changed = bool(documents) and _keep_collection_account(financing)
    if can_proceed(financing.issue_contract):
        financing.issue_contract(by=acting_user)
        financing.save()
    elif changed:
        financing.save(update_fields=["collection_account"])
    return documents


def _keep_collection_account(financing: FactoringFinancing) -> bool:
    """Keep on the financing the lender's account the contracts just generated name (within `shared_context_reads`):
    later documents and reminders name the same one. Return whether it changed (the caller stores it)."""
    account = financing._context_reads[1]
    changed = financing.collection_account_id != (account.pk if account is not None else None)
    financing.collection_account = account
    return changed


def operator_only(organization: Organization, action: str) -> str:
    return _("Only an operator of %(org)s can %(action)s.") % {"org": organization, "action": action}


@audited
def receivable_create(*, supplier: Organization, debtor: Organization, invoice_number: str,
                      issue_date: datetime.date, due_date: datetime.date, face_amount: Decimal,
                      acting_user: User, currency: str = "CNY") -> Receivable:
    """Register a supplier's invoice on a core enterprise; the same one is never accepted twice.

    The receivable and its audit record commit together (one unit of work).

    The database's unique constraint on (debtor, supplier, normalised invoice number) is what
    holds under concurrency; a refused insert answers DuplicateReceivable (409).
    """
    require(permissions.can_register_receivables(acting_user, supplier),
            operator_only(supplier, _("register its receivables")))
    errors = {} if debtor.is_core else {
        "debtor": _("%(org)s is not registered as a core enterprise.") % {"org": debtor}}
    receivable = Receivable(supplier=supplier, debtor=debtor, invoice_number=(invoice_number or "").strip(),
                            issue_date=issue_date, due_date=due_date, face_amount=face_amount, currency=currency,
                            created_by=acting_user)
    return _insert_receivable(receivable, acting_user, errors)


def _insert_receivable(receivable: Receivable, acting_user: User, errors: dict[str, str]) -> Receivable:
    """Validate and insert; the database's unique key turns a concurrent duplicate into a 409."""
    if receivable.supplier_id == receivable.debtor_id:
        errors["debtor"] = _("A supplier cannot be its own debtor.")
    if not normalize_invoice_number(receivable.invoice_number):
        errors["invoice_number"] = _("Enter the invoice number.")
    if receivable.due_date < receivable.issue_date:
        errors["due_date"] = _("The due date cannot be before the issue date.")
    if receivable.face_amount is None or receivable.face_amount <= 0:
        errors["face_amount"] = _("The face amount must be greater than zero.")
    elif receivable.supplier_id and receivable.debtor_id:
        facility = registration_facility(supplier=receivable.supplier, debtor=receivable.debtor,
                                         reverse=receivable.reverse, currency=receivable.currency)
        if message := face_amount_refusal(facility=facility, face_amount=receivable.face_amount):
            errors["face_amount"] = message
    for field, message in invoice_date_refusals(issue_date=receivable.issue_date,
                                                due_date=receivable.due_date).items():
        errors.setdefault(field, message)
    if errors:
        raise ValidationError(errors)
    # A supplier or debtor already read from the database needs no second read to prove its key exists.
    known = [name for name in ("supplier", "debtor")
             if (party := getattr(receivable, name)) is not None and not party._state.adding]
    receivable.full_clean(exclude=["state", "invoice_key", "created_by", *known], validate_unique=False,
                          validate_constraints=False)
    supplier, debtor = receivable.supplier, receivable.debtor
    receivable.invoice_key = normalize_invoice_number(receivable.invoice_number)
    if not insert_unless_taken(receivable):
        if Receivable.objects.filter(debtor=debtor, supplier=supplier, invoice_key=receivable.invoice_key).exists():
            raise DuplicateReceivable(
                _("Invoice %(number)s of %(supplier)s on %(debtor)s is already registered.")
                % {"number": receivable.invoice_number, "supplier": supplier, "debtor": debtor})
        raise IntegrityError(f"Receivable {receivable.invoice_key} was refused by the database.")
    audit_record(action="factoring.receivable.create", target=receivable, actor=acting_user,
                 note=f"{receivable.invoice_key} {receivable.currency} {receivable.face_amount}")
    return receivable


def invoice_date_refusals(*, issue_date: datetime.date | None, due_date: datetime.date | None,
                          today: datetime.date | None = None) -> dict[str, str]:
    """Return what is wrong with an invoice's dates at registration, by field.

    An invoice is not issued in the future, and a lender finances receivables not yet due:
    one due today or earlier is refused.
    """
    today = today or timezone.localdate()
    errors = {}
    if issue_date is not None and issue_date > today:
        errors["issue_date"] = _("The issue date %(date)s is in the future.") % {"date": issue_date.isoformat()}
    if due_date is not None and due_date <= today:
        errors["due_date"] = _("The invoice is due on %(date)s: only invoices not yet due can be registered.") % {
            "date": due_date.isoformat()}
    return errors


def registration_facility(*, supplier: Organization, debtor: Organization, reverse: bool,
                          currency: str) -> CreditFacility | None:
    """Return the facility whose limit bounds an invoice's face amount: the largest that could finance it.

    Only a facility in the invoice's currency can finance it (no exchange rate is applied).
    """
    return _facilities(supplier=supplier, debtor=debtor, reverse=reverse).filter(currency=currency).exclude(
        state=CreditFacility.State.CLOSED).order_by("-limit_amount", "pk").first()


def face_amount_refusal(*, facility: CreditFacility | None, face_amount: Decimal) -> str:
    """Return why a face amount is too large to register, or "" when it is not.

    No invoice above the limit of the facility that would finance it can ever be financed;
    with no facility, the bound is the largest amount written in words on a contract.
    """
    if facility is not None and face_amount > facility.limit_amount:
        return _("The face amount %(amount)s is above the limit of %(currency)s %(limit)s of facility %(ref)s.") % {
            "amount": f"{face_amount:,}", "currency": facility.currency, "limit": f"{facility.limit_amount:,}",
            "ref": facility.reference}
    if facility is None and face_amount > MAX_AMOUNT_IN_WORDS:
        return _("The face amount %(amount)s is above the largest amount accepted, %(max)s.") % {
            "amount": f"{face_amount:,}", "max": f"{MAX_AMOUNT_IN_WORDS:,}"}
    return ""


# --- the request ------------------------------------------------------------------------------

def _facilities(*, supplier: Organization, debtor: Organization, reverse: bool):
    if reverse:
        return CreditFacility.objects.filter(obligor=debtor, product=Product.REVERSE_FACTORING)
    return CreditFacility.objects.filter(obligor=supplier, product=Product.FACTORING).filter(
        Q(anchor__isnull=True) | Q(anchor=debtor))


def facility_for(*, supplier: Organization, debtor: Organization, reverse: bool) -> CreditFacility:
    """Return the facility a financing draws on: the supplier's, or the core enterprise's in reverse factoring."""
    facilities = _facilities(supplier=supplier, debtor=debtor, reverse=reverse)
    # The lender comes along: the financing is in its books.
    facility = (facilities.filter(state=CreditFacility.State.ACTIVE).select_related("lender")
                .order_by("-anchor_id", "valid_to", "pk").first())
    if facility is None:
        owner = debtor if reverse else supplier
        raise ValidationError({"receivables": _("%(org)s has no active %(product)s facility to draw on.") % {
            "org": owner, "product": Product.REVERSE_FACTORING.label if reverse else Product.FACTORING.label}})
    return facility


def _quote_amount(receivables) -> Decimal:
    return sum((r.confirmed_amount if r.confirmed_amount is not None else r.face_amount for r in receivables),
               start=Decimal("0.00"))


def value_date_roll(value_date: datetime.date) -> datetime.date:
    """Return the value date, moved to the next business day when it is not one (make-up working days count)."""
    return adjust(value_date, BusinessDayConvention.FOLLOWING)


def value_date_note(requested: datetime.date | None, quoted: datetime.date) -> str:
    """Say that the value date asked for was rolled to the next business day, or "" when it was not."""
    if requested is None or requested == quoted:
        return ""
    return _("The value date %(requested)s is not a business day: the quote is for %(quoted)s.") % {
        "requested": requested.isoformat(), "quoted": quoted.isoformat()}


def headroom_refusal(*, facility: CreditFacility, advance: Decimal, user: User) -> str:
    """Return why the advance does not fit in the facility's headroom now, or "" when it fits.

    Who may not see the facility (a supplier, in reverse factoring) learns only that it does not fit.
    """
    if facility.state != CreditFacility.State.ACTIVE or not facility.is_within_validity():
        if not permissions.can_see_headroom(user, facility):
            return _("The core enterprise's facility cannot be drawn on today.")
        return _("Facility %(ref)s is %(state)s, valid from %(start)s to %(end)s: nothing can be drawn on it "
                 "today.") % {"ref": facility.reference, "state": facility.get_state_display(),
                              "start": facility.valid_from.isoformat(), "end": facility.valid_to.isoformat()}
    available = facility.available_amount
    if advance <= available:
        return ""
    if permissions.can_see_headroom(user, facility):
        return _("The advance of %(currency)s %(advance)s exceeds the headroom of %(currency)s %(available)s "
                 "on facility %(ref)s.") % {"currency": facility.currency, "advance": f"{advance:,}",
                                            "available": f"{available:,}", "ref": facility.reference}
    return _("The advance of %(currency)s %(advance)s does not fit in the core enterprise's facility.") % {
        "currency": facility.currency, "advance": f"{advance:,}"}


def check_headroom(*, facility: CreditFacility, advance: Decimal, user: User) -> None:
    """Refuse an advance above the facility's headroom, as an error on the request's invoices."""
    if message := headroom_refusal(facility=facility, advance=advance, user=user):
        raise ValidationError({"receivables": message})


def financing_quote(*, facility: CreditFacility, receivables, value_date: datetime.date) -> Quote:
    """Quote a financing of these receivables on the facility's pricing (face until confirmed).

    A value date that is not a business day is quoted on the next business day.
    """
    foreign = [r for r in receivables if r.currency != facility.currency]
    if foreign:
        # The limit is in the facility's currency; no exchange rate is applied to draw on it.
        raise ValidationError({"receivables": _(
            "Invoice %(number)s is in %(currency)s; facility %(facility)s lends in %(facility_currency)s only.")
            % {"number": foreign[0].invoice_number, "currency": foreign[0].currency, "facility": facility.reference,
               "facility_currency": facility.currency}})
    try:
        return factoring_quote(
            confirmed_amount=_quote_amount(receivables), advance_rate=facility.advance_rate,
            annual_rate=facility.annual_rate, fee_rate=facility.fee_rate, value_date=value_date_roll(value_date),
            due_date=max(r.due_date for r in receivables), day_count=facility.day_count,
            interest_mode=facility.interest_mode, max_tenor_days=facility.max_tenor_days,
        )
    except QuoteError as error:
        field = "value_date" if error.field == "due_date" else "receivables"
        raise ValidationError({field: error.message}) from None


def check_request(supplier: Organization, receivables: list[Receivable], value_date) -> None:
    errors: dict[str, str] = {}
    if not receivables:
        errors["receivables"] = _("Choose at least one receivable to finance.")
    elif any(r.supplier_id != supplier.pk for r in receivables):
        errors["receivables"] = _("Only %(org)s's own invoices can be financed by it.") % {"org": supplier}
    elif len({r.debtor_id for r in receivables}) > 1:
        errors["receivables"] = _("One request finances invoices on one debtor; make one request per debtor.")
    elif len({r.currency for r in receivables}) > 1:
        errors["receivables"] = _("The invoices are in different currencies.")
    else:
        unavailable = [r for r in receivables if r.state not in (Receivable.State.DRAFT, Receivable.State.SUBMITTED,
                                                                 Receivable.State.CONFIRMED)]
        if unavailable:
            errors["receivables"] = _("Invoice %(number)s is %(state)s and cannot be financed.") % {
                "number": unavailable[0].invoice_number, "state": unavailable[0].get_state_display()}
        else:
            # Asked after the invoices are locked, in a statement of its own: one that waited for the lock sees the
            # request that held it (the lock's own statement would not, on PostgreSQL: it reads as it began).
            taken = Receivable.objects.filter(pk__in=[r.pk for r in receivables],
                                              financings__state__in=FINANCING_LIVE_STATES).first()
            if taken is not None:
                errors["receivables"] = _("Invoice %(number)s is already in another financing request.") % {
                    "number": taken.invoice_number}
    if value_date is None:
        errors["value_date"] = _("Enter the value date.")
    elif value_date < timezone.localdate():
        errors["value_date"] = _("The value date cannot be in the past.")
    if errors:
        raise ValidationError(errors)


def financing_kyc_require(*, supplier: Organization, facility: CreditFacility,
                          on: datetime.date | None = None) -> None:
    """Refuse unless the supplier and the facility's obligor (the core enterprise in reverse factoring) are KYC-verified."""
    kyc_require_verified(supplier, on=on)
    if facility.obligor_id != supplier.pk:
        kyc_require_verified(facility.obligor, on=on)


CLOSED_STATES = ("rejected", "cancelled", "closed")
FINANCING_LIVE_STATES = [state for state in FactoringFinancing.State.values if state not in CLOSED_STATES]
FINANCING_SEQUENCE = "factoring.financing"


@audited
def financing_request_create(*, supplier: Organization, receivables: list[Receivable], value_date: datetime.date,
                             acting_user: User) -> FactoringFinancing:
    """Ask the lender to finance the supplier's invoices on one debtor; the flow starts here.

    Invoices not yet confirmed go to the debtor for confirmation first; confirmed ones (and
    the core enterprise's approved payables in reverse factoring) go straight to credit review.
    """
    require(permissions.can_request_financing(acting_user, supplier), operator_only(supplier, _("request financing")))
    kyc_require_verified(supplier)
    # The debtor comes with the locked invoices (only their rows are locked).
    receivables = list(Receivable.objects.select_for_update(of=("self",)).select_related("debtor")
                       .filter(pk__in=[r.pk for r in receivables]).order_by("pk"))
    check_request(supplier, receivables, value_date)
    debtor = receivables[0].debtor
    reverse = all(r.reverse for r in receivables)
    facility = facility_for(supplier=supplier, debtor=debtor, reverse=reverse)
    financing_kyc_require(supplier=supplier, facility=facility)
    quote = financing_quote(facility=facility, receivables=receivables, value_date=value_date)
    check_headroom(facility=facility, advance=quote.advance, user=acting_user)
    account = settlement_account_require(supplier, receivables[0].currency)
    number = sequence_next(key=FINANCING_SEQUENCE, year=quote.value_date.year)
    financing = FactoringFinancing.objects.create(
        reference=f"FF-{quote.value_date.year}-{number:05d}", facility=facility, supplier=supplier, debtor=debtor,
        lender=facility.lender, currency=receivables[0].currency, reverse=reverse,
        with_recourse=facility.with_recourse, prepared_by=acting_user, settlement_account=account,
        **_quote_fields(quote),
    )
    financing.receivables.add(*receivables)  # a new request: nothing to compare with, as set() would
    for receivable in receivables:
        if receivable.state == Receivable.State.DRAFT:
            receivable.submit(by=acting_user, note=financing.reference)
            receivable.save()
    # The note names the invoices rather than counting them in words: it is stored once and read in either language.
    numbers = [r.invoice_number for r in receivables]
    shown = ", ".join(numbers[:3]) + (f" +{len(numbers) - 3}" if len(numbers) > 3 else "")
    audit_record(action="factoring.financing.request", target=financing, actor=acting_user,
                 note=f"{shown} · {financing.currency} {financing.confirmed_amount}")
    if all(r.state == Receivable.State.CONFIRMED for r in receivables):
        _submit_for_review(financing, acting_user)
    case_start(financing)
    return financing


def _quote_fields(quote: Quote) -> dict:
    return {
        "confirmed_amount": quote.confirmed_amount, "advance_rate": quote.advance_rate,
        "annual_rate": quote.annual_rate, "fee_rate": quote.fee_rate, "day_count": quote.day_count,
        "interest_mode": quote.interest_mode, "value_date": quote.value_date, "due_date": quote.due_date,
        "advance_amount": quote.advance, "tenor_days": quote.tenor_days, "interest_amount": quote.interest,
        "fee_amount": quote.fee, "net_disbursement": quote.net_disbursement, "all_in_rate": quote.all_in_rate,
    }


def _submit_for_review(financing: FactoringFinancing, acting_user: User, note: str = "",
                       receivables: list[Receivable] | None = None) -> None:
    """Price on the confirmed amounts, mark the invoices financed and open (or reopen) the approval case.

    `receivables` are the request's invoices when the caller has just read them under the request's lock.
    """
    if receivables is None:
        receivables = list(financing.receivables.all())
    value_date = max(financing.value_date, timezone.localdate())
    quote = financing_quote(facility=financing.facility, receivables=receivables, value_date=value_date)
    for field, value in _quote_fields(quote).items():
        setattr(financing, field, value)
    for receivable in receivables:
        if receivable.state == Receivable.State.CONFIRMED:
            receivable.finance(by=acting_user, note=financing.reference)
            receivable.save()
    # Four eyes across the whole case: in reverse factoring the applicant is the core enterprise,
    # and no member of the supplier asking for the money may approve it either.
    financing.approval_case = approval_case_submit(
        case=financing.approval_case, product=financing.facility.product, amount=financing.advance_amount,
        currency=financing.currency, applicant=financing.facility.obligor, lender=financing.lender,
        parties=[financing.supplier, financing.debtor], preparer=financing.prepared_by,
        reference=financing.reference, acting_user=acting_user)
    financing.submit(by=acting_user, note=note)
    financing.save()


def _case_columns(financing: FactoringFinancing) -> dict:
    """The inbox columns a submission for review may change: written as its step completes."""
    return {"amount": financing.confirmed_amount, "due_date": financing.due_date}


# --- the debtor's confirmation ----------------------------------------------------------------

@audited
def receivable_confirm(*, receivable: Receivable, amount: Decimal, note: str, acting_user: User) -> Receivable:
    """Record the debtor's confirmation; less than face needs a reason."""
    # The debtor comes along (its membership is checked, its name refused with); only the invoice is locked.
    receivable = Receivable.objects.select_for_update(of=("self",)).select_related("debtor").get(pk=receivable.pk)
    require(permissions.can_answer_confirmation(acting_user, receivable),
            operator_only(receivable.debtor, _("confirm invoices owed by it")))
    note = (note or "").strip()
    errors = {}
    if amount is None or amount <= 0:
        errors["amount"] = _("The confirmed amount must be greater than zero; dispute the invoice instead.")
    elif amount > receivable.face_amount:
        errors["amount"] = _("The confirmed amount cannot be more than the face amount of %(face)s.") % {
            "face": f"{receivable.face_amount:,}"}
    elif amount < receivable.face_amount and not note:
        errors["note"] = _("Say why less than the face amount is confirmed.")
    if errors:
        raise ValidationError(errors)
    if receivable.state != Receivable.State.SUBMITTED:
        raise IllegalTransition(_("Invoice %(number)s is %(state)s; only a submitted invoice can be confirmed.")
                                % {"number": receivable.invoice_number, "state": receivable.get_state_display()})
    receivable.confirm(by=acting_user, amount=amount, note=note)
    # Stored once: financed with its request when this answer completes it, else confirmed here.
    _after_debtor_answer(receivable, acting_user, answered=receivable)
    if receivable.state == Receivable.State.CONFIRMED:
        receivable.save()
    return receivable


@audited
def receivable_dispute(*, receivable: Receivable, note: str, acting_user: User) -> Receivable:
    """Record that the debtor disputes the invoice; the reason is required."""
    receivable = Receivable.objects.select_for_update().get(pk=receivable.pk)
    require(permissions.can_answer_confirmation(acting_user, receivable),
            operator_only(receivable.debtor, _("dispute invoices owed by it")))
    if not (note or "").strip():
        raise ValidationError({"note": _("Say why the invoice is disputed.")})
    if receivable.state != Receivable.State.SUBMITTED:
        raise IllegalTransition(_("Invoice %(number)s is %(state)s; only a submitted invoice can be disputed.")
                                % {"number": receivable.invoice_number, "state": receivable.get_state_display()})
    receivable.dispute(by=acting_user, note=note.strip())
    receivable.save()
    _after_debtor_answer(receivable, acting_user)
    return receivable


def _after_debtor_answer(receivable: Receivable, acting_user: User, answered: Receivable | None = None) -> None:
    """Once the debtor answered every invoice of a request, send it to review (or end it).

    `answered` is the invoice as the answer left it, not stored yet: it stands for its row among the request's.
    """
    # The requests still awaiting the debtor, locked as they are found (a request withdrawn meanwhile is no longer a
    # draft once its lock is had, and is left out), with what their review reads: the facility's obligor (the
    # approval's applicant) and who prepared the request.
    drafts = (FactoringFinancing.objects.select_for_update(of=("self",))
              .select_related("facility__obligor", "supplier", "debtor", "lender", "prepared_by")
              .filter(receivables=receivable, state=FactoringFinancing.State.DRAFT).order_by("pk"))
    for financing in drafts:
        # The request's invoices and their answers, read once.
        answers = [answered if answered is not None and answer.pk == answered.pk else answer
                   for answer in financing.receivables.all()]
        if any(answer.state == Receivable.State.SUBMITTED for answer in answers):
            continue
        disputed = [answer.pk for answer in answers if answer.state == Receivable.State.DISPUTED]
        if disputed:
            financing.receivables.remove(*disputed)
        if len(disputed) < len(answers):
            _submit_for_review(financing, acting_user,
                               receivables=[answer for answer in answers if answer.pk not in disputed])
            complete_step(financing, "confirm", acting_user, case_fields=_case_columns(financing))
        else:
            financing.cancel(by=acting_user, note=_("every invoice was disputed by the debtor"))
            financing.save()
            complete_step(financing, "confirm", acting_user)


@transaction.atomic
def financings_confirm_in_full(*, financings: list[FactoringFinancing], acting_user: User) -> list[FactoringFinancing]:
    """Confirm at face amount every invoice awaiting the debtor on each of these requests: all or none.

    Each invoice goes through `receivable_confirm`, the one-by-one answer (its permission, state
    checks and audit record), so a request whose last invoice is confirmed goes to review and its
    task is completed as on the single page. A request refused (not the user's to answer, nothing
    awaiting an answer any more) does not stop the others from being tried, so that every refusal is
    reported; then nothing is kept (`BulkConfirmationRefused` with the references and reasons).
    Less than face or a dispute is answered on the request's own page.
    """
    refusals: list[tuple[str, str]] = []
    financings = sorted(financings, key=lambda f: f.pk)
    # Read again, unlocked: the answers lock each invoice, then its request, as the single page does.
    states = dict(FactoringFinancing.objects.filter(pk__in=[f.pk for f in financings]).values_list("pk", "state"))
    for financing in financings:
        try:
            with transaction.atomic():
                if states.get(financing.pk) != FactoringFinancing.State.DRAFT:
                    raise IllegalTransition(_("%(ref)s is %(state)s; it no longer awaits the debtor's answer.") % {
                        "ref": financing.reference,
                        "state": FactoringFinancing.State(states[financing.pk]).label})
                pending = list(Receivable.objects.filter(financings=financing, state=Receivable.State.SUBMITTED)
                               .order_by("pk"))
                if not pending:
                    raise IllegalTransition(_("No invoice of %(ref)s awaits an answer.") % {"ref": financing.reference})
                for receivable in pending:
                    receivable_confirm(receivable=receivable, amount=receivable.face_amount, note="",
                                       acting_user=acting_user)
        except ValidationError as error:
            refusals.append((financing.reference, " ".join(error.messages)))
        except DomainError as error:
            refusals.append((financing.reference, error.message))
    if refusals:
        raise BulkConfirmationRefused(refusals)
    return financings


# --- credit review --------------------------------------------------------------------------

@audited
def financing_review_decide(*, financing: FactoringFinancing, approver: User, decision: str,
                            comment: str = "", requested_document: str = "") -> FactoringFinancing:
    """Record a credit decision; the last approval reserves the facility and approves the financing.

    Who may decide (four eyes, the lender's own staff, the approver group whose turn it is) is the
    approval case's rule: `approval_decide` refuses anyone else. A return for revision may name a
    document the supplier must attach (`requested_document`) before it resubmits.
    """
    requested_document = (requested_document or "").strip()
    if requested_document and decision != ApprovalDecision.Decision.RETURN:
        raise ValidationError({"requested_document": _(
            "A document can be asked for only when returning the request for revision.")}, code="invalid")
    financing = financing_lock(pk=financing.pk)
    if financing.state != FactoringFinancing.State.UNDER_REVIEW:
        raise IllegalTransition(_("Financing %(ref)s is %(state)s; it is not under review.")
                                % {"ref": financing.reference, "state": financing.get_state_display()})
    # The facility before the audit chain head, as every service that touches both: one order, no deadlock.
    facility = facility_lock(pk=financing.facility_id)
    if decision == "approve":  # every approval, not only the last; a rejection or return stays possible
        financing_kyc_require(supplier=financing.supplier, facility=facility)
    # The case is locked and read by approval_decide; its decision carries it back, status included.
    record = approval_decide(case=ApprovalCase(pk=financing.approval_case_id), approver=approver, decision=decision,
                             comment=comment)
    if decision == ApprovalDecision.Decision.APPROVE and (
            message := headroom_refusal(facility=facility, advance=financing.advance_amount, user=approver)):
        # Every approver, not only the last, approves against the headroom there is now. Raised after
        # the case's own checks (who may decide), it rolls the decision back: nothing is recorded.
        raise FacilityLimitExceeded(message, requested=financing.advance_amount, available=facility.available_amount)
    case = financing.approval_case = record.case
    if case.status == ApprovalCase.Status.APPROVED:
        facility_reserve(facility=facility, amount=financing.advance_amount,
                         reference=financing.reference, acting_user=approver, locked=True)
        financing.facility = facility
        financing.approve(by=approver, note=comment)
    elif case.status == ApprovalCase.Status.REJECTED:
        financing.reject(by=approver, note=comment)
        _free_receivables(financing, approver)
    elif case.status == ApprovalCase.Status.RETURNED:
        financing.return_for_revision(by=approver, note=comment)
        if requested_document:
            document_request_create(case=financing, organization=financing.supplier, lender=financing.lender,
                                    description=requested_document, acting_user=approver)
    if financing.state != FactoringFinancing.State.APPROVED:
        financing.save()
    complete_step(financing, "review", approver)
    if financing.state == FactoringFinancing.State.APPROVED:
        # The flow goes on to generate the contracts, which stores the financing once with them; saved here
        # only if it did not.
        financing.save()
    return financing


def _free_receivables(financing: FactoringFinancing, acting_user: User) -> None:
    for receivable in financing.receivables.select_for_update().filter(state=Receivable.State.FINANCED):
        receivable.unfinance(by=acting_user, note=financing.reference)
        receivable.save()


@audited
def financing_resubmit(*, financing: FactoringFinancing, acting_user: User,
                       value_date: datetime.date | None = None, note: str = "") -> FactoringFinancing:
    """Send a returned request back to review, repriced from the new value date when one is given.

    The supplier's note (what it changed or why) goes on the record the approvers read in the history.
    """
    financing = financing_lock(pk=financing.pk)
    require(permissions.can_revise(acting_user, financing), operator_only(financing.supplier, _("revise its requests")))
    if financing.state != FactoringFinancing.State.RETURNED:
        raise IllegalTransition(_("Only a request returned for revision can be resubmitted."))
    if missing := [request.description for request in document_requests_open(financing)]:
        raise ValidationError(_("The lender asked for a document that is not attached yet: %(documents)s. "
                                "Attach it before resubmitting, or withdraw the request.")
                              % {"documents": "; ".join(missing)}, code="document_missing")
    if value_date is not None:
        if value_date < timezone.localdate():
            raise ValidationError({"value_date": _("The value date cannot be in the past.")})
        financing.value_date = value_date
    _submit_for_review(financing, acting_user, note=(note or "").strip())
    complete_step(financing, "revise", acting_user, case_fields=_case_columns(financing))
    return financing


# Until the credit decision the supplier may add documents to its request; after it, nothing more is read.
ATTACHABLE = (FactoringFinancing.State.DRAFT, FactoringFinancing.State.UNDER_REVIEW,
              FactoringFinancing.State.RETURNED)


@audited
def financing_attach(*, financing: FactoringFinancing, uploaded_file, acting_user: User, title: str = "",
                     answers: DocumentRequest | None = None) -> CaseAttachment:
    """Attach a supplier's document (PDF, PNG or JPEG) to its request, answering a document the lender asked for.

    The file is checked by its content and size and kept with its SHA-256 (`attachment_add`).
    """
    financing = financing_lock(pk=financing.pk)
    require(permissions.can_attach(acting_user, financing),
            operator_only(financing.supplier, _("attach documents to its requests")))
    if financing.state not in ATTACHABLE:
        raise IllegalTransition(_("Documents can be attached until the credit decision; %(ref)s is %(state)s.")
                                % {"ref": financing.reference, "state": financing.get_state_display()})
    return attachment_add(case=financing, organization=financing.supplier, lender=financing.lender,
                          uploaded_file=uploaded_file, title=title, answers=answers, acting_user=acting_user)


@audited
def financing_cancel(*, financing: FactoringFinancing, acting_user: User, note: str) -> FactoringFinancing:
    """Withdraw a request before disbursement; a held reservation is released."""
    financing = financing_lock(pk=financing.pk)
    require(permissions.can_withdraw(acting_user, financing),
            operator_only(financing.supplier, _("withdraw its requests")))
    if not (note or "").strip():
        raise ValidationError({"note": _("Say why the request is withdrawn.")})
    if not can_proceed(financing.cancel):
        raise IllegalTransition(_("Financing %(ref)s is %(state)s: it can no longer be withdrawn.")
                                % {"ref": financing.reference, "state": financing.get_state_display()})
    if financing.facility.reservations.filter(reference=financing.reference).exists():
        facility_release(facility=financing.facility, reference=financing.reference, acting_user=acting_user)
    if financing.approval_case_id is not None:  # withdrawn during review: the approvers have nothing left to decide
        approval_case_withdraw(case=financing.approval_case, acting_user=acting_user, note=note)
    financing.cancel(by=acting_user, note=note)
    financing.save()
    _free_receivables(financing, acting_user)
    # Its contracts can no longer be signed.
    documents_void(obj=financing, acting_user=acting_user, note=note)
    if not complete_step(financing, "revise", acting_user):
        process_cancel(financing)
    return financing


@transaction.atomic
def financings_approve_many(*, financings: list[FactoringFinancing], approver: User) -> list[FactoringFinancing]:
    """Approve several requests under review as `approver`, each through `financing_review_decide`: all or none.

    Every check of the single decision holds (four eyes, the approver group whose turn it is, KYC,
    the facility's headroom); a refused request does not stop the others from being tried, so that
    every refusal is reported, and then nothing is kept (`BulkApprovalRefused`).
    """
    refusals: list[tuple[str, str]] = []
    financings = sorted(financings, key=lambda f: f.pk)
    for financing in financings:
        try:
            with transaction.atomic():
                financing_review_decide(financing=financing, approver=approver, decision="approve")
        except ValidationError as error:
            refusals.append((financing.reference, " ".join(error.messages)))
        except DomainError as error:
            refusals.append((financing.reference, error.message))
    if refusals:
        raise BulkApprovalRefused(refusals)
    return financings


# --- contracts and signing ------------------------------------------------------------------

def financing_issue_contracts(financing: FactoringFinancing, *, locked: bool = False) -> list[Document]:
    """Generate each document in the language of the party it is addressed to (flow step).

    The agreement goes to the supplier; the notice of assignment and the confirmation letter
    are the debtor's. `locked=True` says the caller holds `financing` from `financing_lock` in this
    transaction.
    """
    if not locked:
        financing = financing_lock(pk=financing.pk)
    with shared_context_reads(financing):
        documents = documents_generate(obj=financing, kinds=[
            ("factoring_agreement", financing.supplier.preferred_language),
            ("notice_of_assignment", financing.debtor.preferred_language),
            ("debtor_confirmation_letter", financing.debtor.preferred_language)], acting_user=None)
        changed = _keep_collection_account(financing)
    if can_proceed(financing.issue_contract):
        financing.issue_contract(note=_("contracts generated for signing"))
        financing.save()
    elif changed:
        financing.save(update_fields=["collection_account"])
    return documents


# --- reverse factoring ----------------------------------------------------------------------

@audited
def payable_create(*, debtor: Organization, supplier: Organization, invoice_number: str, issue_date: datetime.date,
                   due_date: datetime.date, face_amount: Decimal, acting_user: User,
                   currency: str = "CNY") -> Receivable:
    """Register a core enterprise's approved payable: already confirmed, on the core's own facility.

    The same (debtor, supplier, invoice) key holds as for invoices the supplier enters, so a
    payable the supplier registered already is refused as a duplicate.
    """
    require(permissions.can_register_receivables(acting_user, debtor),
            operator_only(debtor, _("register its approved payables")))
    errors = {}
    if not debtor.is_core:
        errors["supplier"] = _("%(org)s is not registered as a core enterprise.") % {"org": debtor}
    if not supplier.is_supplier:
        errors["supplier"] = _("%(org)s is not registered as a supplier.") % {"org": supplier}
    receivable = _insert_receivable(
        Receivable(supplier=supplier, debtor=debtor, invoice_number=(invoice_number or "").strip(),
                   issue_date=issue_date, due_date=due_date, face_amount=face_amount, currency=currency,
                   created_by=acting_user, reverse=True),
        acting_user, errors)
    receivable.submit(by=acting_user, note=_("approved payable"))
    receivable.confirm(by=acting_user, amount=face_amount, note=_("approved payable of the debtor"))
    receivable.save()
    return receivable
