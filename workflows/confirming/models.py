"""Confirming-warehouse (保兑仓) business objects: agreements, purchase orders, margin, releases, refunds.

The cumulative rule "released + requested ≤ what the margin allows" is held on the order's row: the
services keep `allowed_value` (the release mode's allowance for the margin paid, from calculations.py)
and `released_value` (D: released or requested) under the order's row lock, and a check constraint
refuses any write that would let D pass the allowance, whatever the code above it does.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, transition

from scf.core.fields import CurrencyField, MoneyField, StateField

from .calculations import DEFAULT_MARGIN_RATIO, DEFAULT_REFUND_NOTICE_DAYS, ReleaseMode


class ConfirmingAgreement(ConcurrentTransitionMixin, models.Model):
    """The agreement between lender, seller (core enterprise), distributor and, in the four-party form, a warehouse."""

    class Form(models.TextChoices):
        THREE_PARTY = "three_party", _("Three-party (the seller keeps the goods)")
        FOUR_PARTY = "four_party", _("Four-party (a warehouse holds the goods)")

    class Mode(models.IntegerChoices):
        FULL = ReleaseMode.FULL, _("1 · Full release of the initial margin's goods")
        PROPORTIONAL = ReleaseMode.PROPORTIONAL, _("2 · Proportional release")
        INITIAL_MARGIN_LAST = ReleaseMode.INITIAL_MARGIN_LAST, _("3 · Initial margin's goods last")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        UNDER_REVIEW = "under_review", _("Under review")
        RETURNED = "returned", _("Returned for revision")
        REJECTED = "rejected", _("Rejected")
        APPROVED = "approved", _("Approved")
        CONTRACT_ISSUED = "contract_issued", _("Contract issued")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    reference = models.CharField(_("reference"), max_length=30, unique=True)
    form = models.CharField(_("form"), max_length=12, choices=Form.choices)
    lender = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="confirming_loans",
                               verbose_name=_("lender"))
    seller = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="confirming_sales",
                               verbose_name=_("seller (core enterprise)"))
    distributor = models.ForeignKey("parties.Organization", on_delete=models.PROTECT,
                                    related_name="confirming_purchases", verbose_name=_("distributor"))
    warehouse = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="confirming_custody", verbose_name=_("warehouse"))
    facility = models.ForeignKey("facilities.CreditFacility", on_delete=models.PROTECT,
                                 related_name="confirming_agreements", verbose_name=_("distributor's facility"))
    guarantee_facility = models.ForeignKey("facilities.CreditFacility", on_delete=models.PROTECT,
                                           related_name="confirming_guarantees",
                                           verbose_name=_("core enterprise's guarantee line"))
    currency = CurrencyField()
    limit_amount = MoneyField(_("limit"))
    revolving = models.BooleanField(_("revolving"), default=True)
    margin_ratio = models.DecimalField(_("margin ratio"), max_digits=7, decimal_places=6,
                                       default=DEFAULT_MARGIN_RATIO)
    release_mode = models.PositiveSmallIntegerField(_("release mode"), choices=Mode.choices, default=Mode.FULL)
    tenor_days = models.PositiveIntegerField(_("order tenor (days)"), default=180)
    refund_notice_days = models.PositiveSmallIntegerField(_("refund notice (business days before maturity)"),
                                                          default=DEFAULT_REFUND_NOTICE_DAYS)
    allows_loan = models.BooleanField(_("funding by loan"), default=True)
    allows_acceptance_bill = models.BooleanField(_("funding by bank acceptance bill"), default=True)
    annual_rate = models.DecimalField(_("annual interest rate"), max_digits=7, decimal_places=6)
    refund_undertaking = models.TextField(
        _("the core enterprise's refund undertaking"), blank=True,
        help_text=_("What the seller undertakes for the goods not released at maturity: refund the shortfall "
                    "(差额退款) and keep them, or buy them back."))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    state = StateField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT, protected=True)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("prepared by"))
    approval_case = models.OneToOneField("approval.ApprovalCase", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="confirming_agreement", verbose_name=_("approval case"))
    activated_at = models.DateTimeField(_("active since"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("confirming-warehouse agreement")
        verbose_name_plural = _("confirming-warehouse agreements")
        constraints = [
            models.CheckConstraint(condition=Q(limit_amount__gt=0), name="confirming_agreement_limit_positive"),
            models.CheckConstraint(condition=Q(margin_ratio__gt=0) & Q(margin_ratio__lt=1),
                                   name="confirming_agreement_margin_between_0_and_1"),
            models.CheckConstraint(condition=Q(release_mode__in=list(ReleaseMode.ALL)),
                                   name="confirming_agreement_release_mode_known"),
            models.CheckConstraint(condition=Q(allows_loan=True) | Q(allows_acceptance_bill=True),
                                   name="confirming_agreement_has_a_funding_route"),
            models.CheckConstraint(condition=(Q(form="four_party") & Q(warehouse__isnull=False))
                                   | (Q(form="three_party") & Q(warehouse__isnull=True)),
                                   name="confirming_agreement_warehouse_iff_four_party"),
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="confirming_agreement_term_positive"),
            models.CheckConstraint(condition=Q(tenor_days__gte=1) & Q(refund_notice_days__gte=1),
                                   name="confirming_agreement_days_positive"),
            models.CheckConstraint(condition=~Q(seller=F("distributor")) & ~Q(seller=F("lender"))
                                   & ~Q(distributor=F("lender")), name="confirming_agreement_parties_distinct"),
        ]
        indexes = [models.Index(fields=["lender", "state"])]

    def __str__(self) -> str:
        return f"{self.reference} · {self.distributor} ← {self.seller}"

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
        """Record the final approval (both facilities reserved)."""

    @transition(field=state, source=State.APPROVED, target=State.CONTRACT_ISSUED)
    def issue_contract(self, *, by=None, note: str = "") -> None:
        """Record that the three- or four-party agreement was issued for signing."""

    @transition(field=state, source=State.CONTRACT_ISSUED, target=State.ACTIVE)
    def activate(self, *, at, by=None, note: str = "") -> None:
        """Record that every party signed: orders may now be financed."""
        self.activated_at = at

    @transition(field=state, source=State.ACTIVE, target=State.CLOSED)
    def close(self, *, at, by=None, note: str = "") -> None:
        """Record the closed agreement: every order closed."""
        self.closed_at = at

    @transition(field=state, source=[State.DRAFT, State.RETURNED, State.APPROVED, State.CONTRACT_ISSUED],
                target=State.CANCELLED)
    def cancel(self, *, by=None, note: str = "") -> None:
        """Cancel an agreement that never became active."""


class PurchaseOrder(ConcurrentTransitionMixin, models.Model):
    """A distributor's purchase from the seller, financed under an agreement: margin, funding, releases, maturity."""

    class Route(models.TextChoices):
        LOAN = "loan", _("Loan")
        ACCEPTANCE_BILL = "acceptance_bill", _("Bank acceptance bill")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SELLER_CONFIRMATION = "seller_confirmation", _("Awaiting the seller's confirmation")
        UNDER_REVIEW = "under_review", _("Under review")
        RETURNED = "returned", _("Returned for revision")
        REJECTED = "rejected", _("Rejected")
        AWAITING_MARGIN = "awaiting_margin", _("Awaiting the initial margin")
        AWAITING_FUNDING = "awaiting_funding", _("Awaiting funding")
        FUNDED = "funded", _("Funded")
        REFUND_DEMANDED = "refund_demanded", _("Refund demanded")
        ADVANCED = "advanced", _("Advanced by the lender")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    agreement = models.ForeignKey(ConfirmingAgreement, on_delete=models.PROTECT, related_name="orders",
                                  verbose_name=_("agreement"))
    reference = models.CharField(_("reference"), max_length=30, unique=True)
    seller_order_number = models.CharField(_("seller's order number"), max_length=60, blank=True)
    currency = CurrencyField()
    route = models.CharField(_("funding route"), max_length=20, choices=Route.choices)
    order_amount = MoneyField(_("order amount"))
    initial_margin = MoneyField(_("initial margin"))
    margin_paid = MoneyField(_("margin paid"), default=Decimal("0.00"))
    allowed_value = MoneyField(_("value the margin allows out"), default=Decimal("0.00"))
    released_value = MoneyField(_("value released or requested"), default=Decimal("0.00"))
    delivered_value = MoneyField(_("value delivered"), default=Decimal("0.00"))
    funded_on = models.DateField(_("funded on"), null=True, blank=True)
    maturity_date = models.DateField(_("maturity"), null=True, blank=True)
    bill_number = models.CharField(_("acceptance bill number"), max_length=60, blank=True)
    loan_principal = MoneyField(_("loan from the lender's funds"), default=Decimal("0.00"),
                                help_text=_("Funded by loan: P − M0, the part of the payment to the seller that the "
                                            "margin did not pay."))
    funded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("funded by"))
    receipt_confirmed_at = models.DateTimeField(_("seller confirmed receipt at"), null=True, blank=True)
    receipt_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                             blank=True, related_name="+",
                                             verbose_name=_("receipt confirmed by"))
    refund_paid = MoneyField(_("refund paid by the seller"), default=Decimal("0.00"))
    advance_outstanding = MoneyField(_("advance outstanding"), default=Decimal("0.00"))
    # Unpaid at maturity (垫款): the lender paid from its own funds; an overdue loan to the distributor.
    advanced_on = models.DateField(_("advanced on"), null=True, blank=True)
    advance_amount = MoneyField(_("advance paid at maturity"), default=Decimal("0.00"),
                                help_text=_("What the lender paid at maturity from its own funds: P − M − refund."))
    core_claim_amount = MoneyField(_("claim on the core enterprise"), default=Decimal("0.00"))
    penalty_accrued = MoneyField(_("penalty interest accrued"), default=Decimal("0.00"))
    penalty_outstanding = MoneyField(_("penalty interest outstanding"), default=Decimal("0.00"))
    penalty_accrued_to = models.DateField(_("penalty accrued to"), null=True, blank=True)
    goods_kept_value = MoneyField(
        _("goods kept or bought back by the seller"), default=Decimal("0.00"),
        help_text=_("Once the seller refunds the shortfall: the value of the goods not released that it keeps "
                    "(three-party) or buys back (four-party)."))
    settled_on = models.DateField(_("settled on"), null=True, blank=True,
                                  help_text=_("The day the loan was repaid or the acceptance bill paid."))
    reminded_days = models.JSONField(_("maturity reminders sent (days before)"), default=list, blank=True)
    state = StateField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT, protected=True)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("prepared by"))
    approval_case = models.OneToOneField("approval.ApprovalCase", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="confirming_order", verbose_name=_("approval case"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        constraints = [
            models.CheckConstraint(condition=Q(order_amount__gt=0), name="confirming_order_amount_positive"),
            models.CheckConstraint(condition=Q(initial_margin__gt=0) & Q(initial_margin__lt=F("order_amount")),
                                   name="confirming_order_initial_margin_within_order"),
            models.CheckConstraint(condition=Q(margin_paid__lte=F("order_amount")),
                                   name="confirming_order_margin_within_order"),
            # The cumulative release rule of DESIGN §5, held by the database.
            models.CheckConstraint(condition=Q(released_value__lte=F("allowed_value"))
                                   & Q(allowed_value__lte=F("order_amount")),
                                   name="confirming_order_released_within_allowance"),
            models.CheckConstraint(condition=Q(delivered_value__lte=F("released_value")),
                                   name="confirming_order_delivered_within_released"),
            models.CheckConstraint(condition=Q(refund_paid__lte=F("order_amount")),
                                   name="confirming_order_refund_within_order"),
            models.CheckConstraint(condition=Q(loan_principal__gte=0) & Q(loan_principal__lt=F("order_amount")),
                                   name="confirming_order_loan_within_order"),
            # Funded once: a funded order has its date, an unfunded one none (a double click pays once).
            models.CheckConstraint(condition=Q(funded_on__isnull=True)
                                   | ~Q(state__in=["draft", "seller_confirmation", "under_review", "returned",
                                                   "rejected", "awaiting_margin", "awaiting_funding",
                                                   "cancelled"]),
                                   name="confirming_order_funded_date_only_once_funded"),
            models.CheckConstraint(condition=Q(advance_amount__gte=0) & Q(core_claim_amount__gte=0)
                                   & Q(advance_outstanding__gte=0) & Q(advance_outstanding__lte=F("advance_amount"))
                                   & Q(penalty_outstanding__gte=0) & Q(penalty_outstanding__lte=F("penalty_accrued")),
                                   name="confirming_order_advance_amounts"),
            # Advanced: the day, the amount and the accrual's start all set; never advanced: none of them.
            models.CheckConstraint(condition=(Q(advanced_on__isnull=False) & Q(advance_amount__gt=0)
                                              & Q(penalty_accrued_to__isnull=False))
                                   | (Q(advanced_on__isnull=True) & Q(advance_amount=0) & Q(core_claim_amount=0)
                                      & Q(penalty_accrued=0) & Q(penalty_accrued_to__isnull=True)
                                      & ~Q(state="advanced")),
                                   name="confirming_order_advance_fields_set"),
        ]
        indexes = [models.Index(fields=["state", "maturity_date"])]
        permissions = [("record_confirming_margin", "Can apply margin received to a confirming-warehouse order")]

    def __str__(self) -> str:
        return f"{self.reference} · {self.currency} {self.order_amount:,}"

    @property
    def exposure(self) -> Decimal:
        """Return P − M: what the margin has not yet paid for."""
        return max(self.order_amount - self.margin_paid, Decimal("0.00"))

    @property
    def releasable_value(self) -> Decimal:
        """Return what may be released now: the allowance less D, never below 0."""
        return max(self.allowed_value - self.released_value, Decimal("0.00"))

    # A case collections takes money for (margin) and the flow assigns on: its lender and its parties.
    @property
    def lender(self):
        return self.agreement.lender

    @property
    def lender_id(self) -> int:
        return self.agreement.lender_id

    @transition(field=state, source=State.DRAFT, target=State.SELLER_CONFIRMATION)
    def submit(self, *, by=None, note: str = "") -> None:
        """Send the order to the seller to confirm."""

    @transition(field=state, source=State.SELLER_CONFIRMATION, target=State.UNDER_REVIEW)
    def seller_confirm(self, *, by=None, note: str = "") -> None:
        """Record the seller's confirmation of the order: the lender's review starts."""

    @transition(field=state, source=State.SELLER_CONFIRMATION, target=State.RETURNED)
    def seller_decline(self, *, by=None, note: str = "") -> None:
        """Record that the seller does not recognise the order as it stands: the distributor revises it."""

    @transition(field=state, source=State.UNDER_REVIEW, target=State.RETURNED)
    def return_for_revision(self, *, by=None, note: str = "") -> None:
        """Send the order back to the distributor to revise."""

    @transition(field=state, source=State.RETURNED, target=State.SELLER_CONFIRMATION)
    def resubmit(self, *, by=None, note: str = "") -> None:
        """Send the revised order to the seller again."""

    @transition(field=state, source=State.UNDER_REVIEW, target=State.REJECTED)
    def reject(self, *, by=None, note: str = "") -> None:
        """Decline the order."""

    @transition(field=state, source=State.UNDER_REVIEW, target=State.AWAITING_MARGIN)
    def approve(self, *, by=None, note: str = "") -> None:
        """Record the final approval: the distributor pays the initial margin next."""

    @transition(field=state, source=State.AWAITING_MARGIN, target=State.AWAITING_FUNDING)
    def margin_received(self, *, by=None, note: str = "") -> None:
        """Record that the initial margin is paid in full."""

    @transition(field=state, source=State.AWAITING_FUNDING, target=State.FUNDED)
    def fund(self, *, on, maturity, by=None, note: str = "") -> None:
        """Record the payment to the seller or the bill's issue."""
        self.funded_on = on
        self.maturity_date = maturity
        self.funded_by = by

    @transition(field=state, source=State.FUNDED, target=State.REFUND_DEMANDED)
    def demand_refund(self, *, by=None, note: str = "") -> None:
        """Record the refund notice to the seller for the margin short of the order."""

    @transition(field=state, source=[State.FUNDED, State.REFUND_DEMANDED], target=State.ADVANCED)
    def advance(self, *, by=None, note: str = "") -> None:
        """Record that the lender paid at maturity from its own funds: an overdue loan to the distributor."""

    @transition(field=state, source=[State.FUNDED, State.REFUND_DEMANDED, State.ADVANCED], target=State.CLOSED)
    def close(self, *, by=None, note: str = "") -> None:
        """Record the closed order: paid for in full, by margin, refund or repayment of the advance."""

    @transition(field=state, source=[State.DRAFT, State.SELLER_CONFIRMATION, State.RETURNED, State.AWAITING_MARGIN],
                target=State.CANCELLED)
    def cancel(self, *, by=None, note: str = "") -> None:
        """Cancel an order that was never funded."""


class OrderLine(models.Model):
    """A line of goods on a purchase order: amount = round(quantity × unit price), half up."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines",
                              verbose_name=_("order"))
    description = models.CharField(_("goods"), max_length=200)
    unit = models.CharField(_("unit"), max_length=20)
    quantity = models.DecimalField(_("quantity"), max_digits=20, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), max_digits=20, decimal_places=6)
    amount = MoneyField(_("amount"))
    delivered_quantity = models.DecimalField(_("quantity delivered"), max_digits=20, decimal_places=3,
                                             default=Decimal("0.000"))

    class Meta:
        ordering = ["order_id", "id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0) & Q(unit_price__gt=0) & Q(amount__gt=0),
                                   name="confirming_line_positive"),
            models.CheckConstraint(condition=Q(delivered_quantity__gte=0) & Q(delivered_quantity__lte=F("quantity")),
                                   name="confirming_line_delivered_within_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.description} × {self.quantity}"


class MarginPayment(models.Model):
    """Margin the distributor paid on an order (the first one is the initial margin), applied through collections."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="margin_payments",
                              verbose_name=_("order"))
    amount = MoneyField(_("amount"))
    received_on = models.DateField(_("received on"))
    bank_reference = models.CharField(_("bank reference"), max_length=80)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order_id", "received_on", "id"]
        verbose_name = _("margin payment")
        verbose_name_plural = _("margin payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="confirming_margin_positive"),
            models.UniqueConstraint(fields=["order", "bank_reference"], name="confirming_margin_reference_once"),
        ]

    def __str__(self) -> str:
        return f"{self.order.reference} · {self.amount:,}"


class ReleaseRequest(ConcurrentTransitionMixin, models.Model):
    """One release (提货): requested by the distributor, noticed by the lender, delivered by the seller or warehouse."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        NOTICE_ISSUED = "notice_issued", _("Release notice issued")
        DELIVERY_NOTIFIED = "delivery_notified", _("Delivery notice sent")
        DELIVERED = "delivered", _("Delivered")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="releases",
                              verbose_name=_("order"))
    reference = models.CharField(_("reference"), max_length=40, unique=True)
    value = MoneyField(_("value"))
    state = StateField(_("state"), max_length=20, choices=State.choices, default=State.REQUESTED, protected=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    requested_at = models.DateTimeField(auto_now_add=True)
    noticed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("notice issued by"))
    noticed_at = models.DateTimeField(_("notice issued at"), null=True, blank=True)
    delivery_notified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                             blank=True, related_name="+", verbose_name=_("delivery notice by"))
    delivery_notified_at = models.DateTimeField(_("delivery notice at"), null=True, blank=True)
    delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("delivery confirmed by"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivered_value = MoneyField(_("value delivered"), default=Decimal("0.00"))

    class Meta:
        ordering = ["order_id", "requested_at", "id"]
        verbose_name = _("release request")
        verbose_name_plural = _("release requests")
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="confirming_release_positive"),
            models.CheckConstraint(condition=Q(delivered_value__gte=0) & Q(delivered_value__lte=F("value")),
                                   name="confirming_release_delivered_within_value"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.value:,} · {self.get_state_display()}"

    @property
    def lender_id(self) -> int:
        """Return the lender's id (the inbox's history and the flow's staff steps read it)."""
        return self.order.agreement.lender_id

    @property
    def lender(self):
        return self.order.agreement.lender

    @property
    def custodian(self):
        """Return who holds the goods and delivers them: the warehouse (four-party) or the seller (three-party)."""
        agreement = self.order.agreement
        return agreement.warehouse if agreement.warehouse_id else agreement.seller

    @transition(field=state, source=State.REQUESTED, target=State.NOTICE_ISSUED)
    def issue_notice(self, *, by, at=None, note: str = "") -> None:
        """Record the lender's release notice (提货通知书) to the seller or warehouse."""
        self.noticed_by = by
        self.noticed_at = at

    @transition(field=state, source=State.NOTICE_ISSUED, target=State.DELIVERY_NOTIFIED)
    def notify_delivery(self, *, by=None, at=None, note: str = "") -> None:
        """Record the seller's delivery notice (发货通知书)."""
        self.delivery_notified_by = by
        self.delivery_notified_at = at

    @transition(field=state, source=State.DELIVERY_NOTIFIED, target=State.DELIVERED)
    def confirm_delivery(self, *, at, by=None, value=None, note: str = "") -> None:
        """Record the goods delivered to the distributor, worth `value`."""
        self.delivered_at = at
        self.delivered_by = by
        if value is not None:
            self.delivered_value = value

    @transition(field=state, source=State.REQUESTED, target=State.WITHDRAWN)
    def withdraw(self) -> None:
        """Withdraw a request the lender has not noticed yet; its value is requested no more."""


class ReleaseLine(models.Model):
    """A line of goods a delivery notice names for one release: the quantity notified and the quantity delivered.

    `value` is what the quantity notified adds to the order line's goods out, counted cumulatively
    (round(out after × unit price) − round(out before × unit price)), so a line delivered in parts never
    adds up to more than its amount on the order.
    """

    release = models.ForeignKey(ReleaseRequest, on_delete=models.CASCADE, related_name="lines",
                                verbose_name=_("release"))
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="release_lines",
                                   verbose_name=_("order line"))
    quantity = models.DecimalField(_("quantity notified"), max_digits=20, decimal_places=3)
    value = MoneyField(_("value notified"))
    delivered_quantity = models.DecimalField(_("quantity delivered"), max_digits=20, decimal_places=3,
                                             default=Decimal("0.000"))

    class Meta:
        ordering = ["release_id", "order_line_id"]
        verbose_name = _("release line")
        verbose_name_plural = _("release lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="confirming_release_line_positive"),
            models.CheckConstraint(condition=Q(delivered_quantity__gte=0) & Q(delivered_quantity__lte=F("quantity")),
                                   name="confirming_release_line_delivered_within_notified"),
            models.UniqueConstraint(fields=["release", "order_line"], name="confirming_release_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.release.reference} · {self.order_line.description} × {self.quantity}"


class RefundDemand(ConcurrentTransitionMixin, models.Model):
    """The refund notice (差额退款通知书) to the seller for S = P − M before maturity; one in flight per order."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        LAPSED = "lapsed", _("Unpaid at maturity")

    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="refund_demands",
                              verbose_name=_("order"))
    amount = MoneyField(_("amount"))
    notice_date = models.DateField(_("notice date"))
    due_date = models.DateField(_("due date"))
    state = StateField(_("state"), max_length=10, choices=State.choices, default=State.OPEN, protected=True)
    acknowledged_at = models.DateTimeField(_("acknowledged by the seller at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name=_("acknowledged by"))
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order_id", "-created_at"]
        verbose_name = _("refund demand")
        verbose_name_plural = _("refund demands")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="confirming_refund_positive"),
            models.UniqueConstraint(fields=["order"], condition=Q(state="open"), name="confirming_refund_one_open",
                                    violation_error_message=_("A refund demand is already open for this order.")),
        ]

    def __str__(self) -> str:
        return f"{self.order.reference} · {self.amount:,} · {self.get_state_display()}"

    # A case of its own small flow (the seller's task): its reference, lender and currency are the order's.
    @property
    def reference(self) -> str:
        return self.order.reference

    @property
    def lender(self):
        return self.order.agreement.lender

    @property
    def lender_id(self) -> int:
        return self.order.agreement.lender_id

    @property
    def currency(self) -> str:
        return self.order.currency

    @transition(field=state, source=State.OPEN, target=State.PAID)
    def mark_paid(self, *, on=None) -> None:
        """Record the seller's refund."""
        self.paid_on = on

    @transition(field=state, source=State.OPEN, target=State.LAPSED)
    def lapse(self) -> None:
        """Record that maturity passed unpaid: the lender advances."""


class DeliveryReconciliation(ConcurrentTransitionMixin, models.Model):
    """The month's delivery reconciliation (发货对账) of one agreement: the releases noticed against the goods delivered.

    A snapshot built as at the month's end (`reconciliation.py`): the release notices issued in the month and
    the earlier ones not delivered by its start, line by line. Operations review it (with a comment when it
    shows differences); a reviewed one is kept as it was, an open one is rebuilt when run again.
    """

    class State(models.TextChoices):
        OPEN = "open", _("Awaiting review")
        REVIEWED = "reviewed", _("Reviewed")

    agreement = models.ForeignKey(ConfirmingAgreement, on_delete=models.PROTECT, related_name="reconciliations",
                                  verbose_name=_("agreement"))
    period = models.DateField(_("month"), help_text=_("The first day of the calendar month reconciled."))
    currency = CurrencyField()
    release_count = models.PositiveIntegerField(_("release notices"), default=0)
    notified_value = MoneyField(_("value notified"), default=Decimal("0.00"))
    delivered_value = MoneyField(_("value delivered"), default=Decimal("0.00"))
    difference_value = MoneyField(_("value short-delivered"), default=Decimal("0.00"))
    awaiting_value = MoneyField(_("value awaiting delivery"), default=Decimal("0.00"))
    has_differences = models.BooleanField(_("with differences"), default=False)
    state = StateField(_("state"), max_length=10, choices=State.choices, default=State.OPEN, protected=True)
    generated_at = models.DateTimeField(_("built at"))
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("built by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("reviewed by"))
    review_comment = models.TextField(_("review comment"), blank=True)

    class Meta:
        ordering = ["-period", "agreement_id"]
        verbose_name = _("delivery reconciliation")
        verbose_name_plural = _("delivery reconciliations")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "period"], name="confirming_reconciliation_once_a_month"),
            models.CheckConstraint(condition=Q(period__day=1), name="confirming_reconciliation_period_first_day"),
            models.CheckConstraint(condition=Q(notified_value__gte=0) & Q(delivered_value__gte=0)
                                   & Q(difference_value__gte=0) & Q(awaiting_value__gte=0),
                                   name="confirming_reconciliation_totals_consistent"),
        ]
        indexes = [models.Index(fields=["state", "has_differences"])]

    def __str__(self) -> str:
        return f"{self.agreement.reference} · {self.period:%Y-%m}"

    @property
    def lender_id(self) -> int:
        return self.agreement.lender_id

    @property
    def lender(self):
        return self.agreement.lender

    @transition(field=state, source=State.OPEN, target=State.REVIEWED)
    def mark_reviewed(self, *, by, at, comment: str = "") -> None:
        """Record that operations went through the reconciliation."""
        self.reviewed_by = by
        self.reviewed_at = at
        self.review_comment = comment


