"""Users, organizations, memberships and KYC."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, transition

from scf.core.fields import CurrencyField, StateField

from .validators import ALLOWED_UPLOAD_TYPES, validate_account_number, validate_time_zone, validate_uscc


class User(AbstractUser):
    """A person who logs in: corporate user (through memberships) or lender staff (groups)."""

    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    # Pages show times in it; business dates (value dates, due dates, business days) and documents stay in
    # the service's zone (settings.TIME_ZONE) whoever reads them.
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, validators=[validate_time_zone],
        help_text=_("Times on pages are shown in this zone; left blank, in the service's."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def staff_groups(self) -> set[str]:
        """Return the lender staff groups the user is in (read with their permissions: one statement for both)."""
        if not hasattr(self, "_staff_groups"):
            from .backends import groups_and_permissions_read

            groups_and_permissions_read(self)
        return self._staff_groups

    @property
    def is_lender_staff(self) -> bool:
        return bool(self.staff_groups())


class StaffGroup(models.TextChoices):
    """Lender staff groups (Django auth groups with these names)."""

    CREDIT_OFFICER = "credit_officer", _("Credit officer")
    RISK_MANAGER = "risk_manager", _("Risk manager")
    CREDIT_COMMITTEE = "credit_committee", _("Credit committee")
    OPERATIONS = "operations", _("Operations")
    ADMIN = "lender_admin", _("Lender administrator")


class Organization(ConcurrentTransitionMixin, models.Model):
    """A legal entity: supplier, core enterprise, distributor, warehouse operator or lender."""

    class KycState(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")

    class Role(models.TextChoices):
        SUPPLIER = "supplier", _("Supplier")
        CORE = "core", _("Core enterprise")
        DISTRIBUTOR = "distributor", _("Distributor")
        WAREHOUSE = "warehouse", _("Warehouse operator")
        LENDER = "lender", _("Lender")

    legal_name = models.CharField(_("legal name"), max_length=200)
    legal_name_en = models.CharField(_("legal name in English"), max_length=200, blank=True)
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    is_supplier = models.BooleanField(_("supplier"), default=False)
    is_core = models.BooleanField(_("core enterprise"), default=False)
    is_distributor = models.BooleanField(_("distributor"), default=False)
    is_warehouse = models.BooleanField(_("warehouse operator"), default=False)
    is_lender = models.BooleanField(_("lender"), default=False)
    signatories_use_second_factor = models.BooleanField(
        _("client signatories use a second factor"), default=False,
        help_text=_("A lender's policy: signatories of its clients sign in with a code from an authenticator app "
                    "too, as its staff always do."))
    registered_address = models.CharField(_("registered address"), max_length=300, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    preferred_language = models.CharField(
        _("document language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    kyc_state = StateField(_("KYC state"), choices=KycState.choices, default=KycState.DRAFT, protected=True)
    kyc_verified_at = models.DateTimeField(_("KYC verified at"), null=True, blank=True)
    kyc_expires_on = models.DateField(_("KYC expires on"), null=True, blank=True)
    kyc_note = models.TextField(_("KYC reviewer's note"), blank=True)
    # Four eyes on KYC: whoever sent the file for review (the client, or lender staff onboarding it)
    # never verifies it; the database holds it for the current file.
    kyc_submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", verbose_name=_("KYC submitted by"))
    kyc_submitted_at = models.DateTimeField(_("KYC submitted at"), null=True, blank=True)
    kyc_verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name=_("KYC verified by"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["legal_name"]
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        permissions = [("review_kyc", "Can verify or reject KYC")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_supplier=True)
                | models.Q(is_core=True)
                | models.Q(is_distributor=True)
                | models.Q(is_warehouse=True)
                | models.Q(is_lender=True),
                name="organization_has_a_role",
                violation_error_message=_("An organization plays at least one role."),
            ),
            models.CheckConstraint(
                condition=models.Q(kyc_verified_by__isnull=True) | models.Q(kyc_submitted_by__isnull=True)
                | ~models.Q(kyc_verified_by=models.F("kyc_submitted_by")),
                name="organization_kyc_not_verified_by_submitter",
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name

    @property
    def roles(self) -> list[str]:
        return [role for role in self.Role.values if getattr(self, self.role_field(role))]

    def role_labels(self) -> list[str]:
        return [str(self.Role(role).label) for role in self.roles]

    @staticmethod
    def role_field(role: str) -> str:
        return {"supplier": "is_supplier", "core": "is_core", "distributor": "is_distributor",
                "warehouse": "is_warehouse", "lender": "is_lender"}[role]

    def has_kyc_documents(self) -> bool:
        return self.kyc_documents.exists()

    # KYC life cycle. Transitions only change state; services save, audit and check permissions.

    @transition(
        field=kyc_state,
        source=[KycState.DRAFT, KycState.REJECTED, KycState.EXPIRED],
        target=KycState.SUBMITTED,
        conditions=[has_kyc_documents],
    )
    def kyc_submit(self, *, by=None, note: str = "") -> None:
        """Send the KYC file to the lender for review; the verifier of an earlier file no longer counts."""
        self.kyc_submitted_by = by
        self.kyc_submitted_at = timezone.now()
        self.kyc_verified_by = None

    @transition(
        field=kyc_state,
        source=KycState.SUBMITTED,
        target=KycState.VERIFIED,
        permission="parties.review_kyc",
    )
    def kyc_verify(self, *, by=None, note: str = "", expires_on: datetime.date) -> None:
        """Accept the KYC file until `expires_on`."""
        self.kyc_verified_by = by
        self.kyc_expires_on = expires_on
        self.kyc_note = note

    @transition(
        field=kyc_state,
        source=KycState.SUBMITTED,
        target=KycState.REJECTED,
        permission="parties.review_kyc",
    )
    def kyc_reject(self, *, by=None, note: str = "") -> None:
        """Send the KYC file back with the reason."""
        self.kyc_note = note

    @transition(field=kyc_state, source=KycState.VERIFIED, target=KycState.EXPIRED)
    def kyc_expire(self, *, by=None, note: str = "") -> None:
        """Mark a verified KYC as expired: it must be renewed."""


class Membership(models.Model):
    """A user's role in an organization; a user may hold several roles."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        OPERATOR = "operator", _("Operator")
        SIGNATORY = "signatory", _("Signatory")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="membership_unique_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organization} · {self.get_role_display()}"


