"""Credit facilities: a limit granted by a lender to an obligor for one product."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, transition

from scf.core.fields import CurrencyField, MoneyField, StateField


class Product(models.TextChoices):
    FACTORING = "factoring", _("Factoring")
    REVERSE_FACTORING = "reverse_factoring", _("Reverse factoring")
    PLEDGE = "pledge", _("Warehouse-receipt pledge")
    CONFIRMING = "confirming", _("Confirming-warehouse financing")


class DayCountChoice(models.TextChoices):
    ACT_360 = "ACT/360", "ACT/360"
    ACT_365 = "ACT/365", "ACT/365"


class InterestMode(models.TextChoices):
    ADVANCE = "advance", _("In advance (discount)")
    ARREARS = "arrears", _("In arrears")


class CreditFacility(ConcurrentTransitionMixin, models.Model):
    """A credit limit; reserved + outstanding (+ retired when not revolving) never exceeds it."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACTIVE = "active", _("Active")
        FROZEN = "frozen", _("Frozen")
        EXPIRED = "expired", _("Expired")
        CLOSED = "closed", _("Closed")

    reference = models.CharField(_("reference"), max_length=30, unique=True)
    lender = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="facilities_granted",
                               verbose_name=_("lender"))
    obligor = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="facilities",
                                verbose_name=_("obligor"))
    product = models.CharField(_("product"), max_length=20, choices=Product.choices)
    currency = CurrencyField()
    limit_amount = MoneyField(_("limit"))
    reserved_amount = MoneyField(_("reserved"), default=Decimal("0.00"))
    outstanding_amount = MoneyField(_("outstanding"), default=Decimal("0.00"))
    retired_amount = MoneyField(_("repaid, not restorable"), default=Decimal("0.00"))
    revolving = models.BooleanField(_("revolving"), default=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    max_tenor_days = models.PositiveIntegerField(_("maximum tenor (days)"), default=180)
    day_count = models.CharField(_("day count"), max_length=7, choices=DayCountChoice.choices,
                                 default=DayCountChoice.ACT_360)
    anchor = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="anchored_facilities", verbose_name=_("core enterprise"),
                               help_text=_("The core enterprise whose payables or programme the facility serves."))
    # Pricing defaults for the financings drawn under the facility (annual simple rates as fractions).
    advance_rate = models.DecimalField(_("advance rate"), max_digits=7, decimal_places=6, default=Decimal("0.800000"))
    annual_rate = models.DecimalField(_("annual interest rate"), max_digits=7, decimal_places=6,
                                      default=Decimal("0.065000"))
    fee_rate = models.DecimalField(_("fee rate"), max_digits=7, decimal_places=6, default=Decimal("0.005000"))
    interest_mode = models.CharField(_("interest"), max_length=10, choices=InterestMode.choices,
                                     default=InterestMode.ADVANCE)
    penalty_multiplier = models.DecimalField(_("penalty multiplier"), max_digits=5, decimal_places=3,
                                             default=Decimal("1.500"))
    grace_days = models.PositiveIntegerField(_("grace days"), default=3)
    with_recourse = models.BooleanField(_("with recourse"), default=True)
    recourse_days = models.PositiveIntegerField(_("recourse after (days past due)"), default=30)
    state = StateField(_("state"), choices=State.choices, default=State.PROPOSED, protected=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Four eyes on a limit: who made it available, never the one who proposed it.
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("activated by"))

    class Meta:
        ordering = ["reference"]
        verbose_name = _("credit facility")
        verbose_name_plural = _("credit facilities")
        permissions = [
            ("activate_facility", "Can activate a credit facility"),
            ("freeze_facility", "Can freeze or unfreeze a credit facility"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(limit_amount__gt=0), name="facility_limit_positive"),
            models.CheckConstraint(condition=Q(activated_by__isnull=True) | Q(created_by__isnull=True)
                                   | ~Q(activated_by=F("created_by")), name="facility_not_activated_by_proposer"),
            models.CheckConstraint(
                condition=Q(reserved_amount__gte=0) & Q(outstanding_amount__gte=0) & Q(retired_amount__gte=0),
                name="facility_amounts_non_negative",
            ),
            # The invariant of DESIGN §5, held by the database as well as the services.
            models.CheckConstraint(
                condition=Q(limit_amount__gte=F("reserved_amount") + F("outstanding_amount") + F("retired_amount")),
                name="facility_within_limit",
            ),
            models.CheckConstraint(condition=Q(valid_to__gte=F("valid_from")), name="facility_dates_ordered"),
            models.CheckConstraint(condition=~Q(lender=F("obligor")), name="facility_parties_distinct"),
            models.CheckConstraint(
                condition=Q(advance_rate__gt=0) & Q(advance_rate__lte=1) & Q(annual_rate__gte=0) & Q(fee_rate__gte=0),
                name="facility_rates_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.obligor} · {self.currency} {self.limit_amount:,}"

    @property
    def used_amount(self) -> Decimal:
        return self.reserved_amount + self.outstanding_amount + self.retired_amount

    @property
    def available_amount(self) -> Decimal:
        return self.limit_amount - self.used_amount

    def is_within_validity(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.valid_from <= on <= self.valid_to

    def has_nothing_outstanding(self) -> bool:
        return self.reserved_amount == 0 and self.outstanding_amount == 0

    def is_past_validity(self) -> bool:
        return timezone.localdate() > self.valid_to

    @transition(field=state, source=State.PROPOSED, target=State.ACTIVE, permission="facilities.activate_facility")
    def activate(self, *, by=None, note: str = "") -> None:
        """Make the facility available for reservations."""
        self.activated_by = by

    @transition(field=state, source=State.ACTIVE, target=State.FROZEN, permission="facilities.freeze_facility")
    def freeze(self, *, by=None, note: str = "") -> None:
        """Stop new reservations; existing ones stand."""

    @transition(field=state, source=State.FROZEN, target=State.ACTIVE, permission="facilities.freeze_facility",
                conditions=[lambda facility: not facility.is_past_validity()])
    def unfreeze(self, *, by=None, note: str = "") -> None:
        """Allow reservations again."""

    @transition(field=state, source=[State.ACTIVE, State.FROZEN], target=State.EXPIRED,
                conditions=[is_past_validity])
    def expire(self, *, by=None, note: str = "") -> None:
        """End the validity period: no new reservations."""

    @transition(field=state, source=[State.PROPOSED, State.ACTIVE, State.FROZEN, State.EXPIRED],
                target=State.CLOSED, conditions=[has_nothing_outstanding],
                permission="facilities.activate_facility")
    def close(self, *, by=None, note: str = "") -> None:
        """Close a facility that has nothing reserved or outstanding."""


class FacilityReservation(models.Model):
    """An amount held against a facility for one approved case, identified by its reference."""

    class Status(models.TextChoices):
        HELD = "held", _("Held")
        CONSUMED = "consumed", _("Consumed")
        RELEASED = "released", _("Released")

    facility = models.ForeignKey(CreditFacility, on_delete=models.PROTECT, related_name="reservations")
    reference = models.CharField(_("reference"), max_length=100)
    amount = MoneyField(_("amount"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("facility reservation")
        verbose_name_plural = _("facility reservations")
        constraints = [
            models.UniqueConstraint(fields=["facility", "reference"], name="reservation_reference_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="reservation_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount} ({self.status})"


class FacilityMovement(models.Model):
    """Append-only history of every change to a facility's balances."""

    class Kind(models.TextChoices):
        RESERVE = "reserve", _("Reserve")
        RELEASE = "release", _("Release")
        CONSUME = "consume", _("Consume")
        RESTORE = "restore", _("Repayment")

    facility = models.ForeignKey(CreditFacility, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = MoneyField(_("amount"))
    reference = models.CharField(max_length=100)
    reserved_after = MoneyField()
    outstanding_after = MoneyField()
    available_after = MoneyField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("facility movement")
        verbose_name_plural = _("facility movements")
        constraints = [
            # A repayment restores the facility once, however often it is applied (`facility_restore`).
            models.UniqueConstraint(fields=["facility", "reference"], condition=models.Q(kind="restore"),
                                    name="facility_movement_restore_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.reference}"


class FacilityLimitChange(ConcurrentTransitionMixin, models.Model):
    """A proposed new limit (and optionally a new end of validity) for a facility, decided by a second person.

    The database holds the four eyes (the decider is never the proposer) and allows one open
    proposal per facility; the approving service applies the new limit under the facility's row lock.
    """

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    facility = models.ForeignKey(CreditFacility, on_delete=models.PROTECT, related_name="limit_changes",
                                 verbose_name=_("facility"))
    old_limit = MoneyField(_("limit before"))
    new_limit = MoneyField(_("new limit"))
    old_valid_to = models.DateField(_("valid to before"))
    new_valid_to = models.DateField(_("new end of validity"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("proposed by"))
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("comment"), blank=True)
    state = StateField(_("state"), choices=State.choices, default=State.PROPOSED, protected=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("facility limit change")
        verbose_name_plural = _("facility limit changes")
        constraints = [
            models.CheckConstraint(condition=Q(new_limit__gt=0), name="limit_change_new_limit_positive"),
            models.CheckConstraint(condition=~Q(new_limit=F("old_limit")), name="limit_change_changes_the_limit"),
            # Four eyes: whoever decides is not who proposed; a cancellation (by the proposer) has no decider.
            models.CheckConstraint(condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                                   name="limit_change_not_decided_by_proposer"),
            models.CheckConstraint(
                condition=(Q(state="proposed") & Q(decided_by__isnull=True) & Q(decided_at__isnull=True))
                | (Q(state__in=["approved", "rejected"]) & Q(decided_by__isnull=False) & Q(decided_at__isnull=False))
                | (Q(state="cancelled") & Q(decided_by__isnull=True) & Q(decided_at__isnull=False)),
                name="limit_change_decision_matches_state",
            ),
            models.UniqueConstraint(fields=["facility"], condition=Q(state="proposed"),
                                    name="limit_change_one_open_per_facility"),
        ]

    def __str__(self) -> str:
        return f"{self.facility.reference} · {self.old_limit:,} → {self.new_limit:,}"

    @property
    def is_increase(self) -> bool:
        return self.new_limit > self.old_limit

    @property
    def difference(self) -> Decimal:
        return self.new_limit - self.old_limit

    @transition(field=state, source=State.PROPOSED, target=State.APPROVED)
    def approve(self, *, by=None, note: str = "") -> None:
        """Accept the new limit; the service applies it to the facility."""
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_note = note

    @transition(field=state, source=State.PROPOSED, target=State.REJECTED)
    def reject(self, *, by=None, note: str = "") -> None:
        """Refuse the new limit, with the reason."""
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_note = note

    @transition(field=state, source=State.PROPOSED, target=State.CANCELLED)
    def cancel(self, *, by=None, note: str = "") -> None:
        """Withdraw the proposal (its proposer)."""
        self.decided_at = timezone.now()
        self.decision_note = note
