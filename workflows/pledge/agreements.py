"""Writes for pledge agreements: prepare, review, contracts, registration (中登网), closing.

The agreement's state machine holds what happened; the flow (`flows.py`) holds who acts now.
Each service checks the people (`permissions`), the state and the terms, fires the transition,
audits, and completes the flow's step (`complete_step`); it never names a flow node otherwise.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from documents.models import Document
from documents.services import documents_generate, documents_void
from scf.audit.services import audit_record, audited
from scf.core.sequences import sequence_next
from scf.facilities.models import CreditFacility, Product
from scf.money import MAX_AMOUNT_IN_WORDS
from scf.parties.models import Organization, User
from scf.parties.permissions import require
from scf.parties.selectors import lender_client_ids
from scf.parties.services import kyc_require_verified
from workflows.approval.models import ApprovalCase
from workflows.approval.services import approval_case_submit, approval_case_withdraw, approval_decide
from workflows.inbox.attachments import attachment_add
from workflows.inbox.models import CaseAttachment
from workflows.inbox.services import case_start, complete_step, process_cancel, process_for, process_sync

from . import permissions
from .exceptions import AgreementStateConflict, ClosingBlocked, RegistrationConflict
from .models import PledgeAgreement, PledgedItem, PledgeRegistration, WarehouseApproval

State = PledgeAgreement.State

AGREEMENT_SEQUENCE = "pledge.agreement"
# The three contracts every party signs before any collateral counts (DESIGN §5, issue 12 item 2).
CONTRACT_KINDS = ("pledge_loan_agreement", "pledge_contract", "pledge_supervision_agreement")
EDITABLE = (State.DRAFT, State.RETURNED)
# The terms a credit officer sets; everything else on the agreement is derived or recorded.
TERM_FIELDS = ("kind", "maximum_amount", "pledge_rate", "warning_ltv", "call_ltv", "liquidation_ltv", "cure_days",
               "price_max_age_days", "floor_value_minimum", "annual_rate", "day_count", "start_date", "end_date")
ZERO = Decimal("0.00")


def agreement_lock(*, pk: int) -> PledgeAgreement:
    # The agreement's row only, not the parties and facility joined for reading.
    return PledgeAgreement.objects.select_for_update(of=("self",)).select_related(
        "lender", "pledgor", "warehouse", "facility", "approval_case").get(pk=pk)


def _not_state(agreement: PledgeAgreement, action: str) -> AgreementStateConflict:
    return AgreementStateConflict(_("Agreement %(ref)s is %(state)s: it cannot be %(action)s.") % {
        "ref": agreement.reference, "state": agreement.get_state_display(), "action": action})


# --- terms ----------------------------------------------------------------------------------------

def pledge_facility_for(*, lender: Organization, pledgor: Organization) -> CreditFacility | None:
    """Return the pledgor's active pledge facility of the lender (the largest, if there are several)."""
    return (CreditFacility.objects.filter(lender=lender, obligor=pledgor, product=Product.PLEDGE,
                                          state=CreditFacility.State.ACTIVE)
            .order_by("-limit_amount", "pk").first())


