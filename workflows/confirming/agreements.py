"""Writes for confirming-warehouse (保兑仓) agreements: prepare, review, contract, signing, closing.

The distributor's facility and the core enterprise's guarantee facility must both belong to the
lender, be in force and cover the limit; the limit is reserved on both at approval and released on
both at cancellation or closing. The agreement's state machine holds what happened; the flow
(`flows.py`) holds who acts now. Each service checks the people (`permissions`), the state and the
terms, fires the transition, audits and completes the flow's step (`complete_step`).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from documents.models import Document
from documents.services import document_generate, documents_void
from scf.audit.services import audit_record, audited
from scf.core.sequences import sequence_next
from scf.facilities.models import CreditFacility, Product
from scf.facilities.services import facility_release, facility_reserve
from scf.money import MAX_AMOUNT_IN_WORDS
from scf.parties.models import Organization, User
from scf.parties.permissions import require
from scf.parties.selectors import lender_client_ids
from scf.parties.services import kyc_require_verified
from workflows.approval.models import ApprovalCase
from workflows.approval.services import approval_case_submit, approval_case_withdraw, approval_decide
from workflows.inbox.services import case_submit, complete_step, process_cancel

from . import permissions
from .calculations import DEFAULT_MARGIN_RATIO, DEFAULT_REFUND_NOTICE_DAYS, ReleaseMode
from .exceptions import AgreementClosingBlocked, AgreementStateConflict
from .models import ConfirmingAgreement, PurchaseOrder

State = ConfirmingAgreement.State
Form = ConfirmingAgreement.Form

AGREEMENT_SEQUENCE = "confirming.agreement"
CONTRACT_KIND = "confirming_agreement"
CONTRACT_KINDS = (CONTRACT_KIND,)
EDITABLE = (State.DRAFT, State.RETURNED)
# The terms a credit officer sets; the parties and facilities are chosen beside them.
TERM_FIELDS = ("form", "limit_amount", "revolving", "margin_ratio", "release_mode", "tenor_days",
               "refund_notice_days", "allows_loan", "allows_acceptance_bill", "annual_rate", "refund_undertaking",
               "start_date", "end_date")
# Orders that no longer hold anything under the agreement.
FINISHED_ORDERS = (PurchaseOrder.State.CLOSED, PurchaseOrder.State.CANCELLED, PurchaseOrder.State.REJECTED)

FACILITY_FIELDS = ("facility", "guarantee_facility")


def facility_refusal(*, lender: Organization, facility: CreditFacility | None, limit: Decimal) -> str:
    """Return why `facility` cannot carry an agreement of `limit` for `lender`, or "" when it can."""
    if facility is None:
        return _("Choose the facility.")
    if facility.lender_id != lender.pk:
        return _("Facility %(ref)s is not a facility of %(lender)s.") % {"ref": facility.reference, "lender": lender}
    if facility.state != CreditFacility.State.ACTIVE or not facility.is_within_validity():
        return _("Facility %(ref)s is not in force.") % {"ref": facility.reference}
    if limit > facility.available_amount:
        return _("Facility %(ref)s has %(available)s available: it does not cover the limit %(limit)s.") % {
            "ref": facility.reference, "available": f"{facility.available_amount:,}", "limit": f"{limit:,}"}
    return ""


def facilities_refusals(*, lender: Organization, facility: CreditFacility | None,
                        guarantee_facility: CreditFacility | None, limit: Decimal) -> dict[str, str]:
    """Return the refusals of both facilities, by field."""
    errors = {}
    for name, value in (("facility", facility), ("guarantee_facility", guarantee_facility)):
        if refusal := facility_refusal(lender=lender, facility=value, limit=limit):
            errors[name] = refusal
    return errors


def _reference(agreement: ConfirmingAgreement) -> str:
    return f"{agreement.reference}"


def agreement_reserve_facilities(agreement: ConfirmingAgreement, acting_user: User | None) -> None:
    """Reserve the agreement's limit on both facilities (at approval); reserving again changes nothing."""
    for name in FACILITY_FIELDS:
        facility_reserve(facility=getattr(agreement, name), amount=agreement.limit_amount,
                         reference=_reference(agreement), acting_user=acting_user)


