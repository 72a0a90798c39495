"""Collections: money received in a lender's collection account, and how it was applied."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from scf.core.fields import CurrencyField, MoneyField

# The columns a receipt is split into, in the order money is applied to them.
ALLOCATION_FIELDS = ("applied_penalty", "applied_interest", "applied_fees", "applied_advance", "applied_margin", "rebate",
                     "suspense")


class ReceiptQuerySet(models.QuerySet):
    def for_case(self, case: models.Model) -> ReceiptQuerySet:
        """Return the receipts applied to `case`, a business object of any product."""
        return self.filter(case_type=ContentType.objects.get_for_model(case), case_id=case.pk)


class Receipt(models.Model):
    """Money received in a lender's collection account, and how it was applied.

    It pays one case of a product (a factoring financing today), linked generically so that each
    product's cases can be paid; until operations match it, it pays none and waits in suspense.
    The bank's reference identifies a receipt per lender: recording it twice applies it once.
    """

    class Kind(models.TextChoices):
        DEBTOR_PAYMENT = "debtor_payment", _("Payment by the debtor")
        BUY_BACK = "buy_back", _("Buy-back by the supplier")
        MARGIN = "margin", _("Margin paid by the distributor")
        REFUND = "refund", _("Refund of the shortfall by the core enterprise")
        UNMATCHED = "unmatched", _("Unmatched")

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        SUSPENSE = "suspense", _("In suspense")
        RETURNED = "returned", _("Returned to the payer")

    # The case the money pays, of whichever product; its reference is kept for lists that show it.
    case_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("kind of case"))
    case_id = models.PositiveBigIntegerField(_("case"), null=True, blank=True)
    case = GenericForeignKey("case_type", "case_id")
    case_reference = models.CharField(_("case reference"), max_length=30, blank=True)
    # Whose collection account received the money: only its staff see the receipt or apply it.
    lender = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("lender"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.APPLIED)
    payer = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("payer"))
    payer_name = models.CharField(_("payer as shown by the bank"), max_length=200, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=60)
    value_date = models.DateField(_("value date"))
    currency = CurrencyField()
    amount = MoneyField(_("amount"))
    applied_penalty = MoneyField(_("to penalty interest"), default=Decimal("0.00"))
    applied_interest = MoneyField(_("to interest"), default=Decimal("0.00"))
    applied_fees = MoneyField(_("to fees"), default=Decimal("0.00"))
    applied_advance = MoneyField(_("to the advance"), default=Decimal("0.00"))
    applied_margin = MoneyField(_("to margin"), default=Decimal("0.00"))
    rebate = MoneyField(_("rebate to the supplier"), default=Decimal("0.00"))
    suspense = MoneyField(_("to suspense"), default=Decimal("0.00"))
    entry = models.ForeignKey("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReceiptQuerySet.as_manager()

    class Meta:
        ordering = ["value_date", "id"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [
            # One lender's bank statement names each payment once; another bank may reuse the string.
            models.UniqueConstraint(fields=["lender", "bank_reference"], name="receipt_lender_bank_reference"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="receipt_amount_positive"),
            models.CheckConstraint(
                condition=Q(amount=F("applied_penalty") + F("applied_interest") + F("applied_fees")
                            + F("applied_advance") + F("applied_margin") + F("rebate") + F("suspense")),
                name="receipt_fully_allocated",
            ),
            # A receipt pays a whole case or none: never a kind of case without the case, or the reverse.
            models.CheckConstraint(
                condition=Q(case_type__isnull=True, case_id__isnull=True)
                | Q(case_type__isnull=False, case_id__isnull=False),
                name="receipt_case_link_complete",
            ),
        ]
        indexes = [models.Index(fields=["case_type", "case_id"], name="receipt_case")]

    def __str__(self) -> str:
        return f"{self.bank_reference} · {self.currency} {self.amount:,}"

    def pays(self, case: models.Model) -> bool:
        """Return whether the receipt was applied to `case`."""
        return (self.case_id is not None and self.case_id == case.pk
                and self.case_type_id == ContentType.objects.get_for_model(case).pk)