def agreement_terms_refusals(*, lender: Organization, pledgor: Organization | None, warehouse: Organization | None,
                             facility: CreditFacility | None, terms: dict, currency: str | None = None
                             ) -> dict[str, str]:
    """Return what is wrong with an agreement's parties and terms, by field (DESIGN §5 and "Credit facilities").

    Valid terms: 0 < r < 1, 0 < w ≤ c ≤ l ≤ 1, 0 < maximum amount ≤ the facility's limit, the end
    after the start, cure days and price maximum age at least one day, the facility's currency.
    """
    errors: dict[str, str] = {}
    if pledgor is None:
        errors["pledgor"] = _("Choose the pledgor.")
    elif not Organization.objects.filter(pk=pledgor.pk).filter(pk__in=lender_client_ids({lender.pk})).exists():
        errors["pledgor"] = _("%(org)s is not a client of %(lender)s.") % {"org": pledgor, "lender": lender}
    elif facility is None:
        errors["pledgor"] = _("%(org)s has no active pledge facility of %(lender)s to draw on.") % {
            "org": pledgor, "lender": lender}
    elif (facility.lender_id != lender.pk or facility.obligor_id != pledgor.pk or facility.product != Product.PLEDGE
          or facility.state != CreditFacility.State.ACTIVE):
        errors["pledgor"] = _("Facility %(ref)s is not an active pledge facility of %(org)s with %(lender)s.") % {
            "ref": facility.reference, "org": pledgor, "lender": lender}
    if warehouse is None:
        errors["warehouse"] = _("Choose the warehouse that supervises the goods.")
    elif pledgor is not None and warehouse.pk == pledgor.pk:
        errors["warehouse"] = _("The pledgor cannot supervise its own goods.")
    elif not (warehouse.is_warehouse and WarehouseApproval.objects.filter(
            lender=lender, warehouse=warehouse, is_active=True).exists()):
        errors["warehouse"] = _("%(org)s is not a warehouse approved by %(lender)s as supervisor.") % {
            "org": warehouse, "lender": lender}

    def value(name):
        return terms.get(name)

    rate = value("pledge_rate")
    if rate is None:
        errors["pledge_rate"] = _("Enter the pledge rate.")
    elif not (0 < rate < 1):
        errors["pledge_rate"] = _("The pledge rate must be more than 0 and less than 1.")
    warning, call, liquidation = value("warning_ltv"), value("call_ltv"), value("liquidation_ltv")
    if None in (warning, call, liquidation):
        for name in ("warning_ltv", "call_ltv", "liquidation_ltv"):
            if value(name) is None:
                errors[name] = _("Enter this line.")
    elif not warning > 0:
        errors["warning_ltv"] = _("The warning line must be more than 0.")
    elif not warning <= call:
        errors["call_ltv"] = _("The margin call line cannot be below the warning line.")
    elif not call <= liquidation:
        errors["liquidation_ltv"] = _("The liquidation line cannot be below the margin call line.")
    elif not liquidation <= 1:
        errors["liquidation_ltv"] = _("The liquidation line cannot be above 1 (100%).")
    maximum = value("maximum_amount")
    if maximum is None:
        errors["maximum_amount"] = _("Enter the maximum amount secured.")
    elif maximum <= 0:
        errors["maximum_amount"] = _("The maximum amount must be more than zero.")
    elif maximum != maximum.quantize(Decimal("0.01")):
        errors["maximum_amount"] = _("The maximum amount is kept to 0.01.")
    elif facility is not None and maximum > facility.limit_amount:
        errors["maximum_amount"] = _("The maximum amount %(amount)s is above the limit of %(currency)s %(limit)s "
                                     "of facility %(ref)s.") % {
            "amount": f"{maximum:,}", "currency": facility.currency, "limit": f"{facility.limit_amount:,}",
            "ref": facility.reference}
    elif maximum > MAX_AMOUNT_IN_WORDS:
        errors["maximum_amount"] = _("The maximum amount is above the largest amount accepted.")
    start, end = value("start_date"), value("end_date")
    if start is None:
        errors["start_date"] = _("Enter the start date.")
    if end is None:
        errors["end_date"] = _("Enter the end date.")
    elif start is not None and end <= start:
        errors["end_date"] = _("The end date must be after the start date.")
    for name, label in (("cure_days", _("The cure period")), ("price_max_age_days", _("The price maximum age"))):
        if value(name) is None or value(name) < 1:
            errors[name] = _("%(what)s must be at least one day.") % {"what": label}
    annual_rate = value("annual_rate")
    if annual_rate is None:
        errors["annual_rate"] = _("Enter the annual interest rate.")
    elif not (0 < annual_rate < 1):
        errors["annual_rate"] = _("The annual interest rate is a fraction more than 0 and less than 1 (0.055 for "
                                  "5.5%).")
    floor = value("floor_value_minimum")
    if floor is not None and floor < 0:
        errors["floor_value_minimum"] = _("The minimum floor value cannot be negative.")
    if value("kind") not in PledgeAgreement.Kind.values:
        errors["kind"] = _("Choose a static or a dynamic pledge.")
    if facility is not None and currency is not None and currency != facility.currency:
        errors["currency"] = _("Facility %(ref)s lends in %(currency)s only.") % {
            "ref": facility.reference, "currency": facility.currency}
    return errors