class DeliveryReconciliationLine(models.Model):
    """One line of a reconciliation: a line of goods a release's delivery notice named (or a notice not yet answered).

    The figures are copied when the reconciliation is built, so a reviewed reconciliation reads the same later.
    """

    class Status(models.TextChoices):
        MATCHED = "matched", _("Matched")
        SHORT = "short", _("Short-delivered")
        AWAITING = "awaiting", _("Awaiting delivery")
        UNEXPECTED = "unexpected", _("Unexpected")

    reconciliation = models.ForeignKey(DeliveryReconciliation, on_delete=models.CASCADE, related_name="lines",
                                       verbose_name=_("reconciliation"))
    release = models.ForeignKey(ReleaseRequest, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("release"))
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   verbose_name=_("order line"))
    release_reference = models.CharField(_("release"), max_length=40)
    order_reference = models.CharField(_("order"), max_length=30)
    noticed_on = models.DateField(_("notice date"))
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    description = models.CharField(_("goods"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_price = models.DecimalField(_("unit price"), max_digits=20, decimal_places=6, null=True, blank=True)
    quantity_notified = models.DecimalField(_("quantity notified"), max_digits=20, decimal_places=3, null=True,
                                            blank=True)
    value_notified = MoneyField(_("value notified"))
    quantity_delivered = models.DecimalField(_("quantity delivered"), max_digits=20, decimal_places=3, null=True,
                                             blank=True)
    value_delivered = MoneyField(_("value delivered"), default=Decimal("0.00"))
    quantity_difference = models.DecimalField(_("quantity difference"), max_digits=20, decimal_places=3,
                                              null=True, blank=True)
    value_difference = MoneyField(_("value difference"), default=Decimal("0.00"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)

    class Meta:
        ordering = ["reconciliation_id", "noticed_on", "release_id", "order_line_id", "id"]
        verbose_name = _("reconciliation line")
        verbose_name_plural = _("reconciliation lines")

    def __str__(self) -> str:
        return f"{self.release_reference} · {self.description} · {self.get_status_display()}"
