"""The process every product's flow runs on, carrying what an inbox row shows about its case."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process
from viewflow.workflow.status import PROCESS

from scf.core.fields import CurrencyField, MoneyField
from scf.facilities.models import Product


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
