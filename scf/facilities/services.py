"""Writes for credit facilities: creation, life cycle and the limit movements.

Every balance change locks the facility row first (`facility_lock`), so that
reserved + outstanding never exceeds the limit however many requests race.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from scf.audit.services import audit_record, audited
from scf.core.exceptions import ActionNotPermitted, IllegalTransition
from scf.core.races import insert_unless_taken
from scf.core.sequences import sequence_next
from scf.money import to_decimal
from scf.parties.models import LenderClient, Organization, User
from scf.parties.permissions import four_eyes_require
from scf.parties.services import kyc_require_verified, lender_client_add

from .exceptions import FacilityLimitExceeded, FacilityUnavailable, LimitBelowUsed, LimitChangeOpen, ReservationError
from .models import CreditFacility, FacilityLimitChange, FacilityMovement, FacilityReservation, Product
from .permissions import (
    DECIDE_PERMISSION,
    can_cancel_limit_change,
    can_propose_limit_change,
    facility_parties,
)

CENT = Decimal("0.01")


def facility_lock(*, pk: int) -> CreditFacility:
    """Return the facility, locked for update until the transaction ends."""
    return CreditFacility.objects.select_for_update().get(pk=pk)


def _clean_amount(amount, field: str = "amount") -> Decimal:
    # A dict given to ValidationError drops `code=`, so each message carries its own code.
    try:
        value = to_decimal(amount)
        # Too many digits to hold in cents raises InvalidOperation here, not a 500 later.
        cents = value.quantize(CENT)
    except (TypeError, ValueError, InvalidOperation):
        raise ValidationError({field: ValidationError(_("Enter a number."), code="invalid")}) from None
    if value <= 0:
        raise ValidationError({field: ValidationError(_("The amount must be greater than zero."), code="min_value")})
    if value != cents:
        raise ValidationError(
            {field: ValidationError(_("Amounts have at most two decimal places."), code="max_decimal_places")}
        )
    return value


FACILITY_SEQUENCE = "facilities.facility"


#: The roles an obligor of each product plays: who owes the lender under it.
OBLIGOR_ROLES = {
    Product.FACTORING: ("supplier",),
    Product.REVERSE_FACTORING: ("core",),
    Product.PLEDGE: ("supplier", "distributor"),
    # The distributor's facility and the core enterprise's guarantee line.
    Product.CONFIRMING: ("distributor", "core"),
}


def obligor_role_refusal(obligor: Organization, product: str) -> str:
    """Return why `obligor` cannot owe under a facility of `product` (its roles), or "" when it can."""
    roles = OBLIGOR_ROLES.get(product)
    if roles is None or any(getattr(obligor, Organization.role_field(role)) for role in roles):
        return ""
    return _("%(org)s is not a %(roles)s: it cannot be the obligor of a %(product)s facility.") % {
        "org": obligor, "roles": _(" or ").join(str(Organization.Role(role).label).lower() for role in roles),
        "product": str(Product(product).label).lower()}


def _next_reference(year: int) -> str:
    return f"CF-{year}-{sequence_next(key=FACILITY_SEQUENCE, year=year):05d}"


@audited
def facility_create(*, lender: Organization, obligor: Organization, product: str, limit_amount,
                    valid_from: datetime.date, valid_to: datetime.date, acting_user: User | None,
                    currency: str = "CNY", revolving: bool = True, max_tenor_days: int = 180,
                    day_count: str = "ACT/360") -> CreditFacility:
    """Propose a facility; it reserves nothing until activated.

    The proposer is staff of the lender with the right to propose facilities; None is reserved for
    data loads run by an administrator from the command line.
    """
    errors = {}
    if not lender.is_lender:
        errors["lender"] = _("%(org)s is not a lender.") % {"org": lender}
    if valid_to < valid_from:
        errors["valid_to"] = _("The end of validity must not be before its start.")
    elif acting_user is not None and valid_to < timezone.localdate():
        # A data load run from the command line (no acting user) may record facilities of the past.
        errors["valid_to"] = _("The validity ended on %(date)s: a facility is proposed for today or the future.") % {
            "date": valid_to.isoformat()}
    role_refusal = obligor_role_refusal(obligor, product)
    if role_refusal:
        errors["obligor"] = role_refusal
    if errors:
        raise ValidationError(errors)
    if acting_user is not None and not (
        acting_user.has_perm("facilities.add_creditfacility")
        and (acting_user.is_superuser or lender.memberships.filter(user=acting_user).exists())
    ):
        raise ActionNotPermitted(_("Only staff of %(lender)s may propose its facilities.") % {"lender": lender})
    kyc_require_verified(obligor)
    facility = CreditFacility(
        lender=lender, obligor=obligor, product=product, currency=currency,
        limit_amount=_clean_amount(limit_amount, "limit_amount"), revolving=revolving,
        valid_from=valid_from, valid_to=valid_to, max_tenor_days=max_tenor_days, day_count=day_count,
        created_by=acting_user,
    )
    facility.full_clean(exclude=["state", "reference"])
    facility.reference = _next_reference(valid_from.year)
    facility.save()
    audit_record(action="facilities.facility.create", target=facility, actor=acting_user)
    lender_client_add(lender=lender, organization=obligor, source=LenderClient.Source.FACILITY,
                      acting_user=acting_user)
    return facility


def _fire(facility: CreditFacility, name: str, acting_user: User | None, note: str = "",
          check_permission: bool = True, guard=None) -> CreditFacility:
    facility = facility_lock(pk=facility.pk)
    method = getattr(facility, name)
    if not can_proceed(method):
        raise IllegalTransition(
            _("A facility in state “%(state)s” cannot be %(action)s.")
            % {"state": facility.get_state_display(), "action": _TRANSITION_WORDS.get(name, name)}
        )
    if check_permission and (acting_user is None or not has_transition_perm(method, acting_user)):
        raise ActionNotPermitted()
    if guard is not None:
        guard(facility)
    method(by=acting_user, note=note)
    facility.save()
    return facility


_TRANSITION_WORDS = {
    "activate": _("activated"),
    "freeze": _("frozen"),
    "unfreeze": _("unfrozen"),
    "expire": _("expired"),
    "close": _("closed"),
}


@audited
def facility_activate(*, facility: CreditFacility, acting_user: User, note: str = "") -> CreditFacility:
    """Make a proposed facility available: a second person, not the proposer nor a member of its parties.

    Its obligor's KYC must be verified.
    """

    def guard(facility: CreditFacility) -> None:
        four_eyes_require(acting_user, preparer_id=facility.created_by_id,
                          organizations=[o for o in (facility.obligor, facility.anchor) if o is not None],
                          lender=facility.lender,
                          prepared=_("You proposed facility %(ref)s; a second person must activate it.")
                          % {"ref": facility.reference})
        kyc_require_verified(facility.obligor)
        if facility.is_past_validity():
            raise IllegalTransition(_("Facility %(ref)s was valid until %(date)s: it cannot be activated.")
                                    % {"ref": facility.reference, "date": facility.valid_to.isoformat()})

    return _fire(facility, "activate", acting_user, note, guard=guard)


@audited
def facility_freeze(*, facility: CreditFacility, acting_user: User, note: str = "") -> CreditFacility:
    return _fire(facility, "freeze", acting_user, note)


@audited
def facility_unfreeze(*, facility: CreditFacility, acting_user: User, note: str = "") -> CreditFacility:
    """Lift a freeze; the comment saying why is required and goes on the record."""
    note = (note or "").strip()
    return _fire(facility, "unfreeze", acting_user, note, guard=lambda f: _require_comment(note))


def _require_comment(note: str) -> None:
    if not note:
        raise ValidationError({"note": ValidationError(
            _("Say why the facility is unfrozen: a comment is required."), code="required")})


@audited
def facilities_risk_stop(*, lender: Organization, obligors: list[Organization], note: str) -> list[CreditFacility]:
    """Freeze every active facility `lender` granted to `obligors`, with the reason; return those frozen.

    The system's own freeze (no acting user), fired when a financing falls overdue: no new money goes
    out on them until a risk manager unfreezes each with a comment. Frozen ones are left alone, so
    running it again changes nothing.
    """
    frozen = []
    due = CreditFacility.objects.filter(lender=lender, obligor__in=obligors, state=CreditFacility.State.ACTIVE)
    for pk in due.order_by("pk").values_list("pk", flat=True):
        facility = facility_lock(pk=pk)
        if facility.state == CreditFacility.State.ACTIVE:
            facility.freeze(by=None, note=note)
            facility.save()
            frozen.append(facility)
    return frozen


@audited
def facility_close(*, facility: CreditFacility, acting_user: User, note: str = "") -> CreditFacility:
    return _fire(facility, "close", acting_user, note)


# The life-cycle actions that staff fire by name, from the portal and the API alike.
FACILITY_TRANSITIONS = {
    "activate": facility_activate,
    "freeze": facility_freeze,
    "unfreeze": facility_unfreeze,
    "close": facility_close,
}


def facilities_expire_due(*, today: datetime.date | None = None) -> int:
    """Expire every facility past its validity (daily job; running it twice changes nothing)."""
    count = 0
    today = today or timezone.localdate()
    due = CreditFacility.objects.filter(
        state__in=[CreditFacility.State.ACTIVE, CreditFacility.State.FROZEN], valid_to__lt=today
    ).values_list("pk", flat=True)
    for pk in due:
        with transaction.atomic():
            facility = facility_lock(pk=pk)
            if can_proceed(facility.expire):
                facility.expire(note=_("validity ended on %(date)s") % {"date": facility.valid_to})
                facility.save()
                count += 1
    return count


def _movement(facility: CreditFacility, kind: str, amount: Decimal, reference: str, actor) -> FacilityMovement:
    return FacilityMovement.objects.create(
        facility=facility, kind=kind, amount=amount, reference=reference,
        reserved_after=facility.reserved_amount, outstanding_after=facility.outstanding_amount,
        available_after=facility.available_amount, actor=actor,
    )


def _save_balances(facility: CreditFacility) -> None:
    facility.save(update_fields=["reserved_amount", "outstanding_amount", "retired_amount"])


@audited
def facility_reserve(*, facility: CreditFacility, amount, reference: str,
                     acting_user: User | None, on: datetime.date | None = None,
                     locked: bool = False) -> FacilityReservation:
    """Hold `amount` for the case `reference`; the same reference returns the first reservation.

    `locked=True` says the caller already holds `facility` from `facility_lock` in this transaction.
    """
    amount = _clean_amount(amount)
    if not locked:
        facility = facility_lock(pk=facility.pk)
    reservation = FacilityReservation(facility=facility, reference=reference, amount=amount, created_by=acting_user)
    # No look-up first: the reference's unique key skips a replay, which the first reservation answers. A refusal
    # below undoes the new row with the unit of work.
    if not insert_unless_taken(reservation):
        existing = facility.reservations.get(reference=reference)
        if existing.amount != amount:
            raise ReservationError(_("Reference %(ref)s already holds a different amount.") % {"ref": reference})
        return existing
    if facility.state != CreditFacility.State.ACTIVE:
        raise FacilityUnavailable(_("Facility %(ref)s is %(state)s: nothing can be reserved.")
                                  % {"ref": facility.reference, "state": facility.get_state_display()})
    if not facility.is_within_validity(on):
        raise FacilityUnavailable(
            _("Facility %(ref)s is valid from %(start)s to %(end)s: nothing can be reserved on %(day)s.")
            % {"ref": facility.reference, "start": facility.valid_from.isoformat(),
               "end": facility.valid_to.isoformat(), "day": (on or timezone.localdate()).isoformat()})
    if amount > facility.available_amount:
        raise FacilityLimitExceeded(
            _("%(amount)s exceeds the available %(available)s on facility %(ref)s.")
            % {"amount": f"{amount:,}", "available": f"{facility.available_amount:,}", "ref": facility.reference},
            requested=amount, available=facility.available_amount,
        )
    facility.reserved_amount += amount
    _save_balances(facility)
    _movement(facility, FacilityMovement.Kind.RESERVE, amount, reference, acting_user)
    return reservation


def _held_reservation(facility: CreditFacility, reference: str) -> FacilityReservation:
    reservation = facility.reservations.select_for_update().filter(reference=reference).first()
    if reservation is None:
        raise ReservationError(_("No reservation %(ref)s on this facility.") % {"ref": reference})
    return reservation


def _held_reservation_close(facility: CreditFacility, reference: str, status: str) -> FacilityReservation | None:
    """Move the facility's held reservation `reference` to `status` and return it, in one statement (an UPDATE …
    RETURNING, which locks the row); None when no reservation of that reference is held (the caller asks why)."""
    meta = FacilityReservation._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in meta.concrete_fields)
    status_column, facility_column, reference_column = (quote(meta.get_field(name).column)
                                                        for name in ("status", "facility", "reference"))
    found = list(FacilityReservation.objects.raw(
        f"UPDATE {quote(meta.db_table)} SET {status_column} = %s WHERE {facility_column} = %s AND "
        f"{reference_column} = %s AND {status_column} = %s RETURNING {columns}",
        [status, facility.pk, reference, FacilityReservation.Status.HELD]))
    return found[0] if found else None


@audited
def facility_release(*, facility: CreditFacility, reference: str, acting_user: User | None) -> FacilityReservation:
    """Give back a held reservation (rejection or cancellation); releasing twice changes nothing."""
    facility = facility_lock(pk=facility.pk)
    reservation = _held_reservation(facility, reference)
    if reservation.status == FacilityReservation.Status.RELEASED:
        return reservation
    if reservation.status != FacilityReservation.Status.HELD:
        raise ReservationError(_("Reservation %(ref)s was already drawn.") % {"ref": reference})
    facility.reserved_amount -= reservation.amount
    _save_balances(facility)
    reservation.status = FacilityReservation.Status.RELEASED
    reservation.save(update_fields=["status"])
    _movement(facility, FacilityMovement.Kind.RELEASE, reservation.amount, reference, acting_user)
    return reservation


@audited
def facility_consume(*, facility: CreditFacility, reference: str, acting_user: User | None,
                     locked: bool = False) -> FacilityReservation:
    """Turn a held reservation into outstanding at disbursement; consuming twice changes nothing.

    `locked`: the caller took `facility_lock` in this transaction already (to check the facility
    before paying), and `facility` is the row it returned.
    """
    if not locked:
        facility = facility_lock(pk=facility.pk)
    reservation = _held_reservation_close(facility, reference, FacilityReservation.Status.CONSUMED)
    if reservation is None:
        reservation = _held_reservation(facility, reference)
        if reservation.status == FacilityReservation.Status.CONSUMED:
            return reservation
        raise ReservationError(_("Reservation %(ref)s was released.") % {"ref": reference})
    facility.reserved_amount -= reservation.amount
    facility.outstanding_amount += reservation.amount
    _save_balances(facility)
    _movement(facility, FacilityMovement.Kind.CONSUME, reservation.amount, reference, acting_user)
    return reservation


@audited
def facility_restore(*, facility: CreditFacility, amount, reference: str,
                     acting_user: User | None) -> FacilityMovement:
    """Record a repayment of principal: a revolving facility gets the headroom back.

    The same `reference` is applied once only, so a retried repayment restores nothing twice.
    """
    amount = _clean_amount(amount)
    facility = facility_lock(pk=facility.pk)

    def applied_before() -> FacilityMovement | None:
        existing = facility.movements.filter(kind=FacilityMovement.Kind.RESTORE, reference=reference).first()
        if existing is not None and existing.amount != amount:
            raise ReservationError(_("Repayment %(ref)s was already applied with a different amount.")
                                   % {"ref": reference})
        return existing

    if amount > facility.outstanding_amount:
        if (existing := applied_before()) is not None:
            return existing
        raise ReservationError(
            _("The repayment %(amount)s is more than the outstanding %(outstanding)s.")
            % {"amount": f"{amount:,}", "outstanding": f"{facility.outstanding_amount:,}"}
        )
    outstanding, retired = facility.outstanding_amount, facility.retired_amount
    facility.outstanding_amount -= amount
    if not facility.revolving:
        facility.retired_amount += amount
    # The movement first, unless this repayment's is there already (its unique key): one statement, no look-up
    # beforehand; the balances only when it went in.
    movement = FacilityMovement(
        facility=facility, kind=FacilityMovement.Kind.RESTORE, amount=amount, reference=reference,
        reserved_after=facility.reserved_amount, outstanding_after=facility.outstanding_amount,
        available_after=facility.available_amount, actor=acting_user)
    if insert_unless_taken(movement):
        _save_balances(facility)
        return movement
    facility.outstanding_amount, facility.retired_amount = outstanding, retired
    existing = applied_before()
    if existing is None:
        raise IntegrityError(f"The repayment {reference} of facility {facility.pk} could not be recorded.")
    return existing


# --- limit changes (four eyes) -------------------------------------------------------------------
#
# A bank's rules, beyond the four eyes: an active facility's limit may go up or down; a frozen one
# may only come down (and its validity may only be shortened): raising credit that risk stopped
# would undo the freeze; an expired, closed or not yet activated facility takes no limit change
# (renewal is a new facility, a proposed one is decided as proposed). A raise needs the obligor's
# KYC verified, as a new facility does. The limit never goes below reserved + outstanding (+ repaid
# when not revolving): checked at the proposal for the figures, and again at approval under the
# facility's row lock, which the database's facility_within_limit constraint backs.


def _fmt(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _limit_change_refusal(facility: CreditFacility, *, new_limit: Decimal, new_valid_to: datetime.date | None) -> None:
    """Refuse a new limit (and end of validity) that the facility cannot take now; raise the reason."""
    state = CreditFacility.State
    if facility.state not in (state.ACTIVE, state.FROZEN) or facility.is_past_validity():
        raise IllegalTransition(
            _("Facility %(ref)s is %(state)s or past its validity: its limit cannot be changed. "
              "Propose a new facility instead.")
            % {"ref": facility.reference, "state": facility.get_state_display()})
    if facility.state == state.FROZEN and (
            new_limit > facility.limit_amount or (new_valid_to is not None and new_valid_to > facility.valid_to)):
        raise FacilityUnavailable(
            _("Facility %(ref)s is frozen: its limit may be reduced, not raised or extended, until it is unfrozen.")
            % {"ref": facility.reference})
    if new_limit < facility.used_amount:
        raise LimitBelowUsed(
            _("The new limit %(new)s is below what facility %(ref)s already uses: %(reserved)s reserved + "
              "%(outstanding)s outstanding%(retired)s = %(used)s.")
            % {"new": _fmt(new_limit), "ref": facility.reference, "reserved": _fmt(facility.reserved_amount),
               "outstanding": _fmt(facility.outstanding_amount),
               "retired": (_(" + %(amount)s repaid, not restorable") % {"amount": _fmt(facility.retired_amount)}
                           if facility.retired_amount else ""),
               "used": _fmt(facility.used_amount)},
            new_limit=new_limit, reserved=facility.reserved_amount, outstanding=facility.outstanding_amount,
            retired=facility.retired_amount, used=facility.used_amount)
    if new_limit > facility.limit_amount:
        kyc_require_verified(facility.obligor)


@audited
def facility_limit_change_propose(*, facility: CreditFacility, new_limit, reason: str, acting_user: User,
                                  new_valid_to: datetime.date | None = None) -> FacilityLimitChange:
    """Propose a new limit for the facility; a second person approves it before it counts."""
    if not can_propose_limit_change(acting_user, facility):
        raise ActionNotPermitted(_("Only staff of %(lender)s entitled to propose facilities may propose a new "
                                   "limit.") % {"lender": facility.lender})
    new_limit = _clean_amount(new_limit, "new_limit")
    reason = (reason or "").replace("\x00", "").strip()
    errors = {}
    if not reason:
        errors["reason"] = ValidationError(_("Say why the limit should change: a reason is required."),
                                           code="required")
    if new_limit == facility.limit_amount:
        errors["new_limit"] = ValidationError(_("The new limit is the same as the current one."), code="unchanged")
    if new_valid_to is not None and (new_valid_to < facility.valid_from or new_valid_to < timezone.localdate()):
        errors["new_valid_to"] = ValidationError(
            _("The new end of validity must be after the start of validity and not in the past."), code="invalid")
    if errors:
        raise ValidationError(errors)
    facility = facility_lock(pk=facility.pk)
    if facility.limit_changes.filter(state=FacilityLimitChange.State.PROPOSED).exists():
        raise LimitChangeOpen(_("Facility %(ref)s already has a limit change awaiting review; decide or cancel "
                                "it first.") % {"ref": facility.reference})
    _limit_change_refusal(facility, new_limit=new_limit, new_valid_to=new_valid_to)
    change = FacilityLimitChange(
        facility=facility, old_limit=facility.limit_amount, new_limit=new_limit, old_valid_to=facility.valid_to,
        new_valid_to=new_valid_to if new_valid_to != facility.valid_to else None, reason=reason,
        proposed_by=acting_user,
    )
    change.full_clean(exclude=["state"])
    try:
        # The facility row lock already serialises proposals; the partial unique index stands behind it.
        with transaction.atomic():
            change.save()
    except IntegrityError:
        raise LimitChangeOpen() from None
    audit_record(action="facilities.facilitylimitchange.propose", target=change, actor=acting_user,
                 target_state=change.state,
                 note=f"{_fmt(change.old_limit)} -> {_fmt(change.new_limit)}; {reason}")
    return change


def _limit_change_locked(change: FacilityLimitChange) -> tuple[CreditFacility, FacilityLimitChange]:
    """Lock the facility, then the change: the facility first, as every balance change does."""
    facility = facility_lock(pk=change.facility_id)
    change = FacilityLimitChange.objects.select_for_update().get(pk=change.pk)
    change.facility = facility
    if change.state != FacilityLimitChange.State.PROPOSED:
        raise IllegalTransition(_("This limit change is already %(state)s.")
                                % {"state": str(change.get_state_display()).lower()},
                                state=change.state)
    return facility, change


def _decider_require(change: FacilityLimitChange, acting_user: User) -> None:
    facility = change.facility
    four_eyes_require(acting_user, preparer_id=change.proposed_by_id, organizations=facility_parties(facility),
                      lender=facility.lender,
                      prepared=_("You proposed this limit change; a second person must decide it."))
    if not (acting_user.is_superuser or acting_user.has_perm(DECIDE_PERMISSION)):
        raise ActionNotPermitted(_("Only staff entitled to activate facilities may decide a limit change."))


@audited
def facility_limit_change_approve(*, change: FacilityLimitChange, acting_user: User,
                                  note: str = "") -> FacilityLimitChange:
    """Approve the change and apply the new limit under the facility's row lock."""
    facility, change = _limit_change_locked(change)
    _decider_require(change, acting_user)
    if facility.limit_amount != change.old_limit:
        raise IllegalTransition(_("The facility's limit changed since this proposal; reject it and propose again."))
    _limit_change_refusal(facility, new_limit=change.new_limit, new_valid_to=change.new_valid_to)
    if change.new_valid_to is not None and change.new_valid_to < timezone.localdate():
        raise IllegalTransition(_("The proposed end of validity %(date)s has passed; reject this change and propose "
                                  "again.") % {"date": change.new_valid_to})
    change.approve(by=acting_user, note=(note or "").replace("\x00", "").strip())
    change.save()
    facility.limit_amount = change.new_limit
    fields = ["limit_amount"]
    if change.new_valid_to is not None:
        facility.valid_to = change.new_valid_to
        fields.append("valid_to")
    # The database's facility_within_limit and facility_dates_ordered constraints stand behind the checks.
    facility.save(update_fields=fields)
    audit_record(action="facilities.creditfacility.limit_change", target=facility, actor=acting_user,
                 note=f"{_fmt(change.old_limit)} -> {_fmt(change.new_limit)}"
                      + (f"; valid to {change.new_valid_to}" if change.new_valid_to else ""))
    return change


@audited
def facility_limit_change_reject(*, change: FacilityLimitChange, acting_user: User, note: str) -> FacilityLimitChange:
    """Refuse the change; the comment saying why is required."""
    note = (note or "").replace("\x00", "").strip()
    if not note:
        raise ValidationError({"note": ValidationError(_("Say why the limit change is rejected: a comment is "
                                                         "required."), code="required")})
    _facility, change = _limit_change_locked(change)
    _decider_require(change, acting_user)
    change.reject(by=acting_user, note=note)
    change.save()
    return change


@audited
def facility_limit_change_cancel(*, change: FacilityLimitChange, acting_user: User,
                                 note: str = "") -> FacilityLimitChange:
    """Withdraw a proposal: its proposer only."""
    _facility, change = _limit_change_locked(change)
    if not can_cancel_limit_change(acting_user, change):
        raise ActionNotPermitted(_("Only the person who proposed this limit change may cancel it."))
    change.cancel(by=acting_user, note=(note or "").replace("\x00", "").strip())
    change.save()
    return change


LIMIT_CHANGE_ACTIONS = {
    "approve": facility_limit_change_approve,
    "reject": facility_limit_change_reject,
    "cancel": facility_limit_change_cancel,
}
