"""Double-entry ledger: accounts, journal entries and postings; balances derive from postings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from scf.core.fields import CurrencyField, MoneyField


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete a posted entry."""


class Account(models.Model):
    """An account in one lender's books: the lender's own (no party) or a party's, for a purpose in one currency.

    Every account belongs to one lender, so two lenders on one deployment never share books: a
    supplier financed by two lenders has an advances account with each.
    """

    class Purpose(models.TextChoices):
        LENDER_FUNDING = "lender_funding", _("Lender funding")
        ADVANCES = "advances", _("Advances outstanding")
        INTEREST_RECEIVABLE = "interest_receivable", _("Interest receivable")
        SUPPLIER_SETTLEMENT = "supplier_settlement", _("Supplier settlement")
        DEBTOR_COLLECTION = "debtor_collection", _("Debtor collection")
        MARGIN = "margin", _("Margin")
        FEE_INCOME = "fee_income", _("Fee income")
        INTEREST_INCOME = "interest_income", _("Interest income")
        PENALTY_RECEIVABLE = "penalty_receivable", _("Penalty interest receivable")
        PENALTY_INCOME = "penalty_income", _("Penalty interest income")
        SUSPENSE = "suspense", _("Suspense")
        LOSS = "loss", _("Credit losses")
        # Margin held against a bank acceptance bill: it cannot be drawn or applied until the bill is paid.
        MARGIN_FROZEN = "margin_frozen", _("Margin frozen against acceptance bills")
        # Off balance sheet, a pair that always nets to zero: the customer's liability on the bills the lender
        # accepted for it, against the lender's contingent liability to pay them at maturity.
        ACCEPTANCE_CONTINGENT = ("acceptance_contingent",
                                 _("Customers' liability on acceptance bills (off balance sheet)"))
        ACCEPTANCES_OUTSTANDING = "acceptances_outstanding", _("Acceptance bills outstanding (off balance sheet)")

    code = models.CharField(_("code"), max_length=80, unique=True)
    lender = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="ledger_accounts",
                               verbose_name=_("lender"))
    owner = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="accounts",
                              null=True, blank=True, verbose_name=_("party"))
    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices)
    currency = CurrencyField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(fields=["lender", "owner", "purpose", "currency"],
                                    name="account_lender_owner_purpose_currency"),
            models.UniqueConstraint(fields=["lender", "purpose", "currency"], condition=Q(owner__isnull=True),
                                    name="account_lender_house_purpose_currency"),
        ]

    def __str__(self) -> str:
        return self.code


class JournalEntry(models.Model):
    """One balanced money movement, posted once per idempotency key, never changed."""

    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    fingerprint = models.CharField(max_length=64)
    description = models.CharField(_("description"), max_length=300)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversed_by", verbose_name=_("reverses"))
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    posted_at = models.DateTimeField(_("posted at"), auto_now_add=True)
    value_date = models.DateField(_("value date"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")

    def __str__(self) -> str:
        return f"JE-{self.pk} {self.description}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("A posted journal entry is never changed; post a reversal.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("A posted journal entry is never deleted; post a reversal.")


class Posting(models.Model):
    """One line of an entry: a signed amount on an account (debit positive, credit negative)."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount = MoneyField(_("amount"), non_negative=False)
    currency = CurrencyField()

    class Meta:
        ordering = ["id"]
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="posting_amount_non_zero")]
        indexes = [models.Index(fields=["account", "entry"])]

    def __str__(self) -> str:
        return f"{self.account} {self.amount:+} {self.currency}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("A posting is never changed.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("A posting is never deleted.")
