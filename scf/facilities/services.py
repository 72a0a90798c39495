"""Writes for credit facilities: creation, life cycle and the limit movements.

Every balance change locks the facility row first (`facility_lock`), so that
reserved + outstanding never exceeds the limit however many requests race.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from scf.audit.services import audit_record, audited
from scf.core.exceptions import ActionNotPermitted, IllegalTransition
from scf.core.sequences import sequence_next
from scf.money import to_decimal
from scf.parties.models import LenderClient, Organization, User
from scf.parties.permissions import four_eyes_require
from scf.parties.services import kyc_require_verified, lender_client_add

from .exceptions import FacilityLimitExceeded, FacilityUnavailable, ReservationError
from .models import CreditFacility, FacilityMovement, FacilityReservation

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
                     acting_user: User | None, on: datetime.date | None = None) -> FacilityReservation:
    """Hold `amount` for the case `reference`; the same reference returns the first reservation."""
    amount = _clean_amount(amount)
    facility = facility_lock(pk=facility.pk)
    existing = facility.reservations.filter(reference=reference).first()
    if existing is not None:
        if existing.amount != amount:
            raise ReservationError(_("Reference %(ref)s already holds a different amount.") % {"ref": reference})
        return existing
    if facility.state != CreditFacility.State.ACTIVE or not facility.is_within_validity(on):
        raise FacilityUnavailable(
            _("Facility %(ref)s is %(state)s or outside its validity (%(start)s to %(end)s): nothing can be reserved.")
            % {"ref": facility.reference, "state": facility.get_state_display(),
               "start": facility.valid_from, "end": facility.valid_to}
        )
    if amount > facility.available_amount:
        raise FacilityLimitExceeded(
            _("%(amount)s exceeds the available %(available)s on facility %(ref)s.")
            % {"amount": f"{amount:,}", "available": f"{facility.available_amount:,}", "ref": facility.reference},
            requested=amount, available=facility.available_amount,
        )
    facility.reserved_amount += amount
    _save_balances(facility)
    reservation = FacilityReservation.objects.create(
        facility=facility, reference=reference, amount=amount, created_by=acting_user
    )
    _movement(facility, FacilityMovement.Kind.RESERVE, amount, reference, acting_user)
    return reservation


def _held_reservation(facility: CreditFacility, reference: str) -> FacilityReservation:
    reservation = facility.reservations.select_for_update().filter(reference=reference).first()
    if reservation is None:
        raise ReservationError(_("No reservation %(ref)s on this facility.") % {"ref": reference})
    return reservation


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
def facility_consume(*, facility: CreditFacility, reference: str, acting_user: User | None) -> FacilityReservation:
    """Turn a held reservation into outstanding at disbursement; consuming twice changes nothing."""
    facility = facility_lock(pk=facility.pk)
    reservation = _held_reservation(facility, reference)
    if reservation.status == FacilityReservation.Status.CONSUMED:
        return reservation
    if reservation.status != FacilityReservation.Status.HELD:
        raise ReservationError(_("Reservation %(ref)s was released.") % {"ref": reference})
    facility.reserved_amount -= reservation.amount
    facility.outstanding_amount += reservation.amount
    _save_balances(facility)
    reservation.status = FacilityReservation.Status.CONSUMED
    reservation.save(update_fields=["status"])
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
    existing = facility.movements.filter(kind=FacilityMovement.Kind.RESTORE, reference=reference).first()
    if existing is not None:
        if existing.amount != amount:
            raise ReservationError(_("Repayment %(ref)s was already applied with a different amount.")
                                   % {"ref": reference})
        return existing
    if amount > facility.outstanding_amount:
        raise ReservationError(
            _("The repayment %(amount)s is more than the outstanding %(outstanding)s.")
            % {"amount": f"{amount:,}", "outstanding": f"{facility.outstanding_amount:,}"}
        )
    facility.outstanding_amount -= amount
    if not facility.revolving:
        facility.retired_amount += amount
    _save_balances(facility)
    return _movement(facility, FacilityMovement.Kind.RESTORE, amount, reference, acting_user)