def agreement_release_facilities(agreement: ConfirmingAgreement, acting_user: User | None) -> None:
    """Release the limit held on both facilities (rejection, withdrawal, closing)."""
    for name in FACILITY_FIELDS:
        facility = getattr(agreement, name)
        if facility.reservations.filter(reference=_reference(agreement)).exists():
            facility_release(facility=facility, reference=_reference(agreement), acting_user=acting_user)


# --- terms ----------------------------------------------------------------------------------------

def agreement_lock(*, pk: int) -> ConfirmingAgreement:
    # The agreement's row only, not the parties and facilities joined for reading.
    return ConfirmingAgreement.objects.select_for_update(of=("self",)).select_related(
        "lender", "seller", "distributor", "warehouse", "facility", "guarantee_facility", "approval_case").get(pk=pk)


def _not_state(agreement: ConfirmingAgreement, action: str) -> AgreementStateConflict:
    return AgreementStateConflict(_("Agreement %(ref)s is %(state)s: it cannot be %(action)s.") % {
        "ref": agreement.reference, "state": agreement.get_state_display(), "action": action})


def _require_preparer(user: User, lender: Organization) -> None:
    require(permissions.can_prepare_agreement(user, lender.pk),
            _("Only the credit staff of %(lender)s prepare, edit, submit and cancel its confirming-warehouse "
              "agreements.") % {"lender": lender})


def confirming_facility_for(*, lender: Organization, obligor: Organization | None) -> CreditFacility | None:
    """Return the obligor's active confirming-warehouse facility of the lender (the largest, if there are several).

    For the distributor it is the facility the orders draw on; for the core enterprise, its guarantee line.
    """
    if obligor is None:
        return None
    return (CreditFacility.objects.filter(lender=lender, obligor=obligor, product=Product.CONFIRMING,
                                          state=CreditFacility.State.ACTIVE)
            .order_by("-limit_amount", "pk").first())


def _defaults(terms: dict) -> dict:
    """Fill the terms DESIGN §5 gives defaults for (m 0.30, refund notice 5 business days, mode 1, both routes)."""
    defaults = {"revolving": True, "margin_ratio": DEFAULT_MARGIN_RATIO, "release_mode": ReleaseMode.FULL,
                "tenor_days": 180, "refund_notice_days": DEFAULT_REFUND_NOTICE_DAYS, "allows_loan": True,
                "allows_acceptance_bill": True, "refund_undertaking": ""}
    filled = {name: terms.get(name) for name in TERM_FIELDS}
    for name, default in defaults.items():
        if filled.get(name) is None:
            filled[name] = default
    return filled


