"""The process every product's flow runs on, carrying what an inbox row shows about its case."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process
from viewflow.workflow.status import PROCESS

from scf.core.fields import CurrencyField, MoneyField
from scf.facilities.models import Product
from scf.parties.validators import ALLOWED_UPLOAD_TYPES


class CaseProcess(Process):
    """A product flow's process: the case's party, product, amount and due date, kept for the inbox.

    The inbox lists tasks with these columns, filters and sorts on them, and pages by keyset,
    without touching the product tables.
    """

    product = models.CharField(_("product"), max_length=20, choices=Product.choices)
    reference = models.CharField(_("case"), max_length=60, db_index=True)
    applicant = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("applicant"))
    counterparty = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="+",
                                     null=True, blank=True, verbose_name=_("counterparty"))
    currency = CurrencyField()
    amount = MoneyField(_("amount"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    # Kept with the process status, so that the sorted inbox can walk open cases only.
    is_open = models.BooleanField(default=True, editable=False)

    class Meta:
        verbose_name = _("case process")
        verbose_name_plural = _("case processes")
        indexes = [
            models.Index(fields=["due_date", "process_ptr"], condition=models.Q(is_open=True),
                         name="inbox_case_open_due"),
            models.Index(models.F("amount").desc(), models.F("process_ptr").desc(),
                         condition=models.Q(is_open=True), name="inbox_case_open_amount"),
        ]
        permissions = [
            ("decide_as_credit_officer", _("Decide approval cases as a credit officer")),
            ("decide_as_risk_manager", _("Decide approval cases as a risk manager")),
            ("decide_as_credit_committee", _("Decide approval cases as a credit-committee member")),
            ("disburse", _("Disburse approved financings")),
            ("record_receipts", _("Record receipts and settle")),
            ("write_off", _("Write off what a defaulted case still owes")),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.get_product_display()}"

    def save(self, *args, **kwargs):
        self.is_open = self.status not in (PROCESS.DONE, PROCESS.CANCELED)
        if kwargs.get("update_fields") is not None and "status" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "is_open"}
        super().save(*args, **kwargs)


class DocumentRequest(models.Model):
    """A document the lender asks the applicant for, named by the approver who returned the case."""

    case_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    case_id = models.PositiveBigIntegerField()
    case = GenericForeignKey("case_type", "case_id")
    lender = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("lender"))
    organization = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("asked of"))
    description = models.CharField(_("document asked for"), max_length=200)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    fulfilled_at = models.DateTimeField(_("attached at"), null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = _("document request")
        verbose_name_plural = _("document requests")
        indexes = [models.Index(fields=["case_type", "case_id"], name="inbox_docrequest_case")]

    def __str__(self) -> str:
        return self.description

    @property
    def is_open(self) -> bool:
        return self.fulfilled_at is None


def attachment_path(instance: "CaseAttachment", filename: str) -> str:
    # The stored name never reuses the client's name: it is derived from the content.
    extension = ALLOWED_UPLOAD_TYPES.get(instance.content_type, "")
    return f"attachments/{instance.case_type_id}/{instance.case_id}/{instance.sha256}{extension}"


class CaseAttachment(models.Model):
    """A file a party attached to a case (PDF, PNG or JPEG), checked by its content, kept with its SHA-256."""

    case_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    case_id = models.PositiveBigIntegerField()
    case = GenericForeignKey("case_type", "case_id")
    lender = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("lender"))
    organization = models.ForeignKey("parties.Organization", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("attached by"))
    title = models.CharField(_("document"), max_length=200)
    request = models.ForeignKey(DocumentRequest, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="attachments", verbose_name=_("answers the request"))
    file = models.FileField(_("file"), upload_to=attachment_path)
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("case attachment")
        verbose_name_plural = _("case attachments")
        constraints = [
            # The same file attached twice to a case would only hide which one the reviewer read.
            models.UniqueConstraint(fields=["case_type", "case_id", "sha256"], name="inbox_attachment_once_per_case"),
        ]

    def __str__(self) -> str:
        return f"{self.title} · {self.original_name}"
