"""Factoring: receivables owed by core enterprises to suppliers, and the financings against them."""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, transition

from scf.core.fields import CurrencyField, MoneyField, StateField
from scf.facilities.models import DayCountChoice, InterestMode
from scf.parties.models import SettlementAccount

_INVOICE_NOISE = re.compile(r"[\s\-]+")


def normalize_invoice_number(value: str) -> str:
    """Return the invoice number upper-cased without spaces or hyphens: the duplicate key."""
    return _INVOICE_NOISE.sub("", value or "").upper()


class Receivable(ConcurrentTransitionMixin, models.Model):
    """An invoice a supplier (creditor) holds against a core enterprise (debtor)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        CONFIRMED = "confirmed", _("Confirmed")
        DISPUTED = "disputed", _("Disputed")
        FINANCED = "financed", _("Financed")
        SETTLED = "settled", _("Settled")
        # The financing ended without the debtor's payment: the supplier bought the invoice back (the debtor
        # owes the supplier again), or the lender wrote it off. Neither is "settled" to the debtor.
        BOUGHT_BACK = "bought_back", _("Bought back by the supplier")
        WRITTEN_OFF = "written_off", _("Written off")
        CANCELLED = "cancelled", _("Cancelled")

    supplier = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="receivables",
                                 verbose_name=_("supplier (creditor)"))
    debtor = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="payables",
                               verbose_name=_("debtor"))
    invoice_number = models.CharField(_("invoice number"), max_length=60)
    invoice_key = models.CharField(max_length=60, editable=False)
    issue_date = models.DateField(_("issue date"))
    due_date = models.DateField(_("due date"))
    currency = CurrencyField()
    face_amount = MoneyField(_("face amount"))
    confirmed_amount = MoneyField(_("confirmed amount"), null=True, blank=True)
    confirmation_note = models.TextField(_("confirmation note"), blank=True)
    reverse = models.BooleanField(_("reverse factoring"), default=False,
                                  help_text=_("Uploaded by the debtor as an approved payable."))
    state = StateField(_("state"), choices=State.choices, default=State.DRAFT, protected=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("receivable")
        verbose_name_plural = _("receivables")
        constraints = [
            # The same receivable is never accepted twice, whoever submits it.
            models.UniqueConstraint(fields=["debtor", "supplier", "invoice_key"], name="receivable_unique_invoice"),
            models.CheckConstraint(condition=Q(face_amount__gt=0), name="receivable_face_positive"),
            models.CheckConstraint(condition=Q(due_date__gte=F("issue_date")), name="receivable_dates_ordered"),
            models.CheckConstraint(
                condition=Q(confirmed_amount__isnull=True)
                | (Q(confirmed_amount__gt=0) & Q(confirmed_amount__lte=F("face_amount"))),
                name="receivable_confirmed_within_face",
            ),
            models.CheckConstraint(condition=~Q(supplier=F("debtor")), name="receivable_parties_distinct"),
        ]
        indexes = [models.Index(fields=["supplier", "state"]), models.Index(fields=["debtor", "state"])]

    def __str__(self) -> str:
        return f"{self.invoice_number} · {self.currency} {self.face_amount:,}"

    def save(self, *args, **kwargs):
        self.invoice_key = normalize_invoice_number(self.invoice_number)
        super().save(*args, **kwargs)

    @property
    def financeable_amount(self) -> Decimal:
        return self.confirmed_amount if self.confirmed_amount is not None else Decimal("0.00")

    @transition(field=state, source=State.DRAFT, target=State.SUBMITTED)
    def submit(self, *, by=None, note: str = "") -> None:
        """Send the receivable to the debtor for confirmation."""

    @transition(field=state, source=[State.SUBMITTED, State.DRAFT], target=State.CONFIRMED)
    def confirm(self, *, by=None, note: str = "", amount: Decimal) -> None:
        """Record the debtor's confirmation of `amount` (at most the face amount)."""
        self.confirmed_amount = amount
        self.confirmation_note = note

    @transition(field=state, source=State.SUBMITTED, target=State.DISPUTED)
    def dispute(self, *, by=None, note: str = "") -> None:
        """Record that the debtor disputes the receivable."""
        self.confirmation_note = note

    @transition(field=state, source=State.CONFIRMED, target=State.FINANCED)
    def finance(self, *, by=None, note: str = "") -> None:
        """Mark the receivable as financed."""

    @transition(field=state, source=State.FINANCED, target=State.CONFIRMED)
    def unfinance(self, *, by=None, note: str = "") -> None:
        """Free the receivable when its financing is rejected or cancelled."""

    @transition(field=state, source=State.FINANCED, target=State.SETTLED)
    def settle(self, *, by=None, note: str = "") -> None:
        """Mark the receivable as paid and settled."""

    @transition(field=state, source=State.FINANCED, target=State.BOUGHT_BACK)
    def bought_back(self, *, by=None, note: str = "") -> None:
        """Hand the receivable back to the supplier, who bought its financing back."""

    @transition(field=state, source=State.FINANCED, target=State.WRITTEN_OFF)
    def write_off(self, *, by=None, note: str = "") -> None:
        """Mark the receivable as written off with its financing."""

    @transition(field=state, source=[State.DRAFT, State.SUBMITTED, State.DISPUTED, State.CONFIRMED],
                target=State.CANCELLED)
    def cancel(self, *, by=None, note: str = "") -> None:
        """Withdraw the receivable."""