def agreement_terms_refusals(*, lender: Organization, seller: Organization | None,
                             distributor: Organization | None, warehouse: Organization | None,
                             facility: CreditFacility | None, guarantee_facility: CreditFacility | None,
                             terms: dict, currency: str | None = None) -> dict[str, str]:
    """Return what is wrong with an agreement's parties, facilities and terms, by field (DESIGN §5).

    Valid terms: limit > 0, 0 < m < 1, release mode 1–3, at least one funding route, a warehouse in
    the four-party form only, the end after the start, the parties distinct clients of the lender,
    the distributor's facility and the seller's guarantee line in force and covering the limit.
    """
    errors: dict[str, str] = {}
    clients = set(Organization.objects.filter(pk__in=lender_client_ids({lender.pk})).values_list("pk", flat=True))
    form = terms.get("form")
    if form not in Form.values:
        errors["form"] = _("Choose the three-party or the four-party form.")
    for role, organization, flag, missing, wrong in (
            ("seller", seller, "is_core", _("Choose the core enterprise that sells the goods."),
             _("%(org)s is not a core enterprise.")),
            ("distributor", distributor, "is_distributor", _("Choose the distributor that buys the goods."),
             _("%(org)s is not a distributor.")),
            ("warehouse", warehouse, "is_warehouse", None, _("%(org)s is not a warehouse operator."))):
        if organization is None:
            if missing is not None:
                errors[role] = missing
        elif not getattr(organization, flag):
            errors[role] = wrong % {"org": organization}
        elif organization.pk not in clients:
            errors[role] = _("%(org)s is not a client of %(lender)s.") % {"org": organization, "lender": lender}
    if form == Form.FOUR_PARTY and warehouse is None:
        errors["warehouse"] = _("A four-party agreement names the warehouse that holds the goods.")
    elif form == Form.THREE_PARTY and warehouse is not None:
        errors["warehouse"] = _("A three-party agreement names no warehouse: the seller keeps the goods.")
    if seller is not None and distributor is not None and seller.pk == distributor.pk:
        errors["distributor"] = _("The distributor cannot buy from itself.")
    if warehouse is not None and warehouse.pk in {getattr(seller, "pk", None), getattr(distributor, "pk", None)}:
        errors["warehouse"] = _("The warehouse must be a third party, neither the seller nor the distributor.")

    limit = terms.get("limit_amount")
    if limit is None:
        errors["limit_amount"] = _("Enter the limit.")
    elif limit <= 0:
        errors["limit_amount"] = _("The limit must be more than zero.")
    elif limit != limit.quantize(Decimal("0.01")):
        errors["limit_amount"] = _("The limit is kept to 0.01.")
    elif limit > MAX_AMOUNT_IN_WORDS:
        errors["limit_amount"] = _("The limit is above the largest amount accepted.")
    ratio = terms.get("margin_ratio")
    if ratio is None:
        errors["margin_ratio"] = _("Enter the margin ratio.")
    elif not (0 < ratio < 1):
        errors["margin_ratio"] = _("The margin ratio must be more than 0 and less than 1.")
    if terms.get("release_mode") not in ReleaseMode.ALL:
        errors["release_mode"] = _("Choose release mode 1, 2 or 3.")
    if not (terms.get("allows_loan") or terms.get("allows_acceptance_bill")):
        errors["allows_loan"] = _("Allow at least one funding route: a loan or a bank acceptance bill.")
    for name, label in (("tenor_days", _("The order tenor")), ("refund_notice_days", _("The refund notice"))):
        if terms.get(name) is None or terms.get(name) < 1:
            errors[name] = _("%(what)s must be at least one day.") % {"what": label}
    annual_rate = terms.get("annual_rate")
    if annual_rate is None:
        errors["annual_rate"] = _("Enter the annual interest rate.")
    elif not (0 < annual_rate < 1):
        errors["annual_rate"] = _("The annual interest rate is a fraction more than 0 and less than 1 (0.045 for "
                                  "4.5%).")
    start, end = terms.get("start_date"), terms.get("end_date")
    if start is None:
        errors["start_date"] = _("Enter the start date.")
    if end is None:
        errors["end_date"] = _("Enter the end date.")
    elif start is not None and end <= start:
        errors["end_date"] = _("The end date must be after the start date.")

    if "limit_amount" not in errors:
        for name, value in facilities_refusals(lender=lender, facility=facility,
                                               guarantee_facility=guarantee_facility, limit=limit).items():
            errors.setdefault(name, value)
    for name, value, obligor, whose in (
            ("facility", facility, distributor, _("the distributor")),
            ("guarantee_facility", guarantee_facility, seller, _("the seller"))):
        if value is None or name in errors or obligor is None:
            continue
        if value.obligor_id != obligor.pk or value.product != Product.CONFIRMING:
            errors[name] = _("Facility %(ref)s is not a confirming-warehouse facility of %(whose)s.") % {
                "ref": value.reference, "whose": whose}
    if facility is not None and guarantee_facility is not None and facility.currency != guarantee_facility.currency:
        errors.setdefault("guarantee_facility", _("Facility %(ref)s lends in %(currency)s only.") % {
            "ref": guarantee_facility.reference, "currency": guarantee_facility.currency})
    if facility is not None and currency is not None and currency != facility.currency:
        errors["currency"] = _("Facility %(ref)s lends in %(currency)s only.") % {
            "ref": facility.reference, "currency": facility.currency}
    return errors


def _check_kyc(*organizations: Organization | None) -> None:
    for organization in organizations:
        if organization is not None:
            kyc_require_verified(organization)


def _terms_of(agreement: ConfirmingAgreement) -> dict:
    return {name: getattr(agreement, name) for name in TERM_FIELDS}


