"""Pledge's business objects: commodities, eligibility and supervisors, prices, agreements, collateral, registration."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, transition

from scf.core.fields import CurrencyField, MoneyField, StateField
from scf.facilities.models import DayCountChoice


class Commodity(models.Model):
    """A kind of goods that can be pledged, with its unit and the precision its quantities are kept to."""

    class Unit(models.TextChoices):
        TONNE = "t", _("tonne")
        KILOGRAM = "kg", _("kilogram")
        CUBIC_METRE = "m3", _("cubic metre")
        PIECE = "pc", _("piece")

    class Precision(models.TextChoices):
        THOUSANDTH = "0.001", _("to 0.001")
        UNIT = "1", _("whole units")

    code = models.CharField(_("code"), max_length=30, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    unit = models.CharField(_("unit"), max_length=5, choices=Unit.choices)
    precision = models.CharField(_("quantity precision"), max_length=5, choices=Precision.choices,
                                 default=Precision.THOUSANDTH)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("commodity")
        verbose_name_plural = _("commodities")
        constraints = [
            models.CheckConstraint(condition=Q(precision__in=["0.001", "1"]), name="commodity_precision_known"),
            models.CheckConstraint(condition=~Q(code=""), name="commodity_code_not_blank"),
        ]
        permissions = [("manage_pledge_commodities", "Can manage eligible commodities and approved warehouses")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    @property
    def name(self) -> str:
        """Return the name in the active language (Chinese for zh, English otherwise)."""
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    @property
    def quantity_precision(self) -> Decimal:
        return Decimal(self.precision)


class CommodityEligibility(models.Model):
    """A commodity the lender accepts as collateral, with its pledge rate for that commodity."""

    lender = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="pledge_commodities",
                               verbose_name=_("lender"))
    commodity = models.ForeignKey(Commodity, on_delete=models.PROTECT, related_name="eligibilities",
                                  verbose_name=_("commodity"))
    pledge_rate = models.DecimalField(_("pledge rate"), max_digits=7, decimal_places=6,
                                      default=Decimal("0.600000"))
    is_active = models.BooleanField(_("eligible"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lender_id", "commodity__code"]
        verbose_name = _("eligible commodity")
        verbose_name_plural = _("eligible commodities")
        constraints = [
            models.UniqueConstraint(fields=["lender", "commodity"], name="commodity_eligibility_once_per_lender"),
            models.CheckConstraint(condition=Q(pledge_rate__gt=0) & Q(pledge_rate__lt=1),
                                   name="commodity_eligibility_rate_between_0_and_1"),
        ]

    def __str__(self) -> str:
        return f"{self.lender} · {self.commodity}"


class WarehouseApproval(models.Model):
    """The lender's approval of a warehouse operator as its supervisor (监管方), with a concentration limit."""

    lender = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="approved_warehouses",
                               verbose_name=_("lender"))
    warehouse = models.ForeignKey("parties.Organization", on_delete=models.PROTECT,
                                  related_name="warehouse_approvals", verbose_name=_("warehouse operator"))
    concentration_limit = MoneyField(_("concentration limit"),
                                     help_text=_("The collateral value this warehouse may hold for the lender."))
    currency = CurrencyField()
    is_active = models.BooleanField(_("approved"), default=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    null=True, blank=True)
    approved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lender_id", "warehouse__legal_name"]
        verbose_name = _("approved warehouse")
        verbose_name_plural = _("approved warehouses")
        constraints = [
            models.UniqueConstraint(fields=["lender", "warehouse"], name="warehouse_approval_once_per_lender"),
            models.CheckConstraint(condition=Q(concentration_limit__gt=0), name="warehouse_concentration_positive"),
            models.CheckConstraint(condition=~Q(lender=F("warehouse")), name="warehouse_approval_parties_distinct"),
        ]

    def __str__(self) -> str:
        return f"{self.lender} · {self.warehouse}"


class PriceBatch(models.Model):
    """A file of prices (an exchange's settlement prices, a price system's post), approved or rejected as one.

    Its prices count only once a second person approved the batch; they are never decided one by one.
    """

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    lender = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="price_batches",
                               verbose_name=_("lender"))
    name = models.CharField(_("file"), max_length=200)
    state = StateField(_("state"), max_length=10, choices=State.choices, default=State.PROPOSED, protected=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("entered by"))
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True, verbose_name=_("approved or rejected by"))
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("price file")
        verbose_name_plural = _("price files")
        constraints = [
            # Four eyes held by the database, as for a single price.
            models.CheckConstraint(condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("created_by")),
                                   name="price_batch_not_decided_by_maker"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.created_at:%Y-%m-%d %H:%M})" if self.created_at else self.name

    @transition(field=state, source=State.PROPOSED, target=State.APPROVED)
    def approve(self, *, by, at, note: str = "") -> None:
        """Approve the file by a second person: its prices count from now on (the service decides them)."""
        self.decided_by = by
        self.decided_at = at

    @transition(field=state, source=State.PROPOSED, target=State.REJECTED)
    def reject(self, *, by, at, note: str = "") -> None:
        """Reject the file: none of its prices ever counts."""
        self.decided_by = by
        self.decided_at = at


class CommodityPrice(models.Model):
    """A price of a commodity for a lender's valuations; it counts only once a second person approved it."""

    class Source(models.TextChoices):
        EXCHANGE = "exchange", _("Exchange settlement price")
        SPOT = "spot", _("Spot quote")
        APPRAISAL = "appraisal", _("Appraisal")
        INVOICE = "invoice", _("Invoice")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    lender = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="commodity_prices",
                               verbose_name=_("lender"))
    commodity = models.ForeignKey(Commodity, on_delete=models.PROTECT, related_name="prices",
                                  verbose_name=_("commodity"))
    price = models.DecimalField(_("unit price"), max_digits=20, decimal_places=6)
    currency = CurrencyField()
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    reference = models.CharField(_("reference"), max_length=200, blank=True,
                                 help_text=_("Where the price comes from: exchange contract, quote, report, invoice."))
    effective_date = models.DateField(_("effective date"))
    state = StateField(_("state"), max_length=10, choices=State.choices, default=State.PROPOSED, protected=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("entered by"))
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True, verbose_name=_("approved or rejected by"))
    decided_at = models.DateTimeField(null=True, blank=True)
    batch = models.ForeignKey(PriceBatch, on_delete=models.PROTECT, related_name="prices", null=True, blank=True,
                              verbose_name=_("price file"))

    class Meta:
        ordering = ["commodity__code", "-effective_date", "-decided_at"]
        verbose_name = _("commodity price")
        verbose_name_plural = _("commodity prices")
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="commodity_price_positive"),
            # Four eyes held by the database: the person who entered a price never decides it.
            models.CheckConstraint(condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("created_by")),
                                   name="commodity_price_not_decided_by_maker"),
            models.CheckConstraint(
                condition=(Q(state="proposed") & Q(decided_by__isnull=True) & Q(decided_at__isnull=True))
                | (Q(state__in=["approved", "rejected"]) & Q(decided_by__isnull=False) & Q(decided_at__isnull=False)),
                name="commodity_price_decided_iff_decider"),
        ]
        indexes = [
            models.Index(fields=["lender", "commodity", "state", "-effective_date"], name="commodity_price_latest"),
        ]
        permissions = [
            ("propose_commodity_price", "Can enter a commodity price"),
            ("approve_commodity_price", "Can approve a commodity price"),
        ]

    def __str__(self) -> str:
        return f"{self.commodity.code} {self.currency} {self.price} @ {self.effective_date}"

    @transition(field=state, source=State.PROPOSED, target=State.APPROVED)
    def approve(self, *, by, at) -> None:
        """Mark the price approved by a second person; from now on it counts in valuations."""
        self.decided_by = by
        self.decided_at = at

    @transition(field=state, source=State.PROPOSED, target=State.REJECTED)
    def reject(self, *, by, at) -> None:
        """Mark the price rejected; it never counts."""
        self.decided_by = by
        self.decided_at = at