def _defaults(terms: dict) -> dict:
    """Fill the terms DESIGN §5 gives defaults for (r 0.60, lines 0.65/0.70/0.80, 3 cure days, 5 days' prices)."""
    defaults = {"kind": PledgeAgreement.Kind.DYNAMIC, "pledge_rate": Decimal("0.60"), "warning_ltv": Decimal("0.65"),
                "call_ltv": Decimal("0.70"), "liquidation_ltv": Decimal("0.80"), "cure_days": 3,
                "price_max_age_days": 5, "floor_value_minimum": ZERO, "day_count": "ACT/360"}
    filled = {name: terms.get(name) for name in TERM_FIELDS}
    for name, default in defaults.items():
        if filled.get(name) is None or filled.get(name) == "":
            filled[name] = default
    return filled


def _check_kyc(agreement_or_parties) -> None:
    pledgor, warehouse = agreement_or_parties
    kyc_require_verified(pledgor)
    kyc_require_verified(warehouse)


@audited
def agreement_create(*, lender: Organization, pledgor: Organization, warehouse: Organization, acting_user: User,
                     facility: CreditFacility | None = None, currency: str | None = None,
                     **terms) -> PledgeAgreement:
    """Prepare a draft agreement for the lender's client on its active pledge facility and an approved warehouse.

    Refused (403) for anyone but the lender's staff who prepare credit; (400) on invalid terms by
    field; (409) when the pledgor or the warehouse is not KYC-verified.
    """
    require(permissions.can_prepare_agreement(acting_user, lender),
            _("Only the credit staff of %(lender)s prepare its pledge agreements.") % {"lender": lender})
    unknown = set(terms) - set(TERM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown terms: {', '.join(sorted(unknown))}")
    terms = _defaults(terms)
    if facility is None and pledgor is not None:
        facility = pledge_facility_for(lender=lender, pledgor=pledgor)
    errors = agreement_terms_refusals(lender=lender, pledgor=pledgor, warehouse=warehouse, facility=facility,
                                      terms=terms, currency=currency)
    if errors:
        raise ValidationError(errors)
    _check_kyc((pledgor, warehouse))
    number = sequence_next(key=AGREEMENT_SEQUENCE, year=terms["start_date"].year)
    agreement = PledgeAgreement(reference=f"PLA-{terms['start_date'].year}-{number:05d}", lender=lender,
                                pledgor=pledgor, warehouse=warehouse, facility=facility, currency=facility.currency,
                                prepared_by=acting_user, **terms)
    # Its fields as typed: its parties and facility are the objects checked above, its reference comes from the
    # gapless sequence, and its constraints are the terms' rules checked above with their messages (and kept by the
    # database): asking them again is a statement each.
    agreement.full_clean(exclude=["state", "approval_case", "lender", "pledgor", "warehouse", "facility", "prepared_by"],
                         validate_unique=False, validate_constraints=False)
    agreement.save()
    audit_record(action="pledge.pledgeagreement.create", target=agreement, actor=acting_user,
                 target_state=agreement.state,
                 note=f"{agreement.currency} {agreement.maximum_amount} {agreement.kind} {facility.reference}")
    return agreement


@audited
def agreement_update(*, agreement: PledgeAgreement, acting_user: User, warehouse: Organization | None = None,
                     **terms) -> PledgeAgreement:
    """Change the terms (or the warehouse) of a draft or returned agreement; the pledgor and lender stay."""
    agreement = agreement_lock(pk=agreement.pk)
    require(permissions.can_prepare_agreement(acting_user, agreement.lender_id),
            _("Only the credit staff of %(lender)s prepare its pledge agreements.") % {"lender": agreement.lender})
    if agreement.state not in EDITABLE:
        raise _not_state(agreement, _("edited"))
    unknown = set(terms) - set(TERM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown terms: {', '.join(sorted(unknown))}")
    merged = {name: getattr(agreement, name) for name in TERM_FIELDS}
    merged.update({name: value for name, value in terms.items() if value is not None})
    warehouse = warehouse or agreement.warehouse
    facility = agreement.facility
    if facility.state != CreditFacility.State.ACTIVE:
        facility = pledge_facility_for(lender=agreement.lender, pledgor=agreement.pledgor) or facility
    errors = agreement_terms_refusals(lender=agreement.lender, pledgor=agreement.pledgor, warehouse=warehouse,
                                      facility=facility, terms=merged)
    if errors:
        raise ValidationError(errors)
    changed = [name for name in TERM_FIELDS if getattr(agreement, name) != merged[name]]
    for name in TERM_FIELDS:
        setattr(agreement, name, merged[name])
    if warehouse.pk != agreement.warehouse_id:
        changed.append("warehouse")
    agreement.warehouse, agreement.facility = warehouse, facility
    agreement.full_clean(exclude=["state", "approval_case"])
    agreement.save()
    audit_record(action="pledge.pledgeagreement.edit", target=agreement, actor=acting_user,
                 note=", ".join(changed) or "no change")
    return agreement


@audited
def agreement_submit(*, agreement: PledgeAgreement, acting_user: User, note: str = "") -> PledgeAgreement:
    """Send a draft (or returned) agreement to credit review through the shared approval routing.

    The case is for the maximum amount, product "pledge"; the pledgor is the applicant and the
    warehouse another party: no member of either, nor the preparer, may decide it.
    """
    agreement = agreement_lock(pk=agreement.pk)
    require(permissions.can_prepare_agreement(acting_user, agreement.lender_id),
            _("Only the credit staff of %(lender)s prepare its pledge agreements.") % {"lender": agreement.lender})
    if agreement.state not in EDITABLE:
        raise _not_state(agreement, _("submitted"))
    errors = agreement_terms_refusals(lender=agreement.lender, pledgor=agreement.pledgor,
                                      warehouse=agreement.warehouse, facility=agreement.facility,
                                      terms={name: getattr(agreement, name) for name in TERM_FIELDS})
    if errors:
        raise ValidationError(errors)
    _check_kyc((agreement.pledgor, agreement.warehouse))
    returned = agreement.state == State.RETURNED
    agreement.approval_case = approval_case_submit(
        case=agreement.approval_case, product=Product.PLEDGE, amount=agreement.maximum_amount,
        currency=agreement.currency, applicant=agreement.pledgor, lender=agreement.lender,
        parties=[agreement.pledgor, agreement.warehouse], preparer=agreement.prepared_by,
        reference=agreement.reference, acting_user=acting_user)
    # A revision may have named another warehouse: its members may not decide the case either (a new case has it).
    if returned:
        agreement.approval_case.parties.add(agreement.warehouse)
    agreement.submit(by=acting_user, note=(note or "").strip())
    agreement.save()
    if returned and process_for(agreement) is not None:
        process_sync(agreement, amount=agreement.maximum_amount, due_date=agreement.end_date)
        complete_step(agreement, "revise", acting_user)
    else:
        case_start(agreement)
    return agreement


@audited
def agreement_review_decide(*, agreement: PledgeAgreement, approver: User, decision: str,
                            comment: str = "") -> PledgeAgreement:
    """Record one approver's decision; the case's last approval approves the agreement.

    Who may decide (the lender's staff, four eyes, the group whose turn it is) is the approval
    case's rule: `approval_decide` refuses anyone else. Approving needs both parties' KYC verified.
    """
    agreement = agreement_lock(pk=agreement.pk)
    if agreement.state != State.UNDER_REVIEW:
        raise _not_state(agreement, _("decided"))
    if decision == "approve":
        _check_kyc((agreement.pledgor, agreement.warehouse))
    # The case is locked and read by approval_decide; its decision carries it back, status included.
    record = approval_decide(case=agreement.approval_case, approver=approver, decision=decision, comment=comment)
    case = agreement.approval_case = record.case
    comment = (comment or "").strip()
    if case.status == ApprovalCase.Status.APPROVED:
        agreement.approve(by=approver, note=comment)
    elif case.status == ApprovalCase.Status.REJECTED:
        agreement.reject(by=approver, note=comment)
    elif case.status == ApprovalCase.Status.RETURNED:
        agreement.return_for_revision(by=approver, note=comment)
    agreement.save()
    complete_step(agreement, "review", approver)
    return agreement


@audited
def agreement_cancel(*, agreement: PledgeAgreement, acting_user: User, note: str) -> PledgeAgreement:
    """Cancel an agreement that never became active; the reason is required. Its contracts are voided."""
    agreement = agreement_lock(pk=agreement.pk)
    require(permissions.can_prepare_agreement(acting_user, agreement.lender_id),
            _("Only the credit staff of %(lender)s cancel its pledge agreements.") % {"lender": agreement.lender})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say why the agreement is cancelled.")})
    if not can_proceed(agreement.cancel):
        raise _not_state(agreement, _("cancelled"))
    if agreement.approval_case_id is not None:
        approval_case_withdraw(case=agreement.approval_case, acting_user=acting_user, note=note)
    agreement.cancel(by=acting_user, note=note)
    agreement.save()
    documents_void(obj=agreement, acting_user=acting_user, note=note)
    process_cancel(agreement)
    return agreement


# --- contracts and signing ------------------------------------------------------------------------

def contract_language(agreement: PledgeAgreement, kind: str) -> str:
    """Return a contract's language: the pledgor's, or the warehouse's for the supervision agreement it runs."""
    party = agreement.warehouse if kind == "pledge_supervision_agreement" else agreement.pledgor
    return party.preferred_language


def agreement_issue_contracts(agreement: PledgeAgreement, *, locked: bool = False) -> list[Document]:
    """Generate the loan agreement, the maximum-amount pledge contract and the supervision agreement (flow step).

    `locked=True` says the caller holds `agreement` from `agreement_lock` in this transaction.
    """
    if not locked:
        agreement = agreement_lock(pk=agreement.pk)
    if agreement.state != State.APPROVED:
        raise _not_state(agreement, _("issued its contracts"))
    documents = documents_generate(obj=agreement, kinds=[(kind, contract_language(agreement, kind))
                                                         for kind in CONTRACT_KINDS], acting_user=None)
    agreement.issue_contracts(note=_("loan agreement, pledge contract and supervision agreement issued for signing"))
    agreement.save()
    return documents


def agreement_contracts_issued(agreement: PledgeAgreement) -> None:
    """Let the parties sign once the worker has issued every contract (the signing set's `on_issued`, called with
    the agreement's row locked): the flow leaves its "rendering" step for the signing tasks."""
    complete_step(agreement, "rendering", None)


def agreement_signed_by_all(agreement: PledgeAgreement) -> None:
    """Activate the agreement once every party signed every contract and the worker sealed them (the signing
    set's `on_complete`); the flow goes on to the registration."""
    locked = agreement_lock(pk=agreement.pk)
    if can_proceed(locked.activate):
        locked.activate(at=timezone.now(), note=_("every party signed every contract"))
        locked.save()
    complete_step(locked, "sealing", None)


# --- registration (中登网) ------------------------------------------------------------------------

def _require_operations(user: User, agreement: PledgeAgreement) -> None:
    require(permissions.can_record_registration(user, agreement.lender_id),
            _("Only the operations staff of %(lender)s record the pledge's registration.") % {"lender": agreement.lender})


def _evidence(agreement: PledgeAgreement, uploaded_file, title: str, acting_user: User) -> CaseAttachment:
    """Attach the registry's certificate (PDF, PNG or JPEG) to the agreement, as the lender's."""
    try:
        return attachment_add(case=agreement, organization=agreement.lender, lender=agreement.lender,
                              uploaded_file=uploaded_file, title=title, acting_user=acting_user)
    except ValidationError as error:
        messages = error.message_dict.get("file") or error.messages
        raise ValidationError({"evidence": messages}) from None


@audited
def registration_record(*, agreement: PledgeAgreement, number: str, registered_on: datetime.date,
                        expires_on: datetime.date, evidence, acting_user: User) -> PledgeRegistration:
    """Record the pledge's registration with the national movable-asset registry and its certificate.

    Only for an active agreement, once; the certificate is a PDF, PNG or JPEG checked by content.
    """
    agreement = agreement_lock(pk=agreement.pk)
    _require_operations(acting_user, agreement)
    if agreement.state != State.ACTIVE:
        raise RegistrationConflict(_("Agreement %(ref)s is %(state)s: a registration is recorded for an active "
                                     "agreement only.") % {"ref": agreement.reference,
                                                           "state": agreement.get_state_display()})
    if PledgeRegistration.objects.filter(agreement=agreement).exists():
        raise RegistrationConflict(_("The registration of %(ref)s is already recorded.") % {"ref": agreement.reference})
    number = (number or "").strip()
    errors = {}
    if not number:
        errors["number"] = _("Enter the registration number.")
    if registered_on is None:
        errors["registered_on"] = _("Enter the registration date.")
    elif registered_on > timezone.localdate():
        errors["registered_on"] = _("The registration date cannot be in the future.")
    if expires_on is None:
        errors["expires_on"] = _("Enter the expiry date.")
    elif registered_on is not None and expires_on <= registered_on:
        errors["expires_on"] = _("The expiry date must be after the registration date.")
    elif expires_on <= timezone.localdate():
        errors["expires_on"] = _("The registration has already expired.")
    if not evidence:
        errors["evidence"] = _("Attach the registration certificate.")
    if errors:
        raise ValidationError(errors)
    attachment = _evidence(agreement, evidence, _("Registration certificate %(number)s") % {"number": number},
                           acting_user)
    registration = PledgeRegistration(agreement=agreement, number=number, registered_on=registered_on,
                                      expires_on=expires_on, evidence=attachment, recorded_by=acting_user)
    # Its fields as typed: its relations are the objects in hand, and its constraints (a number, an expiry after
    # the registration) are checked above with their messages and kept by the database.
    registration.full_clean(exclude=["agreement", "evidence", "recorded_by"], validate_unique=False,
                            validate_constraints=False)
    registration.save()
    audit_record(action="pledge.pledgeagreement.register", target=agreement, actor=acting_user,
                 note=f"{number} {registered_on.isoformat()} – {expires_on.isoformat()}")
    complete_step(agreement, "register", acting_user)
    return registration


def held_items_count(agreement: PledgeAgreement) -> int:
    """Return how many receipts or lots are still held under the agreement (proposed or pledged)."""
    return PledgedItem.objects.filter(agreement=agreement, status__in=PledgedItem.HELD).count()


def _deregistration_blockers(agreement: PledgeAgreement) -> list[str]:
    blockers = []
    if agreement.principal_outstanding > 0:
        blockers.append(_("principal of %(currency)s %(amount)s is outstanding") % {
            "currency": agreement.currency, "amount": f"{agreement.principal_outstanding:,}"})
    held = held_items_count(agreement)
    if held:
        blockers.append(_("%(count)d receipt(s) or lot(s) are still pledged or proposed") % {"count": held})
    return blockers


@audited
def registration_deregister(*, agreement: PledgeAgreement, deregistered_on: datetime.date, evidence,
                            acting_user: User) -> PledgeRegistration:
    """Record the registration's cancellation with its certificate: only when nothing is owed or pledged."""
    agreement = agreement_lock(pk=agreement.pk)
    _require_operations(acting_user, agreement)
    registration = PledgeRegistration.objects.select_for_update().filter(agreement=agreement).first()
    if registration is None:
        raise RegistrationConflict(_("No registration of %(ref)s is recorded.") % {"ref": agreement.reference})
    if registration.deregistered_on is not None:
        raise RegistrationConflict(_("The registration of %(ref)s was already cancelled on %(date)s.") % {
            "ref": agreement.reference, "date": registration.deregistered_on.isoformat()})
    if blockers := _deregistration_blockers(agreement):
        raise RegistrationConflict(_("The registration of %(ref)s cannot be cancelled: %(blockers)s.") % {
            "ref": agreement.reference, "blockers": "; ".join(blockers)})
    errors = {}
    if deregistered_on is None:
        errors["deregistered_on"] = _("Enter the deregistration date.")
    elif deregistered_on < registration.registered_on:
        errors["deregistered_on"] = _("The deregistration date cannot be before the registration date, %(date)s.") % {
            "date": registration.registered_on.isoformat()}
    elif deregistered_on > timezone.localdate():
        errors["deregistered_on"] = _("The deregistration date cannot be in the future.")
    if not evidence:
        errors["evidence"] = _("Attach the deregistration certificate.")
    if errors:
        raise ValidationError(errors)
    attachment = _evidence(agreement, evidence, _("Deregistration certificate %(number)s")
                           % {"number": registration.number}, acting_user)
    registration.deregistered_on, registration.deregistered_by = deregistered_on, acting_user
    registration.deregistration_evidence = attachment
    registration.save(update_fields=["deregistered_on", "deregistered_by", "deregistration_evidence"])
    audit_record(action="pledge.pledgeagreement.deregister", target=agreement, actor=acting_user,
                 note=f"{registration.number} {deregistered_on.isoformat()}")
    return registration


# --- closing --------------------------------------------------------------------------------------

def closing_blockers(agreement: PledgeAgreement) -> list[str]:
    """Return what still stands between the agreement and its closed file, in words (empty: it may close)."""
    blockers = _deregistration_blockers(agreement)
    if agreement.cash_margin > 0:
        blockers.append(_("cash margin of %(currency)s %(amount)s is not returned") % {
            "currency": agreement.currency, "amount": f"{agreement.cash_margin:,}"})
    registration = PledgeRegistration.objects.filter(agreement=agreement).first()
    if registration is not None and registration.deregistered_on is None:
        blockers.append(_("registration %(number)s is not deregistered") % {"number": registration.number})
    return blockers


@audited
def agreement_wind_up(*, agreement: PledgeAgreement, acting_user: User | None) -> bool:
    """Open the closing task once every loan is repaid and every item released; return whether it opened.

    The drawdown and release services call it after the last repayment or release; operations
    may call it from the agreement's page. Refused (409) while principal is outstanding or goods are held.
    """
    agreement = agreement_lock(pk=agreement.pk)
    if acting_user is not None:
        _require_operations(acting_user, agreement)
    if agreement.state != State.ACTIVE:
        raise _not_state(agreement, _("wound up"))
    if blockers := _deregistration_blockers(agreement):
        raise ClosingBlocked(_("Agreement %(ref)s cannot be wound up: %(blockers)s.") % {
            "ref": agreement.reference, "blockers": "; ".join(blockers)})
    return complete_step(agreement, "repaid", acting_user)


def agreement_wind_up_when_done(agreement: PledgeAgreement) -> bool:
    """Open the closing task if nothing is owed and no goods are held any more; return whether it opened.

    Called by the repayment and release services after the loan's principal or the goods dropped, with
    the agreement locked and its new figures saved: the last repayment or release puts the
    "Deregister and close" task in operations' inbox. Anything still owed or held leaves it as it was.
    """
    if agreement.state != State.ACTIVE or _deregistration_blockers(agreement):
        return False
    return complete_step(agreement, "repaid", None)


@audited
def agreement_close(*, agreement: PledgeAgreement, acting_user: User, note: str = "") -> PledgeAgreement:
    """Close an active agreement: nothing owed, the cash margin returned, no goods held, the registration cancelled.

    A refusal (409 pledge_closing_blocked) names everything still missing.
    """
    agreement = agreement_lock(pk=agreement.pk)
    _require_operations(acting_user, agreement)
    if agreement.state != State.ACTIVE:
        raise _not_state(agreement, _("closed"))
    if blockers := closing_blockers(agreement):
        raise ClosingBlocked(_("Agreement %(ref)s cannot be closed: %(blockers)s.") % {
            "ref": agreement.reference, "blockers": "; ".join(blockers)})
    agreement.close(at=timezone.now(), by=acting_user, note=(note or "").strip())
    agreement.save()
    complete_step(agreement, "repaid", acting_user)
    if not complete_step(agreement, "close", acting_user):
        process_cancel(agreement)  # closed before its registration task was done: nothing is left to do
    return agreement
