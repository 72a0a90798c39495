"""The task pages of the factoring flow that are factoring's own; signing is the inbox's.

Each view parses its form, calls one service (which fires the FSM transition and completes the
task) and shows the case again with the errors when the input is refused (`workflows.inbox.steps`).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scf.core.exceptions import DomainError
from scf.core.forms import AmountField
from scf.core.widgets import DateInput
from workflows.inbox.steps import (
    ConfirmForm,
    DecisionForm,
    apply_errors,
    case_object,
    form_step,
    render_step,
    step_done,
)

from .models import FactoringFinancing, Receivable
from .releases import disbursement_prepare, receipt_prepare, settlement_prepare
from .services import (
    financing_cancel,
    financing_resubmit,
    financing_review_decide,
    headroom_refusal,
    receivable_confirm,
    receivable_dispute,
)

# --- the debtor's confirmation --------------------------------------------------------------


class ConfirmRowForm(forms.Form):
    DECISIONS = [("confirm", gettext_lazy("Confirm")), ("dispute", gettext_lazy("Dispute"))]
    decision = forms.ChoiceField(label=gettext_lazy("Answer"), choices=DECISIONS, initial="confirm")
    amount = AmountField(label=gettext_lazy("Confirmed amount"), max_digits=20, decimal_places=2,
                                required=False)
    note = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=500)


def confirm(request, task):
    financing = case_object(task)
    pending = list(financing.receivables.filter(state=Receivable.State.SUBMITTED).order_by("due_date", "pk"))
    rows = [(r, ConfirmRowForm(request.POST or None, prefix=f"r{r.pk}", initial={"amount": r.face_amount}))
            for r in pending]
    if request.method == "POST" and all(form.is_valid() for _r, form in rows):
        try:
            with transaction.atomic():
                for receivable, form in rows:
                    data = form.cleaned_data
                    try:
                        if data["decision"] == "dispute":
                            receivable_dispute(receivable=receivable, note=data["note"], acting_user=request.user)
                        else:
                            receivable_confirm(receivable=receivable, amount=data["amount"], note=data["note"],
                                               acting_user=request.user)
                    except (ValidationError, DomainError) as error:
                        apply_errors(form, error)
                        raise
        except (ValidationError, DomainError):
            pass
        else:
            return step_done(request, _("Your answer on %(ref)s was recorded.") % {"ref": financing.reference})
    status = 400 if request.method == "POST" else 200
    return render_step(request, task, "factoring/tasks/confirm.html", financing, status, rows=rows)


# --- credit review --------------------------------------------------------------------------

class ReviewDecisionForm(DecisionForm):
    """The credit decision, which on a return may name a document the supplier must attach."""

    requested_document = forms.CharField(
        label=gettext_lazy("Document to ask for"), required=False, max_length=200,
        help_text=gettext_lazy("Only when returning for revision: the document the supplier must attach before it "
                               "resubmits, e.g. “audited financial statements 2025”."))


def review(request, task):
    financing = case_object(task)
    # The debtor's confirmation is never refused for the lender's limit: the approvers see here,
    # at every stage, when the advance no longer fits, and an approval is then refused.
    warning = headroom_refusal(facility=financing.facility, advance=financing.advance_amount, user=request.user)
    return form_step(
        request, task, financing, ReviewDecisionForm(request.POST or None), "inbox/decide.html",
        lambda data: financing_review_decide(financing=financing, approver=request.user, **data),
        _("Your decision on %(ref)s was recorded."),
        limit_warning=warning and _("%(refusal)s It can be rejected or returned, not approved.") % {"refusal": warning},
        many_url=reverse("factoring:approve-many"))


# --- revision by the supplier -----------------------------------------------------------------

class ReviseForm(forms.Form):
    ACTIONS = [("resubmit", gettext_lazy("Resubmit")), ("cancel", gettext_lazy("Withdraw the request"))]
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=ACTIONS, widget=forms.RadioSelect,
                               initial="resubmit")
    value_date = forms.DateField(label=gettext_lazy("New value date"), required=False,
                                 widget=DateInput())
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea, max_length=1000)


def revise(request, task):
    financing = case_object(task)
    form = ReviseForm(request.POST or None, initial={"value_date": max(financing.value_date, timezone.localdate())})

    def act(data):
        if data["action"] == "cancel":
            financing_cancel(financing=financing, acting_user=request.user, note=data["note"])
        else:
            financing_resubmit(financing=financing, acting_user=request.user, value_date=data["value_date"],
                               note=data["note"])

    return form_step(request, task, financing, form, "factoring/tasks/revise.html", act, _("%(ref)s was updated."))


# --- operations -----------------------------------------------------------------------------

def disburse(request, task):
    financing = case_object(task)
    return form_step(request, task, financing, ConfirmForm(request.POST or None), "factoring/tasks/disburse.html",
                     lambda data: disbursement_prepare(financing=financing, acting_user=request.user),
                     _("Disbursement of %(ref)s prepared: a second operations user releases it on the Releases "
                       "page."))


class ReceiptForm(forms.Form):
    payer = forms.ChoiceField(label=gettext_lazy("Paid by"), widget=forms.RadioSelect)
    amount = AmountField(label=gettext_lazy("Amount received"), max_digits=20, decimal_places=2,
                                min_value=Decimal("0.01"))
    value_date = forms.DateField(label=gettext_lazy("Value date"), widget=DateInput())
    bank_reference = forms.CharField(label=gettext_lazy("Bank reference"), max_length=60)


def collect(request, task):
    financing = case_object(task)
    # The debtor owes the confirmed amount; after a recourse claim the supplier owes the lender's dues.
    claimed = financing.state == FactoringFinancing.State.RECOURSE_CLAIMED
    form = ReceiptForm(request.POST or None, initial={
        "value_date": timezone.localdate(), "payer": "supplier" if claimed else "debtor",
        "amount": financing.lender_owed if claimed else financing.collectable_from_debtor})
    form.fields["payer"].choices = [("debtor", financing.debtor.legal_name), ("supplier", financing.supplier.legal_name)]

    def act(data):
        payer = financing.supplier if data["payer"] == "supplier" else financing.debtor
        receipt_prepare(financing=financing, acting_user=request.user, **{**data, "payer": payer})

    return form_step(request, task, financing, form, "factoring/tasks/collect.html", act,
                     _("Receipt on %(ref)s prepared: a second operations user releases it on the Releases page."))


def settle(request, task):
    financing = case_object(task)
    return form_step(request, task, financing, ConfirmForm(request.POST or None), "factoring/tasks/settle.html",
                     lambda data: settlement_prepare(financing=financing, acting_user=request.user),
                     _("Settlement of %(ref)s prepared: a second operations user releases it on the Releases page."), rebate=financing.rebate_due - financing.rebate_paid)
