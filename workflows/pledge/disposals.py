"""Default of a pledge agreement and the disposal of its goods (违约处置), DESIGN §5 "Default" and §6.

`agreement_default` is the one entry point: the margin call's expiry calls it, and so does the
revaluation's zone-change handler when an agreement enters liquidation (LTV ≥ l). It records the
default, freezes the pledgor's facilities with the lender, opens the disposal case and issues the
default notice; a second call changes nothing. Loans and releases are refused from then on (their
services require an active agreement).

The goods are sold (negotiated sale, auction or agreed sale — never forfeited). One of the lender's
operations staff enters the sale; a second person approves it, and the approval settles it under the
agreement's and the disposal's row locks: the proceeds pay the costs of sale, then interest, then
principal (`calculations.disposal_allocation`), in one balanced ledger entry posted once, the loans
reduced as a repayment reduces them, the goods marked disposed, the surplus owed to the pledgor. The
agreement closes when nothing is owed any more, or stays in default with the shortfall owed.
Lock order: agreement, then disposal, then drawdowns (as the drawdown services), then facility.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from documents.services import document_generate
from scf.audit.services import audit_record, audited
from scf.core.sequences import sequence_next
from scf.facilities.services import facilities_risk_stop, facility_restore
from scf.ledger.models import Account
from scf.ledger.services import entry_key, house_account, ledger_post, lines, party_account
from scf.money import MAX_AMOUNT_IN_WORDS, allocate_in_order, round_money
from scf.parties.models import User
from scf.parties.permissions import require
from workflows.inbox.services import process_cancel

from . import calculations as calc
from . import permissions
from .agreements import agreement_lock
from .disposal_documents import DEFAULT_NOTICE, SETTLEMENT_STATEMENT
from .drawdowns import _accrue, drawdown_lock, interest_exact
from .exceptions import AgreementStateConflict, DisposalFourEyes, DisposalStateConflict
from .models import PledgeAgreement, PledgeDisposal, PledgedItem, PledgeDrawdown
from .revaluation import ZoneChange

ZERO = Decimal("0.00")
P = Account.Purpose
State = PledgeDisposal.State
DISPOSAL_SEQUENCE = "pledge.disposal"
LIQUIDATION = calc.Zone.LIQUIDATION


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def disposal_lock(*, pk: int, agreement: PledgeAgreement | None = None) -> PledgeDisposal:
    """Return the disposal under its row lock (take the agreement's lock first)."""
    disposal = PledgeDisposal.objects.select_for_update(of=("self",)).get(pk=pk)
    disposal.agreement = agreement or PledgeAgreement.objects.select_related(
        "lender", "pledgor", "warehouse", "facility").get(pk=disposal.agreement_id)
    return disposal


def _locked(disposal: PledgeDisposal) -> tuple[PledgeAgreement, PledgeDisposal]:
    agreement = agreement_lock(pk=disposal.agreement_id)
    return agreement, disposal_lock(pk=disposal.pk, agreement=agreement)


def open_disposal(agreement: PledgeAgreement) -> PledgeDisposal | None:
    """Return the agreement's disposal not yet settled or cancelled, if any."""
    return agreement.disposals.filter(state__in=PledgeDisposal.OPEN).first()


def _loans(agreement: PledgeAgreement) -> list[PledgeDrawdown]:
    """The disbursed loans of the agreement, oldest first: the order the proceeds pay them in."""
    return list(agreement.drawdowns.filter(state=PledgeDrawdown.State.DISBURSED).order_by("disbursed_on", "pk"))


# --- default --------------------------------------------------------------------------------------

@audited
def agreement_default(*, agreement: PledgeAgreement, reason: str, acting_user: User | None = None,
                      on: datetime.date | None = None) -> PledgeDisposal:
    """Put an active agreement in default: facility frozen, loans and releases stopped, a disposal opened.

    Idempotent: called on an agreement already in default it returns its disposal and changes nothing.
    Refused (409) on an agreement that is neither active nor in default.
    """
    on = on or timezone.localdate()
    agreement = agreement_lock(pk=agreement.pk)
    if acting_user is not None:
        require(permissions.can_handle_disposal(acting_user, agreement),
                _("Only the operations staff of %(lender)s put its agreements in default.")
                % {"lender": agreement.lender})
    if agreement.state == PledgeAgreement.State.DEFAULTED:
        disposal = open_disposal(agreement) or agreement.disposals.order_by("-pk").first()
        if disposal is not None:
            return disposal
    elif agreement.state != PledgeAgreement.State.ACTIVE:
        raise AgreementStateConflict(_("Agreement %(ref)s is %(state)s: only an active agreement can default.")
                                     % {"ref": agreement.reference, "state": agreement.get_state_display()})
    reason = (reason or "").strip() or _("Default")
    at = timezone.now()
    if agreement.state == PledgeAgreement.State.ACTIVE:
        agreement.declare_default(at=at, reason=reason[:500], by=acting_user, note=reason[:500])
        agreement.save(update_fields=["state", "defaulted_at", "default_reason"])
    facilities_risk_stop(
        lender=agreement.lender, obligors=[agreement.pledgor],
        note=_("Risk stop: pledge agreement %(ref)s of %(org)s is in default (%(reason)s).")
        % {"ref": agreement.reference, "org": agreement.pledgor.legal_name, "reason": reason})
    number = sequence_next(key=DISPOSAL_SEQUENCE, year=on.year)
    disposal = PledgeDisposal.objects.create(
        agreement=agreement, reference=f"PDS-{on.year}-{number:05d}", reason=reason[:500], opened_at=at,
        currency=agreement.currency, principal_due=agreement.principal_outstanding,
        interest_due=sum((d.interest_outstanding for d in _loans(agreement)), ZERO))
    audit_record(action="pledge.pledgedisposal.open", target=disposal, actor=acting_user,
                 target_state=disposal.state, note=f"{agreement.reference}: {reason[:200]}")
    document_generate(obj=agreement, kind_code=DEFAULT_NOTICE, language=agreement.pledgor.preferred_language,
                      acting_user=acting_user)
    return disposal


def default_on_liquidation(revaluation, changes: list[ZoneChange]) -> int:
    """Zone-change handler: put in default the active agreements that entered liquidation; return how many.

    Called inside the revaluation's transaction with the changes of that run only; those entering
    liquidation are few, so each is handled by `agreement_default` (one agreement at a time, in key order).
    """
    ids = sorted({c.agreement_id for c in changes if c.new_zone == LIQUIDATION})
    if not ids:
        return 0
    # Only a valuation that can be relied on puts an agreement in default: a missing price never counts
    # as zero (DESIGN §5), and a stale price waits for a fresh one.
    due = PledgeAgreement.objects.filter(pk__in=ids, state=PledgeAgreement.State.ACTIVE,
                                         stored_valuation__missing_price=False, stored_valuation__stale=False)
    done = 0
    for agreement in due.order_by("pk"):
        agreement_default(agreement=agreement, on=revaluation.valued_on,
                          reason=_("The loan-to-value ratio reached the liquidation line on %(date)s.")
                          % {"date": revaluation.valued_on.isoformat()})
        done += 1
    return done


# --- the sale -------------------------------------------------------------------------------------

def _clean_money(value, field: str, label: str) -> Decimal:
    if value is None or value == "":
        raise ValidationError({field: _("Enter the %(what)s.") % {"what": label}})
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        raise ValidationError({field: _("Enter the %(what)s as a number.") % {"what": label}}) from None
    if not amount.is_finite():
        raise ValidationError({field: _("Enter the %(what)s as a number.") % {"what": label}})
    if amount < 0:
        raise ValidationError({field: _("The %(what)s cannot be negative.") % {"what": label}})
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationError({field: _("Amounts are kept to the cent.")})
    if amount > MAX_AMOUNT_IN_WORDS:
        raise ValidationError({field: _("The amount is above the largest amount accepted.")})
    return amount


def _interest_to(drawdown: PledgeDrawdown, to_date: datetime.date) -> Decimal:
    """Interest owed on the loan once accrued to `to_date`: what is posted and unpaid, plus what would post."""
    from_accrual = ZERO
    if drawdown.interest_accrued_to is None or to_date > drawdown.interest_accrued_to:
        from_accrual = max(ZERO, round_money(interest_exact(drawdown, to_date)) - drawdown.interest_posted)
    return drawdown.interest_outstanding + from_accrual


def amounts_due(agreement: PledgeAgreement, on: datetime.date) -> tuple[Decimal, Decimal]:
    """Return (interest, principal) owed under the agreement on `on`, interest accrued to that day."""
    loans = _loans(agreement)
    return (sum((_interest_to(d, on) for d in loans), ZERO),
            sum((d.principal_outstanding for d in loans), ZERO))


def _allocation(disposal: PledgeDisposal, interest_due: Decimal, principal_due: Decimal) -> calc.DisposalAllocation:
    try:
        return calc.disposal_allocation(proceeds=disposal.gross_proceeds, costs=disposal.costs_of_sale,
                                        interest_due=interest_due, principal_due=principal_due)
    except calc.PledgeCalculationError as error:
        raise ValidationError({error.field: error.message}) from None


def _store(disposal: PledgeDisposal, interest_due: Decimal, principal_due: Decimal,
           allocation: calc.DisposalAllocation) -> None:
    disposal.interest_due, disposal.principal_due = interest_due, principal_due
    disposal.applied_costs, disposal.applied_interest = allocation.costs, allocation.interest
    disposal.applied_principal, disposal.surplus = allocation.principal, allocation.surplus
    disposal.shortfall = allocation.shortfall


@audited
def disposal_record_sale(*, disposal: PledgeDisposal, method: str, buyer: str, sale_date: datetime.date,
                         gross_proceeds, costs_of_sale, acting_user: User, note: str = "") -> PledgeDisposal:
    """Enter the sale (the lender's operations, the maker): method, buyer, date, gross proceeds, costs of sale.

    The application of the proceeds is computed and stored for the checker to see. Entered again before
    the approval, it replaces the figures. Refused, with nothing changed: negative proceeds or costs,
    costs above the proceeds, a sale date in the future or before the default, a disposal settled or
    cancelled (409).
    """
    errors: dict[str, str] = {}
    if method not in PledgeDisposal.Method.values:
        errors["method"] = _("Choose how the goods were sold: negotiated sale, auction or agreed sale.")
    buyer = (buyer or "").strip()
    if not buyer:
        errors["buyer"] = _("Enter the buyer.")
    for field, label, value in (("gross_proceeds", _("gross proceeds"), gross_proceeds),
                                ("costs_of_sale", _("costs of sale"), costs_of_sale)):
        try:
            amount = _clean_money(value, field, label)
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
        else:
            if field == "gross_proceeds":
                gross_proceeds = amount
            else:
                costs_of_sale = amount
    if "gross_proceeds" not in errors and "costs_of_sale" not in errors and costs_of_sale > gross_proceeds:
        errors["costs_of_sale"] = _("The costs of sale (%(costs)s) cannot be more than the proceeds (%(proceeds)s).") % {
            "costs": _money(costs_of_sale), "proceeds": _money(gross_proceeds)}
    if sale_date is None:
        errors["sale_date"] = _("Enter the sale date.")
    elif sale_date > timezone.localdate():
        errors["sale_date"] = _("The sale date cannot be in the future.")
    agreement, disposal = _locked(disposal)
    require(permissions.can_handle_disposal(acting_user, agreement),
            _("Only the operations staff of %(lender)s enter the sale of pledged goods.") % {"lender": agreement.lender})
    if disposal.state not in PledgeDisposal.OPEN:
        raise DisposalStateConflict(_("Disposal %(ref)s is %(state)s: no sale can be entered on it.") % {
            "ref": disposal.reference, "state": disposal.get_state_display()})
    if sale_date is not None and "sale_date" not in errors and agreement.defaulted_at is not None \
            and sale_date < timezone.localtime(agreement.defaulted_at).date():
        errors["sale_date"] = _("The sale date cannot be before the default on %(date)s.") % {
            "date": timezone.localtime(agreement.defaulted_at).date().isoformat()}
    if errors:
        raise ValidationError(errors)
    disposal.method, disposal.buyer, disposal.sale_date = method, buyer[:200], sale_date
    disposal.gross_proceeds, disposal.costs_of_sale = gross_proceeds, costs_of_sale
    if note:
        disposal.note = (note or "").strip()
    interest_due, principal_due = amounts_due(agreement, sale_date)
    _store(disposal, interest_due, principal_due, _allocation(disposal, interest_due, principal_due))
    disposal.record_sale(by=acting_user, at=timezone.now(),
                         note=f"{method} {buyer[:60]} {disposal.currency} {gross_proceeds} costs {costs_of_sale}")
    disposal.save()
    return disposal


def settlement_lines(disposal: PledgeDisposal) -> list:
    """The settlement's entry: the proceeds received, paid to the costs, the interest, the principal, the surplus.

    Debit the lender's collection account with the gross proceeds; credit the lender's funding with the
    costs of sale it pays out of them, the pledgor's interest receivable and loan account with what they
    take, and the pledgor's settlement account with the surplus owed back to it.
    """
    agreement = disposal.agreement
    currency, lender, pledgor = agreement.currency, agreement.lender, agreement.pledgor
    return lines((house_account(P.DEBTOR_COLLECTION, currency, lender=lender), disposal.gross_proceeds),
                 (house_account(P.LENDER_FUNDING, currency, lender=lender), -disposal.applied_costs),
                 (party_account(pledgor, P.INTEREST_RECEIVABLE, currency, lender=lender), -disposal.applied_interest),
                 (party_account(pledgor, P.ADVANCES, currency, lender=lender), -disposal.applied_principal),
                 (party_account(pledgor, P.SUPPLIER_SETTLEMENT, currency, lender=lender), -disposal.surplus))


@audited
def disposal_settle(*, disposal: PledgeDisposal, acting_user: User) -> PledgeDisposal:
    """Approve the sale entered by another person (the checker) and settle it; pressed again it changes nothing.

    Interest is accrued to the sale date, the proceeds applied (costs, interest, then principal, loan by
    loan oldest first), one balanced entry posted under the disposal's key, the goods marked disposed,
    the settlement statement issued. The agreement closes when nothing is owed any more.
    """
    agreement, disposal = _locked(disposal)
    require(permissions.can_handle_disposal(acting_user, agreement),
            _("Only the operations staff of %(lender)s approve the sale of pledged goods.") % {"lender": agreement.lender})
    if disposal.state == State.SETTLED:
        return disposal
    if disposal.state != State.SALE_RECORDED:
        raise DisposalStateConflict(_("Disposal %(ref)s is %(state)s: only a recorded sale can be approved and "
                                      "settled.") % {"ref": disposal.reference, "state": disposal.get_state_display()})
    if acting_user.pk == disposal.recorded_by_id:
        raise DisposalFourEyes(_("You entered the sale of %(ref)s; a second person must approve it.")
                               % {"ref": disposal.reference})
    on = disposal.sale_date
    loans = [drawdown_lock(pk=d.pk, agreement=agreement) for d in _loans(agreement)]
    for drawdown in loans:
        if drawdown.interest_accrued_to is None or on > drawdown.interest_accrued_to:
            _accrue(drawdown, on, acting_user)
    interest_due = sum((d.interest_outstanding for d in loans), ZERO)
    principal_due = sum((d.principal_outstanding for d in loans), ZERO)
    allocation = _allocation(disposal, interest_due, principal_due)
    _store(disposal, interest_due, principal_due, allocation)
    interest_taken, _left = allocate_in_order(allocation.interest,
                                              [(d.pk, d.interest_outstanding) for d in loans])
    principal_taken, _left = allocate_in_order(allocation.principal,
                                               [(d.pk, d.principal_outstanding) for d in loans])
    entry = ledger_post(idempotency_key=entry_key("pledge", disposal.reference, "settlement"),
                        lines=settlement_lines(disposal),
                        description=_("Settlement of disposal %(ref)s of agreement %(agreement)s") % {
                            "ref": disposal.reference, "agreement": agreement.reference},
                        acting_user=acting_user, value_date=on)
    for drawdown in loans:
        interest, principal = interest_taken[drawdown.pk], principal_taken[drawdown.pk]
        drawdown.interest_paid += interest
        drawdown.principal_outstanding -= principal
        if principal:
            facility_restore(facility=agreement.facility, amount=principal,
                             reference=f"{disposal.reference}:{drawdown.reference}", acting_user=acting_user)
        if drawdown.principal_outstanding == 0:
            drawdown.repaid(on=on, by=acting_user)
        drawdown.save()
    agreement.principal_outstanding -= allocation.principal
    disposed = PledgedItem.objects.filter(agreement=agreement, status__in=PledgedItem.HELD)
    disposed_count = disposed.update(status=PledgedItem.Status.DISPOSED)
    disposal.ledger_entry = entry
    disposal.settle(by=acting_user, at=timezone.now(),
                    note=f"proceeds {disposal.gross_proceeds}: costs {allocation.costs}, interest {allocation.interest}, "
                      f"principal {allocation.principal}, surplus {allocation.surplus}, shortfall "
                      f"{allocation.shortfall}; {disposed_count} item(s) disposed")
    disposal.save()
    fields = ["principal_outstanding"]
    if allocation.shortfall == 0 and agreement.principal_outstanding == 0:
        agreement.close_after_disposal(at=timezone.now(), by=acting_user, note=disposal.reference)
        fields += ["state", "closed_at"]
    agreement.save(update_fields=fields)
    if agreement.state == PledgeAgreement.State.CLOSED:
        process_cancel(agreement)
    document_generate(obj=disposal, kind_code=SETTLEMENT_STATEMENT,
                      language=agreement.pledgor.preferred_language, acting_user=acting_user)
    return disposal


@audited
def disposal_cancel(*, disposal: PledgeDisposal, acting_user: User, reason: str) -> PledgeDisposal:
    """Cancel a disposal not settled yet (a reason is required); the agreement stays in default."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the disposal is cancelled.")})
    agreement, disposal = _locked(disposal)
    require(permissions.can_handle_disposal(acting_user, agreement),
            _("Only the operations staff of %(lender)s cancel a disposal.") % {"lender": agreement.lender})
    if disposal.state not in PledgeDisposal.OPEN:
        raise DisposalStateConflict(_("Disposal %(ref)s is %(state)s: it cannot be cancelled.") % {
            "ref": disposal.reference, "state": disposal.get_state_display()})
    disposal.cancel(by=acting_user, note=reason[:200])
    disposal.note = f"{disposal.note}\n{reason}".strip()
    disposal.save()
    return disposal