def QuantityField(verbose_name=None, **kwargs) -> models.DecimalField:  # noqa: N802
    """A quantity of goods, kept to 0.001 (a commodity of whole units keeps it to 1, checked by the services)."""
    kwargs.setdefault("max_digits", 20)
    kwargs.setdefault("decimal_places", 3)
    return models.DecimalField(verbose_name, **kwargs)


class PledgeAgreement(ConcurrentTransitionMixin, models.Model):
    """A maximum-amount pledge agreement (最高额质押) between a lender, a pledgor and a warehouse/supervisor.

    The terms are fixed when it is approved; the loans under it (drawdowns) and the goods pledged
    under it (collateral) are counted together: exposure and value are the agreement's, not a loan's.
    Collateral counts only once the agreement is active, that is once all three parties signed.
    """

    class Kind(models.TextChoices):
        STATIC = "static", _("Static pledge")
        DYNAMIC = "dynamic", _("Dynamic pledge")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        UNDER_REVIEW = "under_review", _("Under review")
        RETURNED = "returned", _("Returned for revision")
        REJECTED = "rejected", _("Rejected")
        APPROVED = "approved", _("Approved")
        CONTRACT_ISSUED = "contract_issued", _("Contracts issued")
        ACTIVE = "active", _("Active")
        DEFAULTED = "defaulted", _("In default")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    reference = models.CharField(_("reference"), max_length=30, unique=True)
    lender = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="pledge_loans",
                               verbose_name=_("lender"))
    pledgor = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="pledge_agreements",
                                verbose_name=_("pledgor"))
    warehouse = models.ForeignKey("parties.Organization", on_delete=models.PROTECT,
                                  related_name="pledge_custody", verbose_name=_("warehouse / supervisor"))
    facility = models.ForeignKey("facilities.CreditFacility", on_delete=models.PROTECT, related_name="pledges",
                                 verbose_name=_("facility"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DYNAMIC)
    currency = CurrencyField()
    maximum_amount = MoneyField(_("maximum amount secured"))
    pledge_rate = models.DecimalField(_("pledge rate"), max_digits=7, decimal_places=6, default=Decimal("0.600000"))
    warning_ltv = models.DecimalField(_("warning line (LTV)"), max_digits=7, decimal_places=6,
                                      default=Decimal("0.650000"))
    call_ltv = models.DecimalField(_("margin call line (LTV)"), max_digits=7, decimal_places=6,
                                   default=Decimal("0.700000"))
    liquidation_ltv = models.DecimalField(_("liquidation line (LTV)"), max_digits=7, decimal_places=6,
                                          default=Decimal("0.800000"))
    cure_days = models.PositiveSmallIntegerField(_("cure days (business days)"), default=3)
    price_max_age_days = models.PositiveSmallIntegerField(_("price maximum age (days)"), default=5)
    floor_value_minimum = MoneyField(_("lender's minimum floor value"), default=Decimal("0.00"),
                                     help_text=_("A dynamic pledge's floor is never below this."))
    annual_rate = models.DecimalField(_("annual interest rate"), max_digits=7, decimal_places=6)
    day_count = models.CharField(_("day count"), max_length=7, choices=DayCountChoice.choices,
                                 default=DayCountChoice.ACT_360)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    state = StateField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT, protected=True)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("prepared by"))
    approval_case = models.OneToOneField("approval.ApprovalCase", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="pledge_agreement", verbose_name=_("approval case"))
    # Running balances kept under the agreement's row lock by the services; the ledger is the record.
    principal_outstanding = MoneyField(_("principal outstanding"), default=Decimal("0.00"))
    cash_margin = MoneyField(_("cash margin held"), default=Decimal("0.00"))
    activated_at = models.DateTimeField(_("active since"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    defaulted_at = models.DateTimeField(_("in default since"), null=True, blank=True)
    default_reason = models.CharField(_("reason for default"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("pledge agreement")
        verbose_name_plural = _("pledge agreements")
        constraints = [
            models.CheckConstraint(condition=Q(maximum_amount__gt=0), name="pledge_agreement_maximum_positive"),
            models.CheckConstraint(condition=Q(pledge_rate__gt=0) & Q(pledge_rate__lt=1),
                                   name="pledge_agreement_rate_between_0_and_1"),
            models.CheckConstraint(
                condition=Q(warning_ltv__gt=0) & Q(warning_ltv__lte=F("call_ltv")) & Q(call_ltv__lte=F("liquidation_ltv"))
                & Q(liquidation_ltv__lte=1),
                name="pledge_agreement_lines_ordered"),
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="pledge_agreement_term_positive"),
            models.CheckConstraint(condition=Q(cure_days__gte=1) & Q(price_max_age_days__gte=1),
                                   name="pledge_agreement_days_positive"),
            models.CheckConstraint(condition=~Q(pledgor=F("warehouse")) & ~Q(pledgor=F("lender"))
                                   & ~Q(warehouse=F("lender")), name="pledge_agreement_parties_distinct"),
        ]
        indexes = [models.Index(fields=["lender", "state"]), models.Index(fields=["warehouse", "state"])]

    def __str__(self) -> str:
        return f"{self.reference} · {self.pledgor} · {self.currency} {self.maximum_amount:,}"

    @property
    def exposure(self) -> Decimal:
        """Return E = max(0, principal outstanding − cash margin held) (DESIGN §5)."""
        return max(self.principal_outstanding - self.cash_margin, Decimal("0.00"))

    @transition(field=state, source=[State.DRAFT, State.RETURNED], target=State.UNDER_REVIEW)
    def submit(self, *, by=None, note: str = "") -> None:
        """Send the agreement to the lender's credit review."""

    @transition(field=state, source=State.UNDER_REVIEW, target=State.RETURNED)
    def return_for_revision(self, *, by=None, note: str = "") -> None:
        """Send the agreement back to be revised."""

    @transition(field=state, source=State.UNDER_REVIEW, target=State.REJECTED)
    def reject(self, *, by=None, note: str = "") -> None:
        """Decline the agreement."""

    @transition(field=state, source=State.UNDER_REVIEW, target=State.APPROVED)
    def approve(self, *, by=None, note: str = "") -> None:
        """Record the final approval."""

    @transition(field=state, source=State.APPROVED, target=State.CONTRACT_ISSUED)
    def issue_contracts(self, *, by=None, note: str = "") -> None:
        """Record that the loan agreement, pledge contract and supervision agreement were issued for signing."""

    @transition(field=state, source=State.CONTRACT_ISSUED, target=State.ACTIVE)
    def activate(self, *, at, by=None, note: str = "") -> None:
        """Record that all three parties signed every contract: from now on collateral counts."""
        self.activated_at = at

    @transition(field=state, source=State.ACTIVE, target=State.CLOSED)
    def close(self, *, at, by=None, note: str = "") -> None:
        """Record the closed file: every loan repaid, all goods released, the registration cancelled."""
        self.closed_at = at

    @transition(field=state, source=State.ACTIVE, target=State.DEFAULTED)
    def declare_default(self, *, at, reason: str, by=None, note: str = "") -> None:
        """Record the default: no more loans or releases, the goods are to be sold (DESIGN §5)."""
        self.defaulted_at = at
        self.default_reason = reason

    @transition(field=state, source=State.DEFAULTED, target=State.CLOSED)
    def close_after_disposal(self, *, at, by=None, note: str = "") -> None:
        """Record the file closed after the disposal paid everything owed under the agreement."""
        self.closed_at = at

    @transition(field=state, source=[State.DRAFT, State.RETURNED, State.APPROVED, State.CONTRACT_ISSUED],
                target=State.CANCELLED)
    def cancel(self, *, by=None, note: str = "") -> None:
        """Cancel an agreement that never became active."""


class WarehouseReceipt(models.Model):
    """A warehouse receipt (仓单) issued by a warehouse to the goods' owner; its number is unique per warehouse.

    Released whole; to release part of it, the warehouse splits it (拆单) into new receipts whose
    quantities add up to it, and the old one is marked split.
    """

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        SPLIT = "split", _("Split into new receipts")
        CANCELLED = "cancelled", _("Cancelled")

    warehouse = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="issued_receipts",
                                  verbose_name=_("warehouse"))
    number = models.CharField(_("receipt number"), max_length=60)
    owner = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="warehouse_receipts",
                              verbose_name=_("owner"))
    commodity = models.ForeignKey(Commodity, on_delete=models.PROTECT, related_name="receipts",
                                  verbose_name=_("commodity"))
    quantity = QuantityField(_("quantity"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    split_from = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="split_into",
                                   verbose_name=_("split from"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.VALID)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["warehouse_id", "number"]
        verbose_name = _("warehouse receipt")
        verbose_name_plural = _("warehouse receipts")
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "number"], name="warehouse_receipt_number_once_per_warehouse",
                                    violation_error_message=_("This warehouse already issued a receipt with this "
                                                              "number.")),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="warehouse_receipt_quantity_positive"),
            models.CheckConstraint(condition=~Q(number=""), name="warehouse_receipt_number_not_blank"),
            models.CheckConstraint(condition=Q(expires_on__isnull=True) | Q(expires_on__gte=F("issued_on")),
                                   name="warehouse_receipt_expiry_after_issue"),
        ]

    def __str__(self) -> str:
        return f"{self.number} · {self.commodity.code} {self.quantity}"