@audited
def agreement_create(*, lender: Organization, seller: Organization, distributor: Organization, acting_user: User,
                     warehouse: Organization | None = None, facility: CreditFacility | None = None,
                     guarantee_facility: CreditFacility | None = None, currency: str | None = None,
                     **terms) -> ConfirmingAgreement:
    """Prepare a draft agreement between the lender, a core enterprise selling and a distributor buying.

    Without facilities named, the distributor's and the seller's active confirming-warehouse
    facilities are taken. Refused (403) for anyone but the lender's credit staff; (400) on invalid
    terms by field; (409) when the distributor, the seller or the warehouse is not KYC-verified.
    """
    _require_preparer(acting_user, lender)
    unknown = set(terms) - set(TERM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown terms: {', '.join(sorted(unknown))}")
    terms = _defaults(terms)
    if terms["form"] is None:
        terms["form"] = Form.FOUR_PARTY if warehouse is not None else Form.THREE_PARTY
    facility = facility or confirming_facility_for(lender=lender, obligor=distributor)
    guarantee_facility = guarantee_facility or confirming_facility_for(lender=lender, obligor=seller)
    errors = agreement_terms_refusals(lender=lender, seller=seller, distributor=distributor, warehouse=warehouse,
                                      facility=facility, guarantee_facility=guarantee_facility, terms=terms,
                                      currency=currency)
    if errors:
        raise ValidationError(errors)
    _check_kyc(distributor, seller, warehouse)
    year = terms["start_date"].year
    number = sequence_next(key=AGREEMENT_SEQUENCE, year=year)
    agreement = ConfirmingAgreement(reference=f"CWA-{year}-{number:05d}", lender=lender, seller=seller,
                                    distributor=distributor, warehouse=warehouse, facility=facility,
                                    guarantee_facility=guarantee_facility, currency=facility.currency,
                                    prepared_by=acting_user, **terms)
    agreement.full_clean(exclude=["state", "approval_case"])
    agreement.save()
    audit_record(action="confirming.confirmingagreement.create", target=agreement, actor=acting_user,
                 target_state=agreement.state,
                 # No facility reference: every party reads the history, and a facility is its obligor's.
                 note=f"{agreement.currency} {agreement.limit_amount} {agreement.form}")
    return agreement


@audited
def agreement_update(*, agreement: ConfirmingAgreement, acting_user: User, **changes) -> ConfirmingAgreement:
    """Change the terms, the warehouse or the facilities of a draft or returned agreement.

    The lender, the seller and the distributor stay. `warehouse=None` with the three-party form
    drops the warehouse; omitted names keep their value.
    """
    agreement = agreement_lock(pk=agreement.pk)
    _require_preparer(acting_user, agreement.lender)
    if agreement.state not in EDITABLE:
        raise _not_state(agreement, _("edited"))
    parties = {name: changes.pop(name) for name in ("warehouse", "facility", "guarantee_facility") if name in changes}
    unknown = set(changes) - set(TERM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown terms: {', '.join(sorted(unknown))}")
    merged = _terms_of(agreement)
    merged.update({name: value for name, value in changes.items() if value is not None})
    warehouse = parties.get("warehouse", agreement.warehouse)
    if merged["form"] == Form.THREE_PARTY and "warehouse" not in parties:
        warehouse = None
    facility = parties.get("facility") or agreement.facility
    guarantee_facility = parties.get("guarantee_facility") or agreement.guarantee_facility
    # The limit is checked against what each facility has available now, as at creation.
    errors = agreement_terms_refusals(lender=agreement.lender, seller=agreement.seller,
                                      distributor=agreement.distributor, warehouse=warehouse, facility=facility,
                                      guarantee_facility=guarantee_facility, terms=merged)
    if errors:
        raise ValidationError(errors)
    _check_kyc(warehouse)
    changed = [name for name in TERM_FIELDS if getattr(agreement, name) != merged[name]]
    for name in TERM_FIELDS:
        setattr(agreement, name, merged[name])
    for name, value in (("warehouse", warehouse), ("facility", facility), ("guarantee_facility", guarantee_facility)):
        if getattr(agreement, f"{name}_id") != getattr(value, "pk", None):
            changed.append(name)
        setattr(agreement, name, value)
    agreement.currency = facility.currency
    agreement.full_clean(exclude=["state", "approval_case"])
    agreement.save()
    audit_record(action="confirming.confirmingagreement.edit", target=agreement, actor=acting_user,
                 note=", ".join(changed) or "no change")
    return agreement


@audited
def agreement_submit(*, agreement: ConfirmingAgreement, acting_user: User, note: str = "") -> ConfirmingAgreement:
    """Send a draft (or returned) agreement to credit review through the shared approval routing.

    The case is for the limit, product "confirming"; the distributor is the applicant and the seller
    (and the warehouse) other parties: no member of any of them, nor the preparer, may decide it.
    """
    agreement = agreement_lock(pk=agreement.pk)
    _require_preparer(acting_user, agreement.lender)
    if agreement.state not in EDITABLE:
        raise _not_state(agreement, _("submitted"))
    errors = agreement_terms_refusals(lender=agreement.lender, seller=agreement.seller,
                                      distributor=agreement.distributor, warehouse=agreement.warehouse,
                                      facility=agreement.facility, guarantee_facility=agreement.guarantee_facility,
                                      terms=_terms_of(agreement))
    if errors:
        raise ValidationError(errors)
    _check_kyc(agreement.distributor, agreement.seller, agreement.warehouse)
    others = [organization for organization in (agreement.seller, agreement.warehouse) if organization is not None]
    resubmitted = agreement.state == State.RETURNED
    agreement.approval_case = approval_case_submit(
        case=agreement.approval_case, product=Product.CONFIRMING, amount=agreement.limit_amount,
        currency=agreement.currency, applicant=agreement.distributor, lender=agreement.lender,
        parties=[agreement.distributor, *others], preparer=agreement.prepared_by, reference=agreement.reference,
        acting_user=acting_user)
    # A revision may have named another warehouse: its members may not decide the case either (a new case has it).
    if resubmitted:
        agreement.approval_case.parties.add(*others)
    agreement.submit(by=acting_user, note=(note or "").strip())
    agreement.save()
    case_submit(agreement, resubmitted=resubmitted, acting_user=acting_user, amount=agreement.limit_amount,
                due_date=agreement.end_date)
    return agreement


@audited
def agreement_review_decide(*, agreement: ConfirmingAgreement, approver: User, decision: str,
                            comment: str = "") -> ConfirmingAgreement:
    """Record one approver's decision; the case's last approval approves the agreement and reserves the limit.

    Who may decide is the approval case's rule: `approval_decide` refuses anyone else. Approving
    needs every client party's KYC verified and the limit reserved on both facilities: the
    distributor's and the seller's guarantee line; a facility that no longer covers it refuses (409).
    """
    agreement = agreement_lock(pk=agreement.pk)
    if agreement.state != State.UNDER_REVIEW:
        raise _not_state(agreement, _("decided"))
    if decision == "approve":
        _check_kyc(agreement.distributor, agreement.seller, agreement.warehouse)
    # The case is locked and read by approval_decide; its decision carries it back, status included.
    record = approval_decide(case=agreement.approval_case, approver=approver, decision=decision, comment=comment)
    case = agreement.approval_case = record.case
    comment = (comment or "").strip()
    if case.status == ApprovalCase.Status.APPROVED:
        agreement_reserve_facilities(agreement, approver)
        agreement.approve(by=approver, note=comment)
    elif case.status == ApprovalCase.Status.REJECTED:
        agreement.reject(by=approver, note=comment)
    elif case.status == ApprovalCase.Status.RETURNED:
        agreement.return_for_revision(by=approver, note=comment)
    agreement.save()
    complete_step(agreement, "review", approver)
    return agreement


@audited
def agreement_cancel(*, agreement: ConfirmingAgreement, acting_user: User, note: str) -> ConfirmingAgreement:
    """Cancel an agreement that never became active; the reason is required.

    The limit held on both facilities is released, the agreement's documents are voided and its flow ends.
    """
    agreement = agreement_lock(pk=agreement.pk)
    _require_preparer(acting_user, agreement.lender)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say why the agreement is cancelled.")})
    if not can_proceed(agreement.cancel):
        raise _not_state(agreement, _("cancelled"))
    if agreement.approval_case_id is not None:
        approval_case_withdraw(case=agreement.approval_case, acting_user=acting_user, note=note)
    agreement_release_facilities(agreement, acting_user)
    agreement.cancel(by=acting_user, note=note)
    agreement.save()
    documents_void(obj=agreement, acting_user=acting_user, note=note)
    process_cancel(agreement)
    return agreement


# --- the contract and its signing -----------------------------------------------------------------

def agreement_issue_contract(agreement: ConfirmingAgreement) -> Document:
    """Generate the three- or four-party agreement in the distributor's language for signing (flow step)."""
    agreement = agreement_lock(pk=agreement.pk)
    if agreement.state != State.APPROVED:
        raise _not_state(agreement, _("issued its contract"))
    document = document_generate(obj=agreement, kind_code=CONTRACT_KIND,
                                 language=agreement.distributor.preferred_language, acting_user=None)
    agreement.issue_contract(note=_("the agreement was issued for every party's signature"))
    agreement.save()
    return document


def agreement_contract_issued(agreement: ConfirmingAgreement) -> None:
    """Let the parties sign once the worker has issued the agreement (the signing set's `on_issued`, called with
    the agreement's row locked): the flow leaves its "rendering" step for the signing tasks."""
    complete_step(agreement, "rendering", None)


def agreement_signed_by_all(agreement: ConfirmingAgreement) -> None:
    """Activate the agreement once every party signed it and the worker sealed it (the signing set's `on_complete`)."""
    locked = agreement_lock(pk=agreement.pk)
    if can_proceed(locked.activate):
        locked.activate(at=timezone.now(), note=_("every party signed the agreement"))
        locked.save()
    # The flow waits for the sealed agreement before it goes on (its "sealing" step).
    complete_step(locked, "sealing", None)


# --- closing --------------------------------------------------------------------------------------

def open_orders_count(agreement: ConfirmingAgreement) -> int:
    """Return how many orders under the agreement are not yet closed, cancelled or rejected."""
    return PurchaseOrder.objects.filter(agreement=agreement).exclude(state__in=FINISHED_ORDERS).count()


def closing_blockers(agreement: ConfirmingAgreement) -> list[str]:
    """Return what still stands between the agreement and its closed file, in words (empty: it may close)."""
    open_orders = open_orders_count(agreement)
    if open_orders:
        return [_("%(count)d order(s) are still open") % {"count": open_orders}]
    return []


@audited
def agreement_close(*, agreement: ConfirmingAgreement, acting_user: User, note: str = "") -> ConfirmingAgreement:
    """Close an active agreement with no open order; the limit held on both facilities is released.

    A refusal (409 confirming_closing_blocked) says what is still open.
    """
    agreement = agreement_lock(pk=agreement.pk)
    require(permissions.can_close_agreement(acting_user, agreement.lender_id),
            _("Only the operations staff of %(lender)s close its confirming-warehouse agreements.") % {
                "lender": agreement.lender})
    if agreement.state != State.ACTIVE:
        raise _not_state(agreement, _("closed"))
    if blockers := closing_blockers(agreement):
        raise AgreementClosingBlocked(_("Agreement %(ref)s cannot be closed: %(blockers)s.") % {
            "ref": agreement.reference, "blockers": "; ".join(blockers)})
    agreement_release_facilities(agreement, acting_user)
    agreement.close(at=timezone.now(), by=acting_user, note=(note or "").strip())
    agreement.save()
    complete_step(agreement, "active", acting_user)
    complete_step(agreement, "close", acting_user)
    return agreement


@audited
def agreement_wind_up(*, agreement: ConfirmingAgreement, acting_user: User | None) -> bool:
    """Open the closing task once no order is open; return whether it opened.

    The order services may call it after an agreement's last order closes; operations may call it
    from the agreement's page. Refused (409) while an order is open.
    """
    agreement = agreement_lock(pk=agreement.pk)
    if acting_user is not None:
        require(permissions.can_close_agreement(acting_user, agreement.lender_id),
                _("Only the operations staff of %(lender)s close its confirming-warehouse agreements.") % {
                    "lender": agreement.lender})
    if agreement.state != State.ACTIVE:
        raise _not_state(agreement, _("wound up"))
    if blockers := closing_blockers(agreement):
        raise AgreementClosingBlocked(_("Agreement %(ref)s cannot be wound up: %(blockers)s.") % {
            "ref": agreement.reference, "blockers": "; ".join(blockers)})
    return complete_step(agreement, "active", acting_user)
