"""Generated contracts and notices: numbered, versioned, hashed, signed, sealed."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, transition

from scf.core.fields import StateField

from .languages import Language


def document_pdf_path(instance: "Document", filename: str) -> str:
    return f"documents/{instance.kind}/{instance.created_at:%Y}/{instance.pk}-v{instance.version}-{filename}"


class Document(ConcurrentTransitionMixin, models.Model):
    """One version of a document about one business object, in one language."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")
        SIGNED = "signed", _("Signed")
        SUPERSEDED = "superseded", _("Superseded")
        VOID = "void", _("Void")

    kind = models.CharField(_("kind"), max_length=50)
    number = models.CharField(_("number"), max_length=40, blank=True, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    title = models.CharField(_("title"), max_length=200)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    business_object = GenericForeignKey("content_type", "object_id")
    parties = models.ManyToManyField("parties.Organization", through="DocumentParty", related_name="documents")
    state = StateField(_("state"), choices=State.choices, default=State.DRAFT, protected=True)
    html = models.TextField(blank=True)
    pdf = models.FileField(_("PDF"), upload_to=document_pdf_path, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    final_pdf = models.FileField(_("signed and sealed PDF"), upload_to=document_pdf_path, blank=True)
    final_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    supersedes = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="superseded_by")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        constraints = [
            # A retried or duplicated render never makes a second document of the same version.
            models.UniqueConstraint(fields=["content_type", "object_id", "kind", "language", "version"],
                                    name="document_version_unique"),
        ]
        indexes = [models.Index(fields=["content_type", "object_id", "kind"])]

    def __str__(self) -> str:
        return f"{self.number or self.kind} v{self.version}"

    @property
    def display_number(self) -> str:
        return self.number or str(_("(not yet numbered)"))

    @transition(field=state, source=State.DRAFT, target=State.ISSUED)
    def issue(self, *, by=None, note: str = "") -> None:
        """Fix the PDF: from now on it never changes."""

    @transition(field=state, source=State.ISSUED, target=State.SIGNED)
    def complete_signing(self, *, by=None, note: str = "") -> None:
        """Every required party has signed."""

    @transition(field=state, source=[State.DRAFT, State.ISSUED], target=State.SUPERSEDED)
    def supersede(self, *, by=None, note: str = "") -> None:
        """A newer version replaces this one."""

    @transition(field=state, source=[State.DRAFT, State.ISSUED, State.SIGNED], target=State.VOID)
    def void(self, *, by=None, note: str = "") -> None:
        """Cancel the document; its number stays used."""


class DocumentParty(models.Model):
    """A party named in a document, and whether it must sign."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="document_parties")
    organization = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=30)
    must_sign = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["document", "organization"], name="document_party_unique")]

    def __str__(self) -> str:
        return f"{self.role}: {self.organization}"


class Signature(models.Model):
    """A party's signature on the exact PDF bytes whose hash it records."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="signatures")
    organization = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="+")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=150)
    signed_at = models.DateTimeField(_("signed at"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=400, blank=True)
    sha256 = models.CharField(_("SHA-256 signed"), max_length=64)

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["document", "organization"], name="signature_once_per_party"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.signer_name} · {self.signed_at:%Y-%m-%d %H:%M}"
