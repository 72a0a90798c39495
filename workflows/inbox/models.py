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


class StepDeadline(models.Model):
    """The service-level time of one kind of step: so many business days after the task lands."""

    step = models.CharField(_("step"), max_length=255, unique=True,
                            help_text=_("The flow step, as tasks name it (e.g. factoring/flows.FactoringFlow.review)."))
    business_days = models.PositiveSmallIntegerField(_("business days"))

    class Meta:
        ordering = ["step"]
        verbose_name = _("step deadline")
        verbose_name_plural = _("step deadlines")

    def __str__(self) -> str:
        return f"{self.step}: {self.business_days}"


class TaskDeadline(models.Model):
    """The day an open task is due by (its step's service level), and when it was escalated."""

    task = models.OneToOneField("viewflow.Task", on_delete=models.CASCADE, primary_key=True,
                                related_name="deadline")
    due_on = models.DateField(_("deadline"))
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("task deadline")
        verbose_name_plural = _("task deadlines")
        indexes = [models.Index(fields=["due_on"], condition=models.Q(escalated_at__isnull=True),
                                name="inbox_deadline_unescalated")]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.due_on}"


class Notification(models.Model):
    """A message to one person about a task: read in the portal, and sent by e-mail unless they opted out.

    The e-mail's state is kept on the row, so a mail server that fails loses nothing: the row stays
    pending until a send succeeds (the retried task, then the resend job).
    """

    class Kind(models.TextChoices):
        TASK = "task", _("New task")
        ESCALATION = "escalation", _("Overdue task")

    class Email(models.TextChoices):
        PENDING = "pending", _("To send")
        # Claimed by a worker that is sending it; given back (pending) if it fails, taken again if it never says.
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not wanted")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    task = models.ForeignKey("viewflow.Task", on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email = models.CharField(_("e-mail"), max_length=10, choices=Email.choices, default=Email.PENDING)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    email_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-id"], name="inbox_notification_recipient"),
            models.Index(fields=["recipient"], condition=models.Q(read_at__isnull=True), name="inbox_notification_unread"),
            models.Index(fields=["id"], condition=models.Q(email="pending"), name="inbox_notification_mail_due"),
        ]
        constraints = [
            # One notification of a kind per person and task: announcing or escalating twice changes nothing.
            models.UniqueConstraint(fields=["task", "recipient", "kind"], name="inbox_notification_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.task_id} → {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class EmailOptOut(models.Model):
    """A kind of step (or escalations) a person does not want e-mails about; in-app notifications stay."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=255)

    class Meta:
        verbose_name = _("e-mail opt-out")
        verbose_name_plural = _("e-mail opt-outs")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="inbox_email_optout_once")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"
