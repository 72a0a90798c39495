"""The approval matrix (data an admin edits) and the cases and decisions routed through it."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from scf.core.fields import CurrencyField, MoneyField
from scf.facilities.models import Product
from scf.parties.models import StaffGroup


class ApprovalTier(models.Model):
    """Up to `up_to_amount` (inclusive; empty = no upper bound) a case needs these groups, in order.

    A tier with an empty product applies to every product without a tier of its own. A tier with
    an empty lender belongs to the platform's default matrix; a lender's own tiers for a product
    (or for all products) replace the default for that lender's cases.
    """

    lender = models.ForeignKey("parties.Organization", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="approval_tiers", verbose_name=_("lender"),
                               help_text=_("Empty: the platform's default matrix."))
    product = models.CharField(_("product"), max_length=20, choices=Product.choices, blank=True)
    up_to_amount = MoneyField(_("up to (inclusive)"), null=True, blank=True)
    groups = models.JSONField(_("approver groups, in order"),
                              help_text=_("For example [\"credit_officer\", \"risk_manager\"]."))

    class Meta:
        ordering = ["lender_id", "product", F("up_to_amount").asc(nulls_last=True)]
        verbose_name = _("approval tier")
        verbose_name_plural = _("approval matrix")
        constraints = [
            # One tier per bound, and one unlimited top tier, per matrix (the default's or a lender's) and product.
            models.UniqueConstraint(fields=["product", "up_to_amount"], condition=Q(lender__isnull=True),
                                    name="approval_tier_unique"),
            models.UniqueConstraint(fields=["lender", "product", "up_to_amount"], condition=Q(lender__isnull=False),
                                    name="approval_tier_unique_per_lender"),
            models.UniqueConstraint(fields=["product"], condition=Q(lender__isnull=True, up_to_amount__isnull=True),
                                    name="approval_tier_one_top"),
            models.UniqueConstraint(fields=["lender", "product"],
                                    condition=Q(lender__isnull=False, up_to_amount__isnull=True),
                                    name="approval_tier_one_top_per_lender"),
        ]

    def __str__(self) -> str:
        bound = f"≤ {self.up_to_amount:,}" if self.up_to_amount is not None else "above"
        owner = f"{self.lender}: " if self.lender_id else ""
        return f"{owner}{self.get_product_display() or 'any product'} {bound}: {' → '.join(self.groups)}"

    @property
    def group_labels(self) -> list[str]:
        """Return the approver groups, in order, as people read them."""
        return [str(StaffGroup(group).label) if group in StaffGroup.values else group for group in self.groups]

    def clean(self):
        if not isinstance(self.groups, list) or not self.groups:
            raise ValidationError({"groups": _("List at least one group.")})
        unknown = [g for g in self.groups if g not in StaffGroup.values]
        if unknown:
            raise ValidationError({"groups": _("Unknown groups: %(groups)s.") % {"groups": ", ".join(unknown)}})
        if len(set(self.groups)) != len(self.groups):
            raise ValidationError({"groups": _("A group appears twice.")})


class ApprovalCase(models.Model):
    """One request for approval of an amount for a product, prepared by one person for one applicant."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        RETURNED = "returned", _("Returned for revision")
        WITHDRAWN = "withdrawn", _("Withdrawn by the applicant")

    product = models.CharField(_("product"), max_length=20, choices=Product.choices)
    amount = MoneyField(_("amount"))
    currency = CurrencyField()
    applicant = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("applicant"))
    preparer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("prepared by"))
    # Whose staff decide the case, and every party to it: none of their members may approve it.
    lender = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="+", null=True,
                               blank=True, verbose_name=_("lender"))
    parties = models.ManyToManyField("parties.Organization", related_name="approval_cases", blank=True,
                                     verbose_name=_("parties"))
    reference = models.CharField(_("case"), max_length=60)
    required_groups = models.JSONField(_("approvers needed, in order"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    round = models.PositiveSmallIntegerField(default=1, help_text=_("Increases each time a returned case is resubmitted."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("approval case")
        verbose_name_plural = _("approval cases")

    def __str__(self) -> str:
        return f"{self.reference} · {self.currency} {self.amount:,} · {self.get_status_display()}"

    @property
    def required_group_labels(self) -> list[str]:
        """Return the approver groups needed, in order, as people read them."""
        return [str(StaffGroup(group).label) for group in self.required_groups]


class ApprovalDecision(models.Model):
    """One approver's decision; the database itself keeps the four-eyes rules."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")
        RETURN = "return", _("Return for revision")

    case = models.ForeignKey(ApprovalCase, on_delete=models.PROTECT, related_name="decisions")
    round = models.PositiveSmallIntegerField(default=1)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    preparer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    group = models.CharField(_("as"), max_length=30, choices=StaffGroup.choices)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("approval decision")
        verbose_name_plural = _("approval decisions")
        constraints = [
            # Four eyes: distinct people within a round, and never the one who prepared the case.
            models.UniqueConstraint(fields=["case", "round", "approver"], name="decision_one_per_approver"),
            models.CheckConstraint(condition=~Q(approver=F("preparer")), name="decision_not_by_preparer"),
            models.CheckConstraint(condition=Q(decision="approve") | ~Q(comment=""),
                                   name="decision_comment_for_reject_or_return"),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference}: {self.get_decision_display()} by {self.approver}"