class InventoryLot(models.Model):
    """A quantity of one commodity held under the supervisor's control (存货); it releases partly."""

    warehouse = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="supervised_lots",
                                  verbose_name=_("warehouse / supervisor"))
    owner = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="inventory_lots",
                              verbose_name=_("owner"))
    commodity = models.ForeignKey(Commodity, on_delete=models.PROTECT, related_name="lots",
                                  verbose_name=_("commodity"))
    lot_number = models.CharField(_("lot number"), max_length=60)
    quantity = QuantityField(_("quantity"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True,
                                   help_text=_("Grade, marks, packing: what identifies the goods on site."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["warehouse_id", "lot_number"]
        verbose_name = _("inventory lot")
        verbose_name_plural = _("inventory lots")
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "lot_number"], name="inventory_lot_number_once_per_warehouse",
                                    violation_error_message=_("This warehouse already has a lot with this number.")),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_lot_quantity_positive"),
            models.CheckConstraint(condition=~Q(lot_number=""), name="inventory_lot_number_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.lot_number} · {self.commodity.code} {self.quantity}"


class CollateralIntake(ConcurrentTransitionMixin, models.Model):
    """Goods brought under an agreement at once: declared by the pledgor, counted by the warehouse, noticed.

    Its lines count in the valuation only once effective: the warehouse confirmed the count (and signed
    the pledged goods list, 质物清单) and confirmed the lender's notice of pledge. A substitution's new
    goods come in through an intake too.
    """

    class State(models.TextChoices):
        DECLARED = "declared", _("Declared by the pledgor")
        COUNTED = "counted", _("Counted by the warehouse")
        NOTICE_ISSUED = "notice_issued", _("Notice of pledge issued")
        EFFECTIVE = "effective", _("Effective")
        REFUSED = "refused", _("Refused by the warehouse")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    agreement = models.ForeignKey(PledgeAgreement, on_delete=models.PROTECT, related_name="intakes",
                                  verbose_name=_("agreement"))
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    state = StateField(_("state"), max_length=20, choices=State.choices, default=State.DECLARED, protected=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("declared by"))
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True, verbose_name=_("counted by"))
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    notice_issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                         null=True, blank=True, verbose_name=_("notice issued by"))
    effective_at = models.DateTimeField(_("effective since"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("collateral intake")
        verbose_name_plural = _("collateral intakes")

    def __str__(self) -> str:
        return f"{self.reference} · {self.get_state_display()}"

    @transition(field=state, source=State.DECLARED, target=State.COUNTED)
    def count(self, *, by, at) -> None:
        """Record the warehouse's count confirming every line."""
        self.counted_by = by
        self.counted_at = at

    @transition(field=state, source=State.DECLARED, target=State.REFUSED)
    def refuse(self, *, by, at) -> None:
        """Record that the warehouse could not confirm the goods declared."""
        self.counted_by = by
        self.counted_at = at

    @transition(field=state, source=State.COUNTED, target=State.NOTICE_ISSUED)
    def issue_notice(self, *, by) -> None:
        """Record that the lender issued the notice of pledge to the warehouse."""
        self.notice_issued_by = by

    @transition(field=state, source=State.NOTICE_ISSUED, target=State.EFFECTIVE)
    def make_effective(self, *, at) -> None:
        """Record the warehouse's confirmation of the notice: the goods are pledged from now on."""
        self.effective_at = at

    @transition(field=state, source=State.DECLARED, target=State.WITHDRAWN)
    def withdraw(self) -> None:
        """Withdraw a declaration the warehouse has not counted yet."""


class PledgedItem(models.Model):
    """One receipt or lot under an agreement, with the quantity pledged now.

    A receipt or lot sits under at most one agreement while the item is held (declared, counted or
    pledged): two partial unique indexes say so to the database, whatever races to insert it.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        PLEDGED = "pledged", _("Pledged")
        RELEASED = "released", _("Released")
        REFUSED = "refused", _("Refused")
        SPLIT = "split", _("Split into new receipts")
        DISPOSED = "disposed", _("Sold in a disposal")

    HELD = (Status.PROPOSED, Status.PLEDGED)

    intake = models.ForeignKey(CollateralIntake, on_delete=models.PROTECT, related_name="items",
                               verbose_name=_("intake"))
    agreement = models.ForeignKey(PledgeAgreement, on_delete=models.PROTECT, related_name="items",
                                  verbose_name=_("agreement"))
    receipt = models.ForeignKey(WarehouseReceipt, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="pledges", verbose_name=_("warehouse receipt"))
    lot = models.ForeignKey(InventoryLot, on_delete=models.PROTECT, null=True, blank=True, related_name="pledges",
                            verbose_name=_("inventory lot"))
    commodity = models.ForeignKey(Commodity, on_delete=models.PROTECT, related_name="+", verbose_name=_("commodity"))
    declared_quantity = QuantityField(_("declared quantity"))
    counted_quantity = QuantityField(_("counted quantity"), null=True, blank=True)
    quantity = QuantityField(_("quantity pledged"), default=Decimal("0.000"),
                             help_text=_("What counts in the valuation now: the counted quantity, less releases."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agreement_id", "id"]
        verbose_name = _("pledged item")
        verbose_name_plural = _("pledged items")
        constraints = [
            models.CheckConstraint(condition=(Q(receipt__isnull=False) & Q(lot__isnull=True))
                                   | (Q(receipt__isnull=True) & Q(lot__isnull=False)),
                                   name="pledged_item_receipt_or_lot"),
            models.UniqueConstraint(fields=["receipt"], condition=Q(status__in=["proposed", "pledged"]),
                                    name="pledged_item_receipt_held_once",
                                    violation_error_message=_("This warehouse receipt is already pledged.")),
            models.UniqueConstraint(fields=["lot"], condition=Q(status__in=["proposed", "pledged"]),
                                    name="pledged_item_lot_held_once",
                                    violation_error_message=_("This inventory lot is already pledged.")),
            models.CheckConstraint(condition=Q(declared_quantity__gt=0) & Q(quantity__gte=0)
                                   & (Q(counted_quantity__isnull=True) | Q(counted_quantity__gte=0))
                                   & (Q(counted_quantity__isnull=True) | Q(quantity__lte=F("counted_quantity"))),
                                   name="pledged_item_quantities_sane"),
        ]
        indexes = [models.Index(fields=["agreement", "status"])]

    def __str__(self) -> str:
        return f"{self.receipt or self.lot} · {self.quantity}"


class PledgeRegistration(models.Model):
    """The pledge's registration with the national movable-asset registry (中登网), and its cancellation.

    No loan is disbursed under an agreement without a registration in force; closing the agreement
    needs it deregistered. The evidence is a file attached to the agreement (the registry's certificate).
    """

    agreement = models.OneToOneField(PledgeAgreement, on_delete=models.PROTECT, related_name="registration",
                                     verbose_name=_("agreement"))
    number = models.CharField(_("registration number"), max_length=80)
    registered_on = models.DateField(_("registered on"))
    expires_on = models.DateField(_("expires on"))
    evidence = models.ForeignKey("inbox.CaseAttachment", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("registration certificate"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(auto_now_add=True)
    deregistered_on = models.DateField(_("deregistered on"), null=True, blank=True)
    deregistration_evidence = models.ForeignKey("inbox.CaseAttachment", on_delete=models.PROTECT, null=True,
                                                blank=True, related_name="+",
                                                verbose_name=_("deregistration certificate"))
    deregistered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name=_("deregistered by"))

    class Meta:
        verbose_name = _("pledge registration")
        verbose_name_plural = _("pledge registrations")
        constraints = [
            models.CheckConstraint(condition=~Q(number=""), name="pledge_registration_number_not_blank"),
            models.CheckConstraint(condition=Q(expires_on__gt=F("registered_on")),
                                   name="pledge_registration_expiry_after_registration"),
            models.CheckConstraint(
                condition=(Q(deregistered_on__isnull=True) & Q(deregistered_by__isnull=True)
                           & Q(deregistration_evidence__isnull=True))
                | (Q(deregistered_on__isnull=False) & Q(deregistered_by__isnull=False)
                   & Q(deregistration_evidence__isnull=False) & Q(deregistered_on__gte=F("registered_on"))),
                name="pledge_registration_deregistered_whole"),
        ]

    def __str__(self) -> str:
        return self.number

    def in_force_on(self, day) -> bool:
        """Return whether the registration protects the pledge on `day`."""
        return self.deregistered_on is None and self.registered_on <= day < self.expires_on


class PledgeRelease(ConcurrentTransitionMixin, models.Model):
    """A release of pledged goods (解押): asked by the pledgor, ordered by the lender, executed by the warehouse.

    requested → ordered (the lender's operations issued the release order) → executed (the warehouse
    confirmed the goods went out; the pledged quantities drop), or cancelled before execution. While
    requested or ordered its value counts as R, the value of releases not yet executed, in what may
    still be released (DESIGN §5 "Release").
    """

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ORDERED = "ordered", _("Release order issued")
        EXECUTED = "executed", _("Executed")
        CANCELLED = "cancelled", _("Cancelled")

    PENDING = (State.REQUESTED, State.ORDERED)

    agreement = models.ForeignKey(PledgeAgreement, on_delete=models.PROTECT, related_name="releases",
                                  verbose_name=_("agreement"))
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    state = StateField(_("state"), max_length=20, choices=State.choices, default=State.REQUESTED, protected=True)
    requested_value = MoneyField(_("value requested"),
                                 help_text=_("The value of the goods to release at the prices of the request."))
    currency = CurrencyField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    ordered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True, verbose_name=_("release order issued by"))
    ordered_at = models.DateTimeField(_("release order issued at"), null=True, blank=True)
    executed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    null=True, blank=True, verbose_name=_("executed by"))
    executed_at = models.DateTimeField(_("executed at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     null=True, blank=True, verbose_name=_("cancelled by"))
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    substitution_for = models.ForeignKey(
        CollateralIntake, on_delete=models.PROTECT, null=True, blank=True, related_name="substitution_releases",
        verbose_name=_("substitution for the goods of intake"),
        help_text=_("A substitution (换货) of a dynamic pledge: the old goods go out against the new goods of this "
                    "intake, already pledged."))

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("pledge release")
        verbose_name_plural = _("pledge releases")
        constraints = [
            models.CheckConstraint(condition=Q(requested_value__gte=0), name="pledge_release_value_not_negative"),
        ]
        indexes = [models.Index(fields=["agreement", "state"])]

    def __str__(self) -> str:
        return f"{self.reference} · {self.get_state_display()}"

    # The release's flow assigns the lender's operations and reads the agreement's lender from the case.
    @property
    def lender(self):
        return self.agreement.lender

    @property
    def lender_id(self) -> int:
        return self.agreement.lender_id

    @transition(field=state, source=State.REQUESTED, target=State.ORDERED)
    def issue_order(self, *, by, at) -> None:
        """Record that the lender's operations issued the release order to the warehouse."""
        self.ordered_by = by
        self.ordered_at = at

    @transition(field=state, source=State.ORDERED, target=State.EXECUTED)
    def execute(self, *, by, at) -> None:
        """Record the warehouse's confirmation that the goods went out."""
        self.executed_by = by
        self.executed_at = at

    @transition(field=state, source=[State.REQUESTED, State.ORDERED], target=State.CANCELLED)
    def cancel(self, *, by, at) -> None:
        """Cancel a release not executed yet: its value no longer counts as pending."""
        self.cancelled_by = by
        self.cancelled_at = at


class PledgeReleaseLine(models.Model):
    """One pledged receipt (whole) or part of a lot in a release, with its value at the request's price."""

    release = models.ForeignKey(PledgeRelease, on_delete=models.PROTECT, related_name="lines",
                                verbose_name=_("release"))
    item = models.ForeignKey(PledgedItem, on_delete=models.PROTECT, related_name="release_lines",
                             verbose_name=_("pledged item"))
    quantity = QuantityField(_("quantity released"))
    unit_price = models.DecimalField(_("unit price"), max_digits=20, decimal_places=6)
    value = MoneyField(_("value"))

    class Meta:
        ordering = ["release_id", "id"]
        verbose_name = _("pledge release line")
        verbose_name_plural = _("pledge release lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="pledge_release_line_quantity_positive"),
            models.UniqueConstraint(fields=["release", "item"], name="pledge_release_line_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.release.reference} · {self.item} · {self.quantity}"


class PledgeDrawdown(ConcurrentTransitionMixin, models.Model):
    """A loan drawn under a pledge agreement (提款): requested by the pledgor, approved, disbursed, repaid.

    The amount requested is reserved on the agreement's facility at once, so that concurrent requests
    never together draw more than is available; the agreement's principal outstanding (its exposure)
    is the sum of its drawdowns' principal outstanding, kept under the agreement's row lock.
    """

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        DISBURSED = "disbursed", _("Disbursed")
        REPAID = "repaid", _("Repaid")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        RETURNED = "returned", _("Returned for revision")

    # Reserved on the facility and counted against what is available until disbursed or given up.
    PENDING = (State.REQUESTED, State.APPROVED, State.RETURNED)

    agreement = models.ForeignKey(PledgeAgreement, on_delete=models.PROTECT, related_name="drawdowns",
                                  verbose_name=_("agreement"))
    reference = models.CharField(_("reference"), max_length=30, unique=True)
    amount = MoneyField(_("amount"))
    maturity_date = models.DateField(_("maturity date"))
    state = StateField(_("state"), max_length=10, choices=State.choices, default=State.REQUESTED, protected=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    approval_case = models.OneToOneField("approval.ApprovalCase", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="pledge_drawdown", verbose_name=_("approval case"))
    disbursed_on = models.DateField(_("disbursed on"), null=True, blank=True)
    disbursed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     null=True, blank=True, verbose_name=_("disbursed by"))
    principal_outstanding = MoneyField(_("principal outstanding"), default=Decimal("0.00"))
    interest_posted = MoneyField(_("interest posted"), default=Decimal("0.00"))
    interest_paid = MoneyField(_("interest paid"), default=Decimal("0.00"))
    interest_accrued_to = models.DateField(_("interest accrued to"), null=True, blank=True,
                                           help_text=_("Interest is posted for the days before this date."))
    repaid_on = models.DateField(_("repaid on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("drawdown")
        verbose_name_plural = _("drawdowns")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="pledge_drawdown_amount_positive"),
            models.CheckConstraint(condition=Q(principal_outstanding__gte=0)
                                   & Q(principal_outstanding__lte=F("amount")),
                                   name="pledge_drawdown_principal_within_amount"),
            models.CheckConstraint(condition=Q(interest_paid__gte=0) & Q(interest_paid__lte=F("interest_posted")),
                                   name="pledge_drawdown_interest_paid_within_posted"),
            models.CheckConstraint(condition=Q(state__in=["disbursed", "repaid"], disbursed_on__isnull=False)
                                   | (~Q(state__in=["disbursed", "repaid"]) & Q(disbursed_on__isnull=True)),
                                   name="pledge_drawdown_disbursed_iff_date"),
        ]
        indexes = [models.Index(fields=["agreement", "state"])]

    def __str__(self) -> str:
        return f"{self.reference} · {self.currency} {self.amount:,}"

    # A case collections can take money for: a reference, the lender whose account receives it, a currency.
    @property
    def lender(self):
        return self.agreement.lender

    @property
    def lender_id(self) -> int:
        return self.agreement.lender_id

    @property
    def currency(self) -> str:
        return self.agreement.currency

    @property
    def interest_outstanding(self) -> Decimal:
        """Interest posted and not yet paid."""
        return self.interest_posted - self.interest_paid

    @transition(field=state, source=State.REQUESTED, target=State.APPROVED)
    def approve(self, *, by=None, note: str = "") -> None:
        """Record the credit review's final approval."""

    @transition(field=state, source=State.REQUESTED, target=State.REJECTED)
    def reject(self, *, by=None, note: str = "") -> None:
        """Decline the drawdown; its reservation is released."""

    @transition(field=state, source=State.REQUESTED, target=State.RETURNED)
    def return_for_revision(self, *, by=None, note: str = "") -> None:
        """Send the request back to the pledgor (the reviewer's comment says why); its reservation is kept."""

    @transition(field=state, source=State.RETURNED, target=State.REQUESTED)
    def resubmit(self, *, by=None, note: str = "") -> None:
        """Send a returned request to credit review again (a new round of the approval case)."""

    @transition(field=state, source=[State.REQUESTED, State.APPROVED, State.RETURNED], target=State.WITHDRAWN)
    def withdraw(self, *, by=None, note: str = "") -> None:
        """Withdraw a drawdown not yet disbursed; its reservation is released."""

    @transition(field=state, source=State.APPROVED, target=State.DISBURSED)
    def disburse(self, *, on, by=None, note: str = "") -> None:
        """Record the loan paid out: its principal is outstanding from `on`."""
        self.disbursed_on = on
        self.disbursed_by = by
        self.principal_outstanding = self.amount

    @transition(field=state, source=State.DISBURSED, target=State.REPAID)
    def repaid(self, *, on, by=None, note: str = "") -> None:
        """Record that the principal is repaid in full."""
        self.repaid_on = on


class PledgeDrawdownRepayment(models.Model):
    """A repayment of a drawdown received through collections: interest first, then principal."""

    drawdown = models.ForeignKey(PledgeDrawdown, on_delete=models.PROTECT, related_name="repayments",
                                 verbose_name=_("drawdown"))
    receipt = models.OneToOneField("collections.Receipt", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("receipt"))
    bank_reference = models.CharField(_("bank reference"), max_length=60)
    amount = MoneyField(_("amount"))
    interest_part = MoneyField(_("to interest"), default=Decimal("0.00"))
    principal_part = MoneyField(_("to principal"), default=Decimal("0.00"))
    value_date = models.DateField(_("value date"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["value_date", "id"]
        verbose_name = _("drawdown repayment")
        verbose_name_plural = _("drawdown repayments")
        constraints = [
            models.UniqueConstraint(fields=["drawdown", "bank_reference"], name="pledge_repayment_once_per_reference"),
            models.CheckConstraint(condition=Q(amount__gt=0) & Q(interest_part__gte=0) & Q(principal_part__gte=0)
                                   & Q(amount__gte=F("interest_part") + F("principal_part")),
                                   name="pledge_repayment_parts_within_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.bank_reference} · {self.amount:,}"


class PledgeRevaluation(models.Model):
    """One revaluation of a lender's agreements: after a price approval, or the daily one; audited once.

    The daily revaluation of a lender runs once a day (a database constraint): a second run of the
    same day finds it and changes nothing.
    """

    class Trigger(models.TextChoices):
        PRICE_FILE = "price_file", _("Price file approved")
        PRICE = "price", _("Price approved")
        DAILY = "daily", _("Daily revaluation")
        MANUAL = "manual", _("Revaluation on request")
        DRAWDOWN = "drawdown", _("Loan disbursed")
        REPAYMENT = "repayment", _("Loan repaid")
        RELEASE = "release", _("Goods released")
        INTAKE = "intake", _("Goods added")
        STOCK_COUNT = "stock_count", _("Stock count")

    lender = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("lender"))
    valued_on = models.DateField(_("valued on"))
    trigger = models.CharField(_("trigger"), max_length=12, choices=Trigger.choices)
    price_batch = models.ForeignKey(PriceBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("price file"))
    price = models.ForeignKey(CommodityPrice, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("price"))
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("run by"))
    run_at = models.DateTimeField(_("run at"))
    agreements = models.PositiveIntegerField(_("agreements revalued"), default=0)
    zone_changes = models.PositiveIntegerField(_("zone changes"), default=0)

    class Meta:
        ordering = ["-run_at", "-pk"]
        verbose_name = _("revaluation")
        verbose_name_plural = _("revaluations")
        constraints = [
            models.UniqueConstraint(fields=["lender", "valued_on"], condition=Q(trigger="daily"),
                                    name="pledge_revaluation_daily_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} {self.valued_on:%Y-%m-%d}"


class PledgeValuation(models.Model):
    """An agreement's valuation as the last revaluation stored it: V, E, LTV, zone, and the prices' age.

    One row per agreement, written by `revaluation.revalue_agreements` in one statement for the many;
    the figures are those of `valuation.agreement_valuation` on the same day.
    """

    agreement = models.OneToOneField(PledgeAgreement, on_delete=models.CASCADE, related_name="stored_valuation",
                                     verbose_name=_("agreement"))
    valued_on = models.DateField(_("valued on"))
    currency = CurrencyField()
    value = MoneyField(_("collateral value (V)"))
    exposure = MoneyField(_("exposure (E)"))
    ltv = models.DecimalField(_("loan to value (LTV)"), max_digits=30, decimal_places=6, null=True, blank=True,
                              help_text=_("E / V to 6 places; empty when there is exposure and no value."))
    zone = models.CharField(_("zone"), max_length=12)
    previous_zone = models.CharField(_("previous zone"), max_length=12, blank=True)
    stale = models.BooleanField(_("stale"), default=False,
                                help_text=_("A price used is older than the agreement's maximum age."))
    missing_price = models.BooleanField(_("price missing"), default=False,
                                        help_text=_("Some goods have no approved price and are not valued."))
    oldest_price_date = models.DateField(_("oldest price date"), null=True, blank=True)
    newest_price_date = models.DateField(_("newest price date"), null=True, blank=True)
    # Neither reference to the revaluation is indexed or checked by the database: a revaluation rewrites
    # every row, and with no indexed column changed PostgreSQL updates the rows in place (HOT, the table
    # leaves room on each page), with no foreign-key check per row at commit. The revaluation row is
    # written just before in the same transaction and is never deleted (PROTECT); the zone changes of a
    # revaluation are read by one scan.
    revaluation = models.ForeignKey(PledgeRevaluation, on_delete=models.PROTECT, related_name="+", db_index=False,
                                    db_constraint=False, verbose_name=_("revaluation"))
    zone_changed_in = models.ForeignKey(PledgeRevaluation, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", db_index=False, db_constraint=False,
                                        verbose_name=_("zone entered in"))
    revalued_at = models.DateTimeField(_("revalued at"))

    class Meta:
        verbose_name = _("stored valuation")
        verbose_name_plural = _("stored valuations")
        constraints = [
            models.CheckConstraint(condition=Q(zone__in=["normal", "warning", "call", "liquidation"]),
                                   name="pledge_valuation_zone_known"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} · {self.zone} @ {self.valued_on:%Y-%m-%d}"

    @property
    def reliable(self) -> bool:
        """Whether the stored figures may be relied on: every line priced, no price stale."""
        return not self.stale and not self.missing_price


class PledgeStockCount(models.Model):
    """A stock count (盘库) of an agreement's pledged goods by its warehouse: what the books say against what is there.

    A line per pledged item. A shortfall (counted below the book) flags the line and lowers the item's
    pledged quantity to what was counted, so that the valuation, the releases and the floor follow the
    goods actually held; the intake's count (`PledgedItem.counted_quantity`) is kept as it was. A
    surplus is recorded and never raises the pledged quantity: goods come under the pledge only by
    an intake.
    """

    agreement = models.ForeignKey(PledgeAgreement, on_delete=models.PROTECT, related_name="stock_counts",
                                  verbose_name=_("agreement"))
    warehouse = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("warehouse"))
    counted_on = models.DateField(_("counted on"))
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("counted by"))
    note = models.TextField(_("note"), blank=True)
    shortfall = models.BooleanField(_("shortfall"), default=False,
                                    help_text=_("Some goods counted below the books."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-counted_on", "-pk"]
        verbose_name = _("stock count")
        verbose_name_plural = _("stock counts")
        indexes = [models.Index(fields=["agreement", "-counted_on"])]

    def __str__(self) -> str:
        return f"{self.agreement} · {self.counted_on:%Y-%m-%d}"


class PledgeStockCountLine(models.Model):
    """One pledged item counted: the book quantity, the counted quantity and their difference."""

    stock_count = models.ForeignKey(PledgeStockCount, on_delete=models.CASCADE, related_name="lines",
                                    verbose_name=_("stock count"))
    item = models.ForeignKey(PledgedItem, on_delete=models.PROTECT, related_name="stock_count_lines",
                             verbose_name=_("pledged item"))
    book_quantity = QuantityField(_("book quantity"))
    counted_quantity = QuantityField(_("counted quantity"))
    variance = models.DecimalField(_("variance"), max_digits=20, decimal_places=3,
                                   help_text=_("Counted less book: below zero is a shortfall."))
    shortfall = models.BooleanField(_("shortfall"), default=False)

    class Meta:
        ordering = ["stock_count_id", "item_id"]
        verbose_name = _("stock count line")
        verbose_name_plural = _("stock count lines")
        constraints = [
            models.UniqueConstraint(fields=["stock_count", "item"], name="stock_count_line_once_per_item"),
            models.CheckConstraint(condition=Q(book_quantity__gte=0) & Q(counted_quantity__gte=0)
                                   & Q(variance=F("counted_quantity") - F("book_quantity"))
                                   & ((Q(shortfall=True) & Q(counted_quantity__lt=F("book_quantity")))
                                      | (Q(shortfall=False) & Q(counted_quantity__gte=F("book_quantity")))),
                                   name="stock_count_line_figures_agree"),
        ]

    def __str__(self) -> str:
        return f"{self.item} · {self.counted_quantity} ({self.variance})"


class PledgeDisposal(ConcurrentTransitionMixin, models.Model):
    """The sale of an agreement's goods after its default (违约处置), and how the proceeds were applied.

    DESIGN §5: the goods are sold (negotiated sale, auction or agreed sale — never forfeited); the
    proceeds pay the costs of sale, then interest, then principal; any surplus goes back to the pledgor.
    The sale is entered by one of the lender's operations staff and approved by a second person, whose
    approval settles it: one ledger entry, the loans reduced, the goods marked disposed.
    """

    class Method(models.TextChoices):
        NEGOTIATED = "negotiated", _("Negotiated sale")
        AUCTION = "auction", _("Auction")
        AGREED = "agreed", _("Sale agreed with the pledgor")

    class State(models.TextChoices):
        OPENED = "opened", _("Opened")
        SALE_RECORDED = "sale_recorded", _("Sale recorded")
        SETTLED = "settled", _("Settled")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (State.OPENED, State.SALE_RECORDED)

    agreement = models.ForeignKey(PledgeAgreement, on_delete=models.PROTECT, related_name="disposals",
                                  verbose_name=_("agreement"))
    reference = models.CharField(_("reference"), max_length=30, unique=True)
    state = StateField(_("state"), max_length=15, choices=State.choices, default=State.OPENED, protected=True)
    reason = models.CharField(_("reason for default"), max_length=500)
    opened_at = models.DateTimeField(_("opened at"))
    method = models.CharField(_("method of sale"), max_length=12, choices=Method.choices, blank=True)
    buyer = models.CharField(_("buyer"), max_length=200, blank=True)
    sale_date = models.DateField(_("sale date"), null=True, blank=True)
    currency = CurrencyField()
    gross_proceeds = MoneyField(_("gross proceeds"), default=Decimal("0.00"))
    costs_of_sale = MoneyField(_("costs of sale"), default=Decimal("0.00"))
    # The application of the proceeds, computed by calculations.disposal_allocation and stored.
    applied_costs = MoneyField(_("to costs of sale"), default=Decimal("0.00"))
    applied_interest = MoneyField(_("to interest"), default=Decimal("0.00"))
    applied_principal = MoneyField(_("to principal"), default=Decimal("0.00"))
    surplus = MoneyField(_("surplus to the pledgor"), default=Decimal("0.00"))
    shortfall = MoneyField(_("shortfall remaining"), default=Decimal("0.00"))
    interest_due = MoneyField(_("interest due"), default=Decimal("0.00"))
    principal_due = MoneyField(_("principal due"), default=Decimal("0.00"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    null=True, blank=True, verbose_name=_("sale entered by"))
    recorded_at = models.DateTimeField(_("sale entered at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    null=True, blank=True, verbose_name=_("approved by"))
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    ledger_entry = models.ForeignKey("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+",
                                     null=True, blank=True, verbose_name=_("ledger entry"))
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     null=True, blank=True, verbose_name=_("cancelled by"))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("disposal")
        verbose_name_plural = _("disposals")
        constraints = [
            models.UniqueConstraint(fields=["agreement"], condition=Q(state__in=["opened", "sale_recorded"]),
                                    name="pledge_disposal_one_open_per_agreement"),
            models.CheckConstraint(condition=Q(method__in=["", "negotiated", "auction", "agreed"]),
                                   name="pledge_disposal_method_known"),
            models.CheckConstraint(condition=Q(gross_proceeds__gte=0) & Q(costs_of_sale__gte=0)
                                   & Q(costs_of_sale__lte=F("gross_proceeds")),
                                   name="pledge_disposal_costs_within_proceeds"),
            # The application adds up: every yuan of the proceeds goes to costs, interest, principal or surplus.
            models.CheckConstraint(condition=Q(gross_proceeds=F("applied_costs") + F("applied_interest")
                                               + F("applied_principal") + F("surplus")),
                                   name="pledge_disposal_application_adds_up"),
            # Four eyes held by the database: the person who entered the sale never approves it.
            models.CheckConstraint(condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("recorded_by")),
                                   name="pledge_disposal_not_approved_by_maker"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.agreement.reference}"

    @property
    def lender_id(self) -> int:
        return self.agreement.lender_id

    @property
    def net_proceeds(self) -> Decimal:
        return self.gross_proceeds - self.costs_of_sale

    @transition(field=state, source=[State.OPENED, State.SALE_RECORDED], target=State.SALE_RECORDED)
    def record_sale(self, *, by, at, note: str = "") -> None:
        """Record the sale entered by the lender's operations (entered again, it replaces the figures)."""
        self.recorded_by = by
        self.recorded_at = at

    @transition(field=state, source=State.SALE_RECORDED, target=State.SETTLED)
    def settle(self, *, by, at, note: str = "") -> None:
        """Record the second person's approval and the settlement: the proceeds applied, the entry posted."""
        self.approved_by = by
        self.settled_at = at

    @transition(field=state, source=[State.OPENED, State.SALE_RECORDED], target=State.CANCELLED)
    def cancel(self, *, by, note: str = "") -> None:
        """Cancel a disposal not settled yet (the default is cured or handled otherwise)."""
        self.cancelled_by = by


class PledgeMarginCall(ConcurrentTransitionMixin, models.Model):
    """A margin call (跌价补偿): opened when a revaluation finds the agreement at or above the call line.

    issued → partly_met (a cure lowered K but the LTV is still at or above the call line) → cured (LTV
    below the call line) | expired (not cured by the deadline) → default (the default work acts on it).
    One open call (issued or partly met) per agreement: a database constraint. K, the cure amount
    E − V × r rounded up to 0.01, is recomputed from the stored valuation at every revaluation.
    """

    class State(models.TextChoices):
        ISSUED = "issued", _("Issued")
        PARTLY_MET = "partly_met", _("Partly met")
        CURED = "cured", _("Cured")
        EXPIRED = "expired", _("Expired")
        DEFAULT = "default", _("In default")

    OPEN = (State.ISSUED, State.PARTLY_MET)

    agreement = models.ForeignKey(PledgeAgreement, on_delete=models.PROTECT, related_name="margin_calls",
                                  verbose_name=_("agreement"))
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    state = StateField(_("state"), max_length=12, choices=State.choices, default=State.ISSUED, protected=True)
    # The references to the revaluation are not checked by the database (as the stored valuation's): the
    # revaluation row is written just before, in the same transaction, and never deleted (PROTECT), and a
    # 20 % fall opens thousands of calls whose checks at commit would cost as much as opening them. The
    # last revaluation is not indexed: nothing looks calls up by it, and a cure then writes one index less.
    opened_by = models.ForeignKey(PledgeRevaluation, on_delete=models.PROTECT, related_name="margin_calls_opened",
                                  db_constraint=False, verbose_name=_("opened by revaluation"))
    opened_on = models.DateField(_("opened on"))
    deadline = models.DateField(_("cure deadline"))
    currency = CurrencyField()
    value_at_opening = MoneyField(_("collateral value at opening (V)"))
    exposure_at_opening = MoneyField(_("exposure at opening (E)"))
    ltv_at_opening = models.DecimalField(_("LTV at opening"), max_digits=30, decimal_places=6, null=True,
                                         blank=True)
    call_line = models.DecimalField(_("margin call line (LTV)"), max_digits=7, decimal_places=6)
    amount_at_opening = MoneyField(_("cure amount at opening"))
    cure_amount = MoneyField(_("cure amount now (K)"))
    last_revaluation = models.ForeignKey(PledgeRevaluation, on_delete=models.PROTECT, related_name="+",
                                         db_index=False, db_constraint=False, verbose_name=_("last revaluation"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("margin call")
        verbose_name_plural = _("margin calls")
        constraints = [
            models.UniqueConstraint(fields=["agreement"], condition=Q(state__in=["issued", "partly_met"]),
                                    name="pledge_margin_call_one_open_per_agreement"),
            models.CheckConstraint(condition=Q(cure_amount__gte=0) & Q(amount_at_opening__gte=0),
                                   name="pledge_margin_call_amounts_not_negative"),
        ]
        indexes = [models.Index(fields=["state", "deadline"])]

    def __str__(self) -> str:
        return f"{self.reference} · {self.get_state_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN

    @transition(field=state, source=[State.ISSUED, State.PARTLY_MET], target=State.PARTLY_MET)
    def meet_partly(self, *, cure_amount, by=None, note: str = "") -> None:
        """Record a partial cure: K decreased, the LTV is still at or above the call line."""
        self.cure_amount = cure_amount

    @transition(field=state, source=[State.ISSUED, State.PARTLY_MET], target=State.CURED)
    def cure(self, *, at, by=None, note: str = "") -> None:
        """Record the cure: the LTV is below the call line."""
        self.cure_amount = Decimal("0.00")
        self.closed_at = at

    @transition(field=state, source=[State.ISSUED, State.PARTLY_MET], target=State.EXPIRED)
    def expire(self, *, at, by=None, note: str = "") -> None:
        """Record that the deadline passed without a cure."""
        self.closed_at = at

    @transition(field=state, source=State.EXPIRED, target=State.DEFAULT)
    def declare_default(self, *, by=None, note: str = "") -> None:
        """Record the default the expired call leads to (the default and disposal work)."""


class PledgeWarningNotice(models.Model):
    """A warning notice (预警通知书): the agreement entered the warning zone; no obligation follows."""

    agreement = models.ForeignKey(PledgeAgreement, on_delete=models.PROTECT, related_name="warning_notices",
                                  verbose_name=_("agreement"))
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    # Not checked by the database, as the margin call's references to its revaluation (see there).
    revaluation = models.ForeignKey(PledgeRevaluation, on_delete=models.PROTECT, related_name="+",
                                    db_constraint=False, verbose_name=_("revaluation"))
    issued_on = models.DateField(_("issued on"))
    currency = CurrencyField()
    value = MoneyField(_("collateral value (V)"))
    exposure = MoneyField(_("exposure (E)"))
    ltv = models.DecimalField(_("loan to value (LTV)"), max_digits=30, decimal_places=6, null=True, blank=True)
    warning_line = models.DecimalField(_("warning line (LTV)"), max_digits=7, decimal_places=6)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("warning notice")
        verbose_name_plural = _("warning notices")

    def __str__(self) -> str:
        return self.reference


class PledgeCashMargin(models.Model):
    """A cash margin paid by the pledgor into the agreement's margin account: raises the cash margin held."""

    agreement = models.ForeignKey(PledgeAgreement, on_delete=models.PROTECT, related_name="cash_margins",
                                  verbose_name=_("agreement"))
    margin_call = models.ForeignKey(PledgeMarginCall, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="cash_margins", verbose_name=_("margin call"))
    amount = MoneyField(_("amount"))
    currency = CurrencyField()
    bank_reference = models.CharField(_("bank reference"), max_length=60)
    received_on = models.DateField(_("received on"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("cash margin")
        verbose_name_plural = _("cash margins")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="pledge_cash_margin_positive"),
            models.UniqueConstraint(fields=["agreement", "bank_reference"], name="pledge_cash_margin_once_per_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.bank_reference} · {self.amount:,}"