class TradeRelationship(models.Model):
    """A supplier or distributor trading with a core enterprise: they see each other."""

    seller = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sales_relationships")
    buyer = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="purchase_relationships")
    since = models.DateField(_("since"), null=True, blank=True)

    class Meta:
        verbose_name = _("trade relationship")
        verbose_name_plural = _("trade relationships")
        constraints = [
            models.UniqueConstraint(fields=["seller", "buyer"], name="trade_relationship_unique"),
            models.CheckConstraint(condition=~models.Q(seller=models.F("buyer")), name="trade_relationship_distinct"),
        ]

    def __str__(self) -> str:
        return f"{self.seller} → {self.buyer}"


class LenderClient(models.Model):
    """An organization known to a lender: its client, or an applicant that asked it for a facility.

    A lender's staff see the organizations (and their KYC files) of these rows, of the obligors of the
    lender's facilities, and of their trade counterparties; never another lender's other clients.
    """

    class Source(models.TextChoices):
        ONBOARDED = "onboarded", _("Onboarded by the lender's staff")
        FACILITY = "facility", _("Facility proposed")
        APPLICATION = "application", _("Applied for a facility")
        EXISTING = "existing", _("Client before lenders were separated")

    lender = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="clients_held",
                               limit_choices_to={"is_lender": True}, verbose_name=_("lender"))
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="lender_relationships",
                                     verbose_name=_("client"))
    source = models.CharField(_("how it became a client"), max_length=20, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lender_id", "organization_id"]
        verbose_name = _("lender's client")
        verbose_name_plural = _("lenders' clients")
        constraints = [
            models.UniqueConstraint(fields=["lender", "organization"], name="lender_client_unique"),
            models.CheckConstraint(condition=~models.Q(lender=models.F("organization")), name="lender_client_distinct"),
        ]

    def __str__(self) -> str:
        return f"{self.lender} · {self.organization}"


def kyc_upload_path(instance: "KycDocument", filename: str) -> str:
    # The stored name never reuses the client's name: it is derived from the content.
    extension = ALLOWED_UPLOAD_TYPES.get(instance.content_type, "")
    return f"kyc/{instance.organization_id}/{instance.sha256}{extension}"


class KycDocument(models.Model):
    """A KYC file (licence, ID, articles…) uploaded by the organization, checked by content."""

    class Kind(models.TextChoices):
        BUSINESS_LICENCE = "business_licence", _("Business licence")
        LEGAL_REP_ID = "legal_rep_id", _("Legal representative's ID")
        ARTICLES = "articles", _("Articles of association")
        FINANCIALS = "financials", _("Financial statements")
        OTHER = "other", _("Other")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="kyc_documents")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=kyc_upload_path)
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("KYC document")
        verbose_name_plural = _("KYC documents")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"


