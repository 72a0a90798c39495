"""A movement of money prepared by one person and released by a second: maker-checker.

Disbursing, recording a receipt, applying or returning money in suspense, settling and writing
off are each prepared (the movement's own checks run, nothing moved) and wait here; nothing is posted until a
second person entitled to the same action releases them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from scf.core.fields import CurrencyField, MoneyField


class Release(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for release")
        RELEASED = "released", pgettext_lazy("money", "Released")
        REJECTED = "rejected", pgettext_lazy("money", "Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    lender = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("lender"))
    action = models.CharField(_("action"), max_length=40)
    # What the movement is about, so that one cannot be prepared twice while it waits (e.g. "disburse:FF-…").
    key = models.CharField(_("key"), max_length=120)
    reference = models.CharField(_("reference"), max_length=60)
    case_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    case_id = models.PositiveBigIntegerField(null=True, blank=True)
    case = GenericForeignKey("case_type", "case_id")
    party_ids = models.JSONField(_("parties"), default=list, blank=True,
                                 help_text=_("The organizations whose members may not release it."))
    amount = MoneyField(_("amount"))
    currency = CurrencyField()
    payload = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("prepared by"))
    prepared_at = models.DateTimeField(_("prepared at"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
                                   blank=True, verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["-prepared_at", "-id"]
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        constraints = [
            models.UniqueConstraint(fields=["lender", "key"], condition=Q(status="pending"),
                                    name="release_one_pending_per_key"),
            # Four eyes, in the database too: whoever released or rejected it did not prepare it.
            models.CheckConstraint(condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("prepared_by"))
                                   | Q(status="withdrawn"), name="release_not_by_preparer"),
        ]
        indexes = [models.Index(fields=["lender", "status"]), models.Index(fields=["case_type", "case_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.reference} {self.currency} {self.amount}"
