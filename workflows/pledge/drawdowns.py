"""Loans under a pledge agreement (drawdowns, 提款): request, credit review, disbursement, interest, repayment.

DESIGN §5: available to draw = max loan − E, capped by the facility's headroom, where E counts the
principal outstanding across every loan under the agreement. A request is checked and reserved on the
facility under the agreement's row lock, and the amounts of requests not yet disbursed count against
what is available, so that concurrent requests never together draw more than is available.

Every money movement is one ledger entry under an idempotency key made of the drawdown's reference and
the event; the balances (the drawdown's and the agreement's principal outstanding) change under the
agreement's and the drawdown's row locks, in the same transaction as the entry. Lock order: agreement,
then drawdown, then facility.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, localcontext

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed

from documents.services import document_generate
from scf.audit.services import audit_record, audited
from scf.collections.models import Receipt
from scf.collections.permissions import require_receipts_staff
from scf.collections.registry import Applied, ReceiptHandler
from scf.collections.services import receipt_apply, receipt_apply_from_suspense, receipt_input_clean
from scf.core import tenancy
from scf.core.sequences import sequence_next
from scf.facilities.models import Product
from scf.facilities.services import facility_consume, facility_release, facility_reserve, facility_restore
from scf.ledger.models import Account
from scf.ledger.services import AccountRef, accrual_post, entry_key, house_account, ledger_post, lines, party_account
from scf.money import MAX_AMOUNT_IN_WORDS, DayCount, allocate_in_order
from scf.parties.exceptions import NoSettlementAccount
from scf.parties.models import Organization, SettlementAccount, User
from scf.parties.permissions import require
from scf.parties.services import kyc_require_verified
from workflows.approval.models import ApprovalCase
from workflows.approval.services import approval_case_submit, approval_case_withdraw, approval_decide
from workflows.inbox.services import case_start, complete_step, process_cancel

from . import calculations as calc
from . import permissions
from .agreements import agreement_lock, agreement_wind_up_when_done
from .drawdown_documents import DISBURSEMENT_ADVICE, REPAYMENT_ADVICE
from .exceptions import (
    AgreementNotActive,
    CollateralPriceMissing,
    DisbursementBeforeRegistration,
    DrawdownAboveAvailable,
    DrawdownStateConflict,
    ValuationStale,
)
from .models import PledgeAgreement, PledgeDrawdown, PledgeDrawdownRepayment, PledgeRevaluation
from .pledge_releases import floor_notice_issue
from .revaluation import revalue_agreement
from .selectors import registration_in_force
from .valuation import AgreementValuation, agreement_valuation

ZERO = Decimal("0.00")
P = Account.Purpose
State = PledgeDrawdown.State
DRAWDOWN_SEQUENCE = "pledge.drawdown"


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def drawdown_lock(*, pk: int, agreement: PledgeAgreement | None = None) -> PledgeDrawdown:
    """Return the drawdown under its row lock (take the agreement's lock first when both are needed)."""
    drawdown = PledgeDrawdown.objects.select_for_update(of=("self",)).get(pk=pk)
    drawdown.agreement = agreement or PledgeAgreement.objects.select_related(
        "lender", "pledgor", "warehouse", "facility").get(pk=drawdown.agreement_id)
    return drawdown


def _locked(drawdown: PledgeDrawdown) -> tuple[PledgeAgreement, PledgeDrawdown]:
    agreement = agreement_lock(pk=drawdown.agreement_id)
    return agreement, drawdown_lock(pk=drawdown.pk, agreement=agreement)


def _not_state(drawdown: PledgeDrawdown, action: str) -> DrawdownStateConflict:
    return DrawdownStateConflict(_("Drawdown %(ref)s is %(state)s: it cannot be %(action)s.") % {
        "ref": drawdown.reference, "state": drawdown.get_state_display(), "action": action})


# --- what may be drawn ----------------------------------------------------------------------------

def pending_amount(agreement: PledgeAgreement, *, exclude: PledgeDrawdown | None = None) -> Decimal:
    """Return the amounts requested or approved under the agreement and not yet disbursed."""
    pending = agreement.drawdowns.filter(state__in=PledgeDrawdown.PENDING)
    if exclude is not None:
        pending = pending.exclude(pk=exclude.pk)
    return sum((d.amount for d in pending), ZERO)


@dataclass(frozen=True)
class Availability:
    """What the pledgor may draw now, with the figures that make it (DESIGN §5)."""

    valuation: AgreementValuation
    pending: Decimal  # requested or approved, not yet disbursed
    available: Decimal  # max(0, max loan − E − pending), capped by the facility's headroom

    @property
    def max_loan(self) -> Decimal:
        return self.valuation.max_loan

    @property
    def exposure(self) -> Decimal:
        return self.valuation.exposure

    @property
    def headroom(self) -> Decimal:
        return self.valuation.headroom


def drawdown_availability(agreement: PledgeAgreement, on: datetime.date | None = None) -> Availability:
    """Return what may be drawn under the agreement on `on`: max loan − E − pending, capped by the headroom.

    The facility's headroom already leaves out the reservations of the pending requests.
    """
    valuation = agreement_valuation(agreement, on)
    pending = pending_amount(agreement)
    available = calc.available_to_draw(valuation.value, agreement.pledge_rate, valuation.exposure + pending,
                                       valuation.headroom)
    return Availability(valuation=valuation, pending=pending, available=available)


def _require_drawable(agreement: PledgeAgreement, on: datetime.date) -> None:
    """Refuse (409) a loan under an agreement that is not active or whose registration is not in force."""
    if agreement.state != PledgeAgreement.State.ACTIVE:
        raise AgreementNotActive(_("Agreement %(ref)s is %(state)s: loans are drawn only under an active "
                                   "agreement.") % {"ref": agreement.reference, "state": agreement.get_state_display()})
    if not registration_in_force(agreement, on):
        raise DisbursementBeforeRegistration(
            _("The pledge of agreement %(ref)s has no registration in force on %(date)s: no disbursement before "
              "registration.") % {"ref": agreement.reference, "date": on.isoformat()})


def _require_reliable(valuation: AgreementValuation) -> None:
    agreement = valuation.agreement
    if valuation.missing:
        raise CollateralPriceMissing(_("%(commodities)s has no approved price: the collateral of %(ref)s cannot be "
                                       "valued.") % {"commodities": ", ".join(c.code for c in valuation.missing),
                                                     "ref": agreement.reference})
    if valuation.stale:
        raise ValuationStale(_("The valuation of %(ref)s is stale: a price is older than %(days)d days. A new price "
                               "must be approved before drawing.") % {"ref": agreement.reference,
                                                                      "days": agreement.price_max_age_days})


def _clean_amount(amount) -> Decimal:
    if amount is None or amount == "":
        raise ValidationError({"amount": _("Enter the amount.")})
    try:
        amount = Decimal(str(amount))
    except ArithmeticError:
        raise ValidationError({"amount": _("Enter the amount as a number.")}) from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationError({"amount": _("The amount must be greater than zero.")})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({"amount": _("Amounts are kept to the cent.")})
    if amount > MAX_AMOUNT_IN_WORDS:
        raise ValidationError({"amount": _("The amount is above the largest amount accepted.")})
    return amount


# --- request and credit review --------------------------------------------------------------------

@audited
def drawdown_request(*, agreement: PledgeAgreement, amount, acting_user: User,
                     maturity_date: datetime.date | None = None, on: datetime.date | None = None) -> PledgeDrawdown:
    """Ask for a loan under the agreement, reserve it on the facility and send it to credit review.

    Under the agreement's row lock: the agreement active, its registration in force, its valuation
    reliable (every price approved and fresh), and the amount at most what is available — max loan
    − E − requests pending, capped by the facility's headroom; the refusal gives the figures.
    """
    on = on or timezone.localdate()
    amount = _clean_amount(amount)
    agreement = agreement_lock(pk=agreement.pk)
    require(permissions.can_request_drawdown(acting_user, agreement),
            _("Only an operator of %(org)s asks for loans under its pledge agreement.") % {"org": agreement.pledgor})
    _require_drawable(agreement, on)
    maturity_date = maturity_date or agreement.end_date
    if maturity_date <= on:
        raise ValidationError({"maturity_date": _("The maturity date must be after today.")})
    if maturity_date > agreement.end_date:
        raise ValidationError({"maturity_date": _("The maturity date cannot be after the agreement ends on "
                                                  "%(date)s.") % {"date": agreement.end_date.isoformat()}})
    kyc_require_verified(agreement.pledgor)
    availability = drawdown_availability(agreement, on)
    _require_reliable(availability.valuation)
    figures = {"currency": agreement.currency, "amount": _money(amount), "available": _money(availability.available),
               "max_loan": _money(availability.max_loan), "exposure": _money(availability.exposure),
               "pending": _money(availability.pending), "headroom": _money(availability.headroom)}
    if amount > availability.available:
        raise DrawdownAboveAvailable(
            _("%(currency)s %(amount)s is more than the %(currency)s %(available)s available to draw: max loan "
              "%(max_loan)s − exposure %(exposure)s − requests pending %(pending)s, capped by the facility's "
              "headroom %(headroom)s.") % figures,
            requested=str(amount), available=str(availability.available))
    outstanding = agreement.principal_outstanding + availability.pending
    if outstanding + amount > agreement.maximum_amount:
        raise DrawdownAboveAvailable(
            _("%(currency)s %(amount)s would take the loans under %(ref)s above the maximum amount secured, "
              "%(currency)s %(maximum)s (%(outstanding)s already drawn or requested).") % {
                **figures, "ref": agreement.reference, "maximum": _money(agreement.maximum_amount),
                "outstanding": _money(outstanding)},
            requested=str(amount), available=str(max(ZERO, agreement.maximum_amount - outstanding)))
    number = sequence_next(key=DRAWDOWN_SEQUENCE, year=on.year)
    drawdown = PledgeDrawdown(agreement=agreement, reference=f"PLD-{on.year}-{number:05d}", amount=amount,
                              maturity_date=maturity_date, requested_by=acting_user)
    drawdown.save()
    facility_reserve(facility=agreement.facility, amount=amount, reference=drawdown.reference,
                     acting_user=acting_user, on=on)
    drawdown.approval_case = approval_case_submit(
        case=None, product=Product.PLEDGE, amount=amount, currency=agreement.currency, applicant=agreement.pledgor,
        lender=agreement.lender, parties=[agreement.pledgor], preparer=acting_user, reference=drawdown.reference,
        acting_user=acting_user)
    drawdown.save(update_fields=["approval_case"])
    audit_record(action="pledge.pledgedrawdown.request", target=drawdown, actor=acting_user,
                 target_state=drawdown.state,
                 note=f"{agreement.reference} {agreement.currency} {amount} of {availability.available} available")
    case_start(drawdown)
    return drawdown


def _give_back(drawdown: PledgeDrawdown, acting_user: User | None) -> None:
    facility_release(facility=drawdown.agreement.facility, reference=drawdown.reference, acting_user=acting_user)


@audited
def drawdown_decide(*, drawdown: PledgeDrawdown, approver: User, decision: str, comment: str = "") -> PledgeDrawdown:
    """Record one credit reviewer's decision through the approval routing; the last approval approves the loan.

    Who may decide (the lender's staff of the group whose turn it is, never the requester nor a member
    of the pledgor) is the approval case's rule. A rejection or a return needs a comment; a rejection
    releases the reservation, a return keeps it while the pledgor revises the request.
    """
    agreement, drawdown = _locked(drawdown)
    if drawdown.state != State.REQUESTED:
        raise _not_state(drawdown, _("decided"))
    if decision not in ("approve", "reject", "return"):
        raise ValidationError({"decision": _("Approve, reject or return the drawdown.")})
    # The case is locked and read by approval_decide; its decision carries it back, status included.
    record = approval_decide(case=drawdown.approval_case, approver=approver, decision=decision, comment=comment)
    case = drawdown.approval_case = record.case
    comment = (comment or "").strip()
    if case.status == ApprovalCase.Status.APPROVED:
        drawdown.approve(by=approver, note=comment)
    elif case.status == ApprovalCase.Status.REJECTED:
        drawdown.reject(by=approver, note=comment)
        _give_back(drawdown, approver)
    elif case.status == ApprovalCase.Status.RETURNED:
        drawdown.return_for_revision(by=approver, note=comment)
    drawdown.save()
    complete_step(drawdown, "review", approver)
    return drawdown


def drawdown_approve(*, drawdown: PledgeDrawdown, approver: User, comment: str = "") -> PledgeDrawdown:
    """Approve the drawdown as the credit reviewer whose turn it is."""
    return drawdown_decide(drawdown=drawdown, approver=approver, decision="approve", comment=comment)


def drawdown_reject(*, drawdown: PledgeDrawdown, approver: User, comment: str) -> PledgeDrawdown:
    """Reject the drawdown (a comment is required); its reservation goes back to the facility."""
    return drawdown_decide(drawdown=drawdown, approver=approver, decision="reject", comment=comment)


def drawdown_return(*, drawdown: PledgeDrawdown, approver: User, comment: str) -> PledgeDrawdown:
    """Return the request to the pledgor for revision (a comment is required); its reservation is kept."""
    return drawdown_decide(drawdown=drawdown, approver=approver, decision="return", comment=comment)


@audited
def drawdown_resubmit(*, drawdown: PledgeDrawdown, acting_user: User, note: str = "",
                      on: datetime.date | None = None) -> PledgeDrawdown:
    """Send a returned request to credit review again (the pledgor's operator): a new round of the case.

    The amount is still reserved; it must still fit what the agreement lets the pledgor draw now,
    counting the other requests pending and the reservation this request already holds.
    """
    on = on or timezone.localdate()
    agreement, drawdown = _locked(drawdown)
    require(permissions.can_request_drawdown(acting_user, agreement),
            _("Only an operator of %(org)s resubmits its loan requests.") % {"org": agreement.pledgor})
    if not can_proceed(drawdown.resubmit):
        raise _not_state(drawdown, _("resubmitted"))
    _require_drawable(agreement, on)
    valuation = agreement_valuation(agreement, on)
    _require_reliable(valuation)
    others = pending_amount(agreement, exclude=drawdown)
    room = calc.available_to_draw(valuation.value, agreement.pledge_rate, valuation.exposure + others,
                                  valuation.headroom + drawdown.amount)
    if drawdown.amount > room:
        raise DrawdownAboveAvailable(
            _("%(currency)s %(amount)s is more than the %(currency)s %(available)s the agreement lets you draw now: "
              "max loan %(max_loan)s − exposure %(exposure)s − other requests pending %(pending)s.") % {
                "currency": agreement.currency, "amount": _money(drawdown.amount), "available": _money(room),
                "max_loan": _money(valuation.max_loan), "exposure": _money(valuation.exposure),
                "pending": _money(others)},
            requested=str(drawdown.amount), available=str(room))
    drawdown.approval_case = approval_case_submit(
        case=drawdown.approval_case, product=Product.PLEDGE, amount=drawdown.amount, currency=agreement.currency,
        applicant=agreement.pledgor, lender=agreement.lender, parties=[agreement.pledgor],
        preparer=drawdown.requested_by, reference=drawdown.reference, acting_user=acting_user)
    drawdown.resubmit(by=acting_user, note=(note or "").strip())
    drawdown.save()
    complete_step(drawdown, "revise", acting_user)
    return drawdown


@audited
def drawdown_withdraw(*, drawdown: PledgeDrawdown, acting_user: User, note: str = "") -> PledgeDrawdown:
    """Withdraw a drawdown not yet disbursed (the pledgor's operator); its reservation goes back."""
    agreement, drawdown = _locked(drawdown)
    require(permissions.can_request_drawdown(acting_user, agreement),
            _("Only an operator of %(org)s withdraws its drawdowns.") % {"org": agreement.pledgor})
    if not can_proceed(drawdown.withdraw):
        raise _not_state(drawdown, _("withdrawn"))
    note = (note or "").strip()
    if drawdown.approval_case_id is not None:
        approval_case_withdraw(case=drawdown.approval_case, acting_user=acting_user, note=note or "withdrawn")
    drawdown.withdraw(by=acting_user, note=note)
    _give_back(drawdown, acting_user)
    drawdown.save()
    process_cancel(drawdown)
    return drawdown


def _exposure_changed(agreement: PledgeAgreement) -> None:
    """Send the warehouse a new floor value notice of a dynamic pledge (DESIGN §5: after every change of E).

    The agreement's new principal outstanding is saved before; the notice is rendered after commit.
    """
    if agreement.kind == PledgeAgreement.Kind.DYNAMIC and agreement.state == PledgeAgreement.State.ACTIVE:
        floor_notice_issue(agreement=agreement, acting_user=None)


# --- disbursement ---------------------------------------------------------------------------------

def payout_account_require(drawdown: PledgeDrawdown) -> SettlementAccount:
    """Return the pledgor's verified account the loan is paid into, or refuse (no_settlement_account, 409)."""
    agreement = drawdown.agreement
    account = SettlementAccount.objects.payout_for(agreement.pledgor_id, agreement.currency)
    if account is None:
        raise NoSettlementAccount(
            _("%(ref)s cannot be paid: %(org)s has no verified settlement account in %(currency)s.")
            % {"ref": drawdown.reference, "org": agreement.pledgor.legal_name, "currency": agreement.currency},
            organization=agreement.pledgor_id, currency=agreement.currency)
    return account


def disbursement_lines(drawdown: PledgeDrawdown):
    """The disbursement's entry: the pledgor's loan account debited, the lender's funding credited."""
    agreement = drawdown.agreement
    return lines((party_account(agreement.pledgor, P.ADVANCES, agreement.currency, lender=agreement.lender),
                  drawdown.amount),
                 (house_account(P.LENDER_FUNDING, agreement.currency, lender=agreement.lender), -drawdown.amount))


def drawdown_disbursement_check(*, drawdown: PledgeDrawdown, agreement: PledgeAgreement, acting_user: User,
                                on: datetime.date) -> bool:
    """Raise what paying the loan on `on` refuses; moves nothing. Return False when it was paid already.

    The disbursement calls it under the agreement's and the loan's locks; its preparation
    (scf.releases) on a read, so that both refuse the same things.
    """
    require(permissions.can_disburse_drawdown(acting_user, agreement),
            _("Only the operations staff of %(lender)s disburse its loans.") % {"lender": agreement.lender})
    if drawdown.state in (State.DISBURSED, State.REPAID):
        return False
    if drawdown.state != State.APPROVED:
        raise _not_state(drawdown, _("disbursed"))
    _require_drawable(agreement, on)
    valuation = agreement_valuation(agreement, on)
    _require_reliable(valuation)
    room = calc.available_to_draw(valuation.value, agreement.pledge_rate, valuation.exposure)
    if drawdown.amount > room:
        raise DrawdownAboveAvailable(
            _("%(currency)s %(amount)s is more than the %(currency)s %(available)s the collateral now secures: "
              "max loan %(max_loan)s − exposure %(exposure)s.") % {
                "currency": agreement.currency, "amount": _money(drawdown.amount), "available": _money(room),
                "max_loan": _money(valuation.max_loan), "exposure": _money(valuation.exposure)},
            requested=str(drawdown.amount), available=str(room))
    payout_account_require(drawdown)
    return True


@audited
def drawdown_disburse(*, drawdown: PledgeDrawdown, acting_user: User,
                      on: datetime.date | None = None) -> PledgeDrawdown:
    """Pay an approved loan to the pledgor (operations): one balanced entry, the reservation drawn.

    Refused before the pledge's registration, under an agreement no longer active, on a valuation
    that is stale or leaves less than the loan to draw. Pressing it again changes nothing.
    """
    on = on or timezone.localdate()
    agreement, drawdown = _locked(drawdown)
    if not drawdown_disbursement_check(drawdown=drawdown, agreement=agreement, acting_user=acting_user, on=on):
        return drawdown
    ledger_post(idempotency_key=entry_key("pledge", drawdown.reference, "disbursement"),
                lines=disbursement_lines(drawdown),
                description=_("Disbursement of %(ref)s to %(org)s") % {"ref": drawdown.reference,
                                                                     "org": agreement.pledgor.legal_name},
                acting_user=acting_user, value_date=on)
    facility_consume(facility=agreement.facility, reference=drawdown.reference, acting_user=acting_user)
    drawdown.disburse(on=on, by=acting_user)
    drawdown.interest_accrued_to = on
    drawdown.save()
    agreement.principal_outstanding += drawdown.amount
    agreement.save(update_fields=["principal_outstanding"])
    revalue_agreement(agreement=agreement, trigger=PledgeRevaluation.Trigger.DRAWDOWN, acting_user=acting_user)
    _exposure_changed(agreement)
    document_generate(obj=drawdown, kind_code=DISBURSEMENT_ADVICE, language=agreement.pledgor.preferred_language,
                      acting_user=acting_user)
    complete_step(drawdown, "disburse", acting_user)
    return drawdown


# --- interest -------------------------------------------------------------------------------------

def interest_exact(drawdown: PledgeDrawdown, to_date: datetime.date) -> Decimal:
    """Return the exact (unrounded) interest for the days from disbursement (inclusive) to `to_date` (exclusive).

    Each day's principal is the amount less the principal repaid by repayments dated on or before
    that day (the day of repayment carries no interest on what it repaid).
    """
    start = drawdown.disbursed_on
    if start is None or to_date <= start:
        return Decimal("0")
    agreement = drawdown.agreement
    repayments = sorted(drawdown.repayments.filter(principal_part__gt=0, value_date__lt=to_date)
                        .values_list("value_date", "principal_part"))
    basis = DayCount(agreement.day_count).basis
    with localcontext() as ctx:
        ctx.prec = 50
        total = Decimal("0")
        principal = drawdown.amount
        cursor = start
        for paid_on, paid in repayments + [(to_date, ZERO)]:
            if paid_on > cursor:
                stretch_end = min(paid_on, to_date)
                total += principal * agreement.annual_rate * (stretch_end - cursor).days / basis
                cursor = stretch_end
            principal -= paid
            if cursor >= to_date:
                break
        return total


def _accrue(drawdown: PledgeDrawdown, to_date: datetime.date, acting_user: User | None) -> Decimal:
    """Post round(exact interest to date) − interest already posted; return what was posted."""
    agreement = drawdown.agreement
    currency = agreement.currency
    due = accrual_post(
        exact=interest_exact(drawdown, to_date), posted=drawdown.interest_posted,
        idempotency_key=entry_key("pledge", drawdown.reference, "interest", to_date),
        debit=lambda: party_account(agreement.pledgor, P.INTEREST_RECEIVABLE, currency, lender=agreement.lender),
        credit=lambda: house_account(P.INTEREST_INCOME, currency, lender=agreement.lender),
        description=_("Interest on %(ref)s to %(date)s") % {"ref": drawdown.reference, "date": to_date},
        acting_user=acting_user, value_date=to_date)
    if drawdown.interest_accrued_to is None or to_date > drawdown.interest_accrued_to:
        drawdown.interest_accrued_to = to_date
    drawdown.interest_posted += due
    drawdown.save(update_fields=["interest_posted", "interest_accrued_to"])
    return due


@audited
def drawdown_accrue_interest(*, drawdown: PledgeDrawdown, on: datetime.date) -> Decimal:
    """Bring the posted interest up to the exact accrual for the days before `on`; run twice, it posts once."""
    drawdown = drawdown_lock(pk=drawdown.pk)
    if drawdown.state != State.DISBURSED or drawdown.principal_outstanding <= 0:
        return ZERO
    return _accrue(drawdown, on, None)


def drawdowns_accrue_interest(*, on: datetime.date | None = None) -> int:
    """The daily job: accrue interest on every disbursed drawdown to `on` (today); return how many posted."""
    on = on or timezone.localdate()
    posted = 0
    for pk in PledgeDrawdown.objects.filter(state=State.DISBURSED).values_list("pk", flat=True):
        if drawdown_accrue_interest(drawdown=PledgeDrawdown(pk=pk), on=on):
            posted += 1
    return posted


def drawdowns_accrue_interest_daily(on: datetime.date) -> int:
    """The daily job's entry point (`scf.core.jobs.run_daily` passes the day)."""
    return drawdowns_accrue_interest(on=on)


# --- repayment ------------------------------------------------------------------------------------

def drawdown_receipt_apply(drawdown: PledgeDrawdown, amount: Decimal, *, value_date: datetime.date,
                           bank_reference: str, acting_user: User | None, payer: Organization | None,
                           debit: AccountRef) -> Applied:
    """Pledge's receipt handler: accrue to the value date, then interest first, then principal; more waits in suspense.

    The drawdown and its agreement are locked by the caller; the balances change here and are saved
    by `_after_repayment`.
    """
    agreement = drawdown.agreement
    if drawdown.state != State.DISBURSED:
        raise _not_state(drawdown, _("repaid"))
    if value_date < drawdown.disbursed_on:
        raise ValidationError({"value_date": _("The value date is before the disbursement on %(date)s.")
                               % {"date": drawdown.disbursed_on.isoformat()}})
    if drawdown.interest_accrued_to and value_date < drawdown.interest_accrued_to:
        raise ValidationError({"value_date": _(
            "Interest is already posted to %(date)s; a repayment dated earlier needs a correcting entry by the "
            "back office.") % {"date": drawdown.interest_accrued_to.isoformat()}})
    payer = payer or agreement.pledgor
    _accrue(drawdown, value_date, acting_user)
    taken, left = allocate_in_order(amount, [("interest", drawdown.interest_outstanding),
                                             ("principal", drawdown.principal_outstanding)])
    interest, principal = taken["interest"], taken["principal"]
    drawdown.interest_paid += interest
    drawdown.principal_outstanding -= principal
    agreement.principal_outstanding -= principal
    currency, pledgor = agreement.currency, agreement.pledgor
    entry = ledger_post(
        idempotency_key=entry_key("pledge", drawdown.reference, "repayment", bank_reference),
        lines=lines((debit, amount),
                    (party_account(pledgor, P.INTEREST_RECEIVABLE, currency, lender=agreement.lender), -interest),
                    (party_account(pledgor, P.ADVANCES, currency, lender=agreement.lender), -principal),
                    (house_account(P.SUSPENSE, currency, lender=agreement.lender), -left)),
        description=_("Repayment %(bank)s of %(ref)s") % {"bank": bank_reference, "ref": drawdown.reference},
        acting_user=acting_user, value_date=value_date)
    return Applied(kind=Receipt.Kind.DEBTOR_PAYMENT, payer=payer,
                   allocation={"applied_interest": interest, "applied_advance": principal, "suspense": left},
                   entry=entry)


def _after_repayment(agreement: PledgeAgreement, drawdown: PledgeDrawdown, receipt: Receipt,
                     acting_user: User | None) -> PledgeDrawdownRepayment:
    """Record the repayment, give the facility its headroom back, mark the loan repaid when no principal is left."""
    repayment = PledgeDrawdownRepayment.objects.create(
        drawdown=drawdown, receipt=receipt, bank_reference=receipt.bank_reference, amount=receipt.amount,
        interest_part=receipt.applied_interest, principal_part=receipt.applied_advance, value_date=receipt.value_date)
    if receipt.applied_advance:
        facility_restore(facility=agreement.facility, amount=receipt.applied_advance,
                         reference=f"{drawdown.reference}:{receipt.bank_reference}", acting_user=acting_user)
    if drawdown.principal_outstanding == 0:
        drawdown.repaid(on=receipt.value_date, by=acting_user)
    drawdown.save()
    agreement.save(update_fields=["principal_outstanding"])
    if receipt.applied_advance:  # interest alone leaves the exposure as it was
        _exposure_changed(agreement)
        # Re-valued last: the revaluation may find the agreement in liquidation and put it in default.
        revalue_agreement(agreement=agreement, trigger=PledgeRevaluation.Trigger.REPAYMENT, acting_user=acting_user)
        agreement_wind_up_when_done(agreement)
    repayment.drawdown = drawdown
    document_generate(obj=repayment, kind_code=REPAYMENT_ADVICE, language=agreement.pledgor.preferred_language,
                      acting_user=acting_user)
    audit_record(action="pledge.pledgedrawdown.repayment", target=drawdown, actor=acting_user,
                 note=f"{receipt.bank_reference} {receipt.currency} {receipt.amount} → interest "
                      f"{receipt.applied_interest}, principal {receipt.applied_advance}, suspense {receipt.suspense}")
    return repayment


def _repayment_of(drawdown: PledgeDrawdown, receipt: Receipt) -> PledgeDrawdownRepayment:
    return PledgeDrawdownRepayment.objects.get(drawdown=drawdown, receipt=receipt)


@audited
def drawdown_repay(*, drawdown: PledgeDrawdown, amount, bank_reference: str, on: datetime.date,
                   acting_user: User, payer: Organization | None = None) -> PledgeDrawdownRepayment:
    """Record money received for a loan (operations) through collections: interest first, then principal.

    The principal repaid goes back to the facility (kept as headroom when it revolves); the loan is
    repaid once no principal is left; more than is owed waits in suspense. The same bank reference
    again answers the first repayment and posts nothing.
    """
    amount = _clean_amount(amount) if not isinstance(amount, Decimal) else amount
    amount, bank_reference = receipt_input_clean(amount=amount, value_date=on, bank_reference=bank_reference)
    agreement, drawdown = _locked(drawdown)
    require_receipts_staff(acting_user, lender=agreement.lender, action=_("record receipts"))
    receipt, new = receipt_apply(case=drawdown, amount=amount, value_date=on, bank_reference=bank_reference,
                                 acting_user=acting_user, payer=payer)
    if not new:
        return _repayment_of(drawdown, receipt)
    return _after_repayment(agreement, drawdown, receipt, acting_user)


@audited
def drawdown_suspense_apply(*, receipt: Receipt, case: PledgeDrawdown, acting_user: User,
                            payer: Organization | None = None) -> Receipt:
    """Apply an unmatched receipt waiting in suspense to the loan it turned out to repay."""
    agreement, drawdown = _locked(case)
    require_receipts_staff(acting_user, lender=agreement.lender, action=_("apply money in suspense"))
    receipt, new = receipt_apply_from_suspense(receipt=receipt, case=drawdown, acting_user=acting_user, payer=payer)
    if new:
        _after_repayment(agreement, drawdown, receipt, acting_user)
    return receipt


def drawdown_by_reference(reference: str, user: User) -> PledgeDrawdown | None:
    """Return the drawdown with this reference that the user may see, or None."""
    return tenancy.visible(PledgeDrawdown, user).filter(reference=reference).first()


def _drawdown_url(drawdown_pk: int) -> str:
    return reverse("pledge:drawdown-detail", kwargs={"drawdown_pk": drawdown_pk})


RECEIPT_HANDLER = ReceiptHandler(
    model=PledgeDrawdown,
    apply=drawdown_receipt_apply,
    apply_from_suspense=drawdown_suspense_apply,
    find=drawdown_by_reference,
    payers=lambda drawdown: {"pledgor": drawdown.agreement.pledgor},
    payer_labels={"pledgor": gettext_lazy("paid by the pledgor")},
    url=_drawdown_url,
)