class SettlementAccountQuerySet(models.QuerySet):
    def payout_for(self, organization, currency: str) -> "SettlementAccount | None":
        """Return the organization's verified account in `currency`: its default if verified, else the oldest."""
        return (self.filter(organization=organization, currency=currency, status=SettlementAccount.Status.VERIFIED)
                .order_by("-is_default", "id").first())

    def kept_or_payout_for(self, kept, organization, currency: str) -> SettlementAccount | None:
        """Return `kept` (an account a case chose earlier) while it stays verified, else `payout_for`: a changed
        account is pending until verified again, and is never paid into or printed."""
        if kept is not None and kept.status == SettlementAccount.Status.VERIFIED:
            return kept
        return self.payout_for(organization, currency)


class SettlementAccount(ConcurrentTransitionMixin, models.Model):
    """A bank account of an organization that money is paid into (or, for a lender, collected on).

    The client enters it; the lender's operations verify it before it can receive money, and a change to
    a verified account makes it pending again (four eyes: the verifier is neither the person who entered
    or last changed it nor a member of the organization).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending verification")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="settlement_accounts",
                                     verbose_name=_("organization"))
    bank_name = models.CharField(_("bank"), max_length=200)
    branch = models.CharField(_("branch"), max_length=200, blank=True)
    account_name = models.CharField(_("account name"), max_length=200)
    account_number = models.CharField(_("account number"), max_length=40, validators=[validate_account_number])
    currency = CurrencyField()
    is_default = models.BooleanField(_("default for its currency"), default=False)
    status = StateField(_("status"), choices=Status.choices, default=Status.PENDING, protected=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("entered or last changed by"))
    entered_at = models.DateTimeField(_("entered or last changed at"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("reviewed by"))
    verified_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("reviewer's note"), blank=True)
    # What the account paid into when it was last verified, kept when a change sends it back to pending,
    # so that the reviewer sees what changed (bank, branch, holder, number, currency).
    previous_details = models.JSONField(_("details when last verified"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SettlementAccountQuerySet.as_manager()

    class Meta:
        ordering = ["organization_id", "currency", "-is_default", "id"]
        verbose_name = _("settlement account")
        verbose_name_plural = _("settlement accounts")
        permissions = [("verify_settlementaccount", "Can verify or reject settlement accounts")]
        constraints = [
            models.UniqueConstraint(fields=["organization", "currency", "account_number"],
                                    name="settlement_account_unique_number",
                                    violation_error_message=_("This account is already registered.")),
            models.UniqueConstraint(fields=["organization", "currency"], condition=models.Q(is_default=True),
                                    name="settlement_account_one_default",
                                    violation_error_message=_("Only one account per currency is the default.")),
        ]

    def __str__(self) -> str:
        return f"{self.bank_name} {self.account_number} ({self.currency})"

    @property
    def grouped_number(self) -> str:
        """Return the number in groups of four, as banks print it (1102 0206 0900 0123 456)."""
        compact = "".join(self.account_number.split())
        return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))

    # Transitions only change state; the services in `accounts.py` check, save and audit.

    @transition(field=status, source=[Status.PENDING, Status.VERIFIED, Status.REJECTED], target=Status.PENDING)
    def change(self, *, by=None, note: str = "") -> None:
        """Send the changed account back for verification."""
        self.verified_by = None
        self.verified_at = None

    @transition(field=status, source=Status.PENDING, target=Status.VERIFIED,
                permission="parties.verify_settlementaccount")
    def verify(self, *, by=None, note: str = "") -> None:
        """Accept the account: it may receive money."""
        self.review_note = note

    @transition(field=status, source=Status.PENDING, target=Status.REJECTED,
                permission="parties.verify_settlementaccount")
    def reject(self, *, by=None, note: str = "") -> None:
        """Refuse the account, with the reason."""
        self.review_note = note


class RecoveryCode(models.Model):
    """A one-time code that stands in for the authenticator app once; only its SHA-256 is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"{self.user} · {'used' if self.used_at else 'unused'}"
