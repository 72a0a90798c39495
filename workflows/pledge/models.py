"""Pledge's business objects: commodities, the lender's eligible commodities and supervisors, prices."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from scf.core.fields import CurrencyField, MoneyField


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
    state = FSMField(_("state"), max_length=10, choices=State.choices, default=State.PROPOSED, protected=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("entered by"))
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True, verbose_name=_("approved or rejected by"))
    decided_at = models.DateTimeField(null=True, blank=True)

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