class FactoringFinancing(ConcurrentTransitionMixin, models.Model):
    """A supplier's request to finance confirmed receivables, through to the closed file."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        UNDER_REVIEW = "under_review", _("Under review")
        RETURNED = "returned", _("Returned for revision")
        REJECTED = "rejected", _("Rejected")
        APPROVED = "approved", _("Approved")
        CONTRACT_ISSUED = "contract_issued", _("Contract issued")
        SIGNED = "signed", _("Signed")
        DISBURSED = "disbursed", _("Disbursed")
        OVERDUE = "overdue", _("Overdue")
        RECOURSE_CLAIMED = "recourse_claimed", _("Recourse claimed")
        BOUGHT_BACK = "bought_back", _("Bought back")
        WRITTEN_OFF = "written_off", _("Written off")
        SETTLED = "settled", _("Settled")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    reference = models.CharField(_("reference"), max_length=30, unique=True)
    facility = models.ForeignKey("facilities.CreditFacility", on_delete=models.PROTECT, related_name="factorings",
                                 verbose_name=_("facility"))
    supplier = models.ForeignKey("parties.Organization", on_delete=models.PROTECT,
                                 related_name="factoring_financings", verbose_name=_("supplier"))
    debtor = models.ForeignKey("parties.Organization", on_delete=models.PROTECT,
                               related_name="factoring_debts", verbose_name=_("debtor"))
    lender = models.ForeignKey("parties.Organization", on_delete=models.PROTECT,
                               related_name="factoring_loans", verbose_name=_("lender"))
    receivables = models.ManyToManyField(Receivable, related_name="financings", verbose_name=_("receivables"))
    # The supplier's verified account the advance (and later the rebate) is paid into: set at the request,
    # replaced at payment by the supplier's current verified one if it is no longer verified.
    settlement_account = models.ForeignKey("parties.SettlementAccount", on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="+", verbose_name=_("settlement account"))
    # The lender's account the notice of assignment tells the debtor to pay into: kept when the contracts are
    # generated, so that every later document and reminder names the same one while it stays verified.
    collection_account = models.ForeignKey("parties.SettlementAccount", on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="+", verbose_name=_("collection account"))
    currency = CurrencyField()
    confirmed_amount = MoneyField(_("confirmed amount"))
    advance_rate = models.DecimalField(_("advance rate"), max_digits=7, decimal_places=6)
    annual_rate = models.DecimalField(_("annual interest rate"), max_digits=7, decimal_places=6)
    fee_rate = models.DecimalField(_("fee rate"), max_digits=7, decimal_places=6)
    day_count = models.CharField(_("day count"), max_length=7, choices=DayCountChoice.choices)
    interest_mode = models.CharField(_("interest"), max_length=10, choices=InterestMode.choices)
    value_date = models.DateField(_("value date"))
    due_date = models.DateField(_("due date"))
    advance_amount = MoneyField(_("advance"))
    tenor_days = models.PositiveIntegerField(_("tenor (days)"))
    interest_amount = MoneyField(_("interest"))
    fee_amount = MoneyField(_("fee"))
    net_disbursement = MoneyField(_("net disbursement"))
    all_in_rate = models.DecimalField(_("all-in annual cost"), max_digits=9, decimal_places=6)
    with_recourse = models.BooleanField(_("with recourse"), default=True)
    reverse = models.BooleanField(_("reverse factoring"), default=False)
    state = StateField(_("state"), choices=State.choices, default=State.DRAFT, protected=True)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approval_case = models.OneToOneField("approval.ApprovalCase", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="factoring", verbose_name=_("approval case"))
    # Running balances, kept under the financing's row lock by the services; the ledger is the
    # record, these make the daily jobs and the pages cheap.
    disbursed_on = models.DateField(_("disbursed on"), null=True, blank=True)
    advance_outstanding = MoneyField(_("advance outstanding"), default=Decimal("0.00"))
    interest_outstanding = MoneyField(_("interest outstanding"), default=Decimal("0.00"))
    fees_outstanding = MoneyField(_("fees outstanding"), default=Decimal("0.00"))
    penalty_accrued = MoneyField(_("penalty interest posted"), default=Decimal("0.00"))
    penalty_outstanding = MoneyField(_("penalty interest outstanding"), default=Decimal("0.00"))
    penalty_accrued_to = models.DateField(_("penalty accrued to"), null=True, blank=True)
    collected_amount = MoneyField(_("collected from the debtor"), default=Decimal("0.00"))
    rebate_due = MoneyField(_("rebate due to the supplier"), default=Decimal("0.00"))
    rebate_paid = MoneyField(_("rebate paid"), default=Decimal("0.00"))
    written_off_amount = MoneyField(_("written off"), default=Decimal("0.00"))
    # Money received for the financing (scf.collections); `Receipt.objects.filter(financing=...)` reads them too.
    receipts = GenericRelation("collections.Receipt", content_type_field="case_type", object_id_field="case_id",
                               related_query_name="financing")
    reminded_days = models.JSONField(default=list, blank=True, editable=False,
                                     help_text=_("Days before maturity for which a reminder was sent."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("factoring financing")
        verbose_name_plural = _("factoring financings")
        constraints = [
            models.CheckConstraint(condition=Q(advance_amount__gt=0), name="factoring_advance_positive"),
            models.CheckConstraint(condition=Q(advance_amount__lte=F("confirmed_amount")),
                                   name="factoring_advance_within_confirmed"),
            models.CheckConstraint(condition=Q(due_date__gt=F("value_date")), name="factoring_tenor_positive"),
            models.CheckConstraint(
                condition=Q(advance_outstanding__gte=0) & Q(interest_outstanding__gte=0) & Q(fees_outstanding__gte=0)
                & Q(penalty_outstanding__gte=0) & Q(rebate_paid__lte=F("rebate_due")),
                name="factoring_balances_sane",
            ),
        ]
        # The list's orders (newest first, by due date, by amount) read a page from these indexes instead of
        # sorting the book; an amount range is an index range.
        indexes = [models.Index(fields=["state", "due_date"]),
                   models.Index(fields=["created_at", "id"], name="factoring_financing_created"),
                   models.Index(fields=["due_date", "id"], name="factoring_financing_due"),
                   models.Index(fields=["confirmed_amount", "id"], name="factoring_financing_amount")]

    def __str__(self) -> str:
        return f"{self.reference} · {self.supplier} · {self.currency} {self.advance_amount:,}"

    @property
    def lender_owed(self) -> Decimal:
        """Return what the lender is still owed: penalty, interest, fees and advance."""
        return self.penalty_outstanding + self.interest_outstanding + self.fees_outstanding + self.advance_outstanding

    @property
    def collectable_from_debtor(self) -> Decimal:
        """Return how much more the debtor owes on the confirmed receivables."""
        return max(self.confirmed_amount - self.collected_amount, Decimal("0.00"))

    def payout_account(self):
        """Return the supplier's verified account this financing pays into, or None when it has none.

        The account chosen at the request while it stays verified; else the supplier's current verified
        account in the currency (a changed account is pending until verified again, and receives nothing).
        """
        return SettlementAccount.objects.kept_or_payout_for(self.settlement_account, self.supplier_id, self.currency)

    def debtor_pays_into(self):
        """Return the lender's verified account the debtor pays into, or None when the lender has none.

        The account the contracts named while it stays verified; else the lender's current verified
        account in the currency (a changed account is pending until verified again, and is never printed).
        """
        return SettlementAccount.objects.kept_or_payout_for(self.collection_account, self.lender_id, self.currency)

    @transition(field=state, source=[State.DRAFT, State.RETURNED], target=State.UNDER_REVIEW)
    def submit(self, *, by=None, note: str = "") -> None:
        """Send the request to the lender's credit review."""

    @transition(field=state, source=State.UNDER_REVIEW, target=State.RETURNED)
    def return_for_revision(self, *, by=None, note: str = "") -> None:
        """Send the request back to the supplier to revise."""

    @transition(field=state, source=State.UNDER_REVIEW, target=State.REJECTED)
    def reject(self, *, by=None, note: str = "") -> None:
        """Decline the request."""

    @transition(field=state, source=State.UNDER_REVIEW, target=State.APPROVED)
    def approve(self, *, by=None, note: str = "") -> None:
        """Record the final approval."""

    @transition(field=state, source=State.APPROVED, target=State.CONTRACT_ISSUED)
    def issue_contract(self, *, by=None, note: str = "") -> None:
        """Record that the contract documents were issued for signing."""

    @transition(field=state, source=State.CONTRACT_ISSUED, target=State.SIGNED)
    def mark_signed(self, *, by=None, note: str = "") -> None:
        """Record that every party signed."""

    @transition(field=state, source=State.SIGNED, target=State.DISBURSED)
    def disburse(self, *, by=None, note: str = "") -> None:
        """Record the disbursement."""

    @transition(field=state, source=State.DISBURSED, target=State.OVERDUE)
    def mark_overdue(self, *, by=None, note: str = "") -> None:
        """Mark unpaid after the grace days."""

    @transition(field=state, source=State.OVERDUE, target=State.RECOURSE_CLAIMED)
    def claim_recourse(self, *, by=None, note: str = "") -> None:
        """Demand the buy-back from the supplier."""

    @transition(field=state, source=State.RECOURSE_CLAIMED, target=State.BOUGHT_BACK)
    def bought_back(self, *, by=None, note: str = "") -> None:
        """Record the supplier's buy-back."""

    @transition(field=state, source=[State.OVERDUE, State.RECOURSE_CLAIMED], target=State.WRITTEN_OFF)
    def write_off(self, *, by=None, note: str = "") -> None:
        """Write the loss off."""

    @transition(field=state, source=[State.DISBURSED, State.OVERDUE, State.RECOURSE_CLAIMED], target=State.SETTLED)
    def settle(self, *, by=None, note: str = "") -> None:
        """Record the debtor's payment and the rebate."""

    @transition(field=state, source=[State.SETTLED, State.BOUGHT_BACK, State.WRITTEN_OFF], target=State.CLOSED)
    def close(self, *, by=None, note: str = "") -> None:
        """Close the file."""

    @transition(field=state, source=[State.DRAFT, State.UNDER_REVIEW, State.RETURNED, State.APPROVED,
                                     State.CONTRACT_ISSUED], target=State.CANCELLED)
    def cancel(self, *, by=None, note: str = "") -> None:
        """Withdraw the request before disbursement."""
