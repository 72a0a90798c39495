"""The task pages of the factoring flow: the case beside the form that completes the step.

The inbox finds the task and checks that the user may act on it; each view here parses its
form, calls one service (which fires the FSM transition and completes the task) and shows
the case again with the errors when the input is refused.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from documents.models import Document
from documents.selectors import documents_current, documents_to_sign
from documents.services import document_sign
from scf.audit.services import history_for
from scf.core.exceptions import DomainError
from workflows.approval.models import ApprovalDecision

from .models import FactoringFinancing, Receivable
from .permissions import can_see_facility, can_see_pricing
from .services import (financing_cancel, financing_resubmit, financing_review_decide, receivable_confirm,
                       receivable_dispute)
from .settlement import financing_disburse, financing_settle, receipt_record


def _financing(task) -> FactoringFinancing:
    return (FactoringFinancing.objects.select_related("facility", "supplier", "debtor", "lender", "approval_case")
            .get(pk=task.process.artifact_object_id))


def _render(request, task, template: str, financing: FactoringFinancing, status: int = 200, **extra):
    case = task.process.coerced
    context = {
        "task": task, "case": case, "financing": financing,
        "receivables": financing.receivables.order_by("due_date", "invoice_number"),
        "documents": documents_current(financing),
        # The facility is the obligor's and the lender's business, and the pricing the supplier's:
        # neither is the counterparty's.
        "facility": financing.facility if can_see_facility(request.user, financing) else None,
        "show_pricing": can_see_pricing(request.user, financing),
        "decisions": (ApprovalDecision.objects.filter(case=financing.approval_case).select_related("approver")
                      if financing.approval_case_id else []),
        "receipts": financing.receipts.all(),
        "history": history_for(financing),
        **extra,
    }
    return render(request, template, context, status=status)


def _apply_errors(form: forms.Form, error: Exception) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    elif isinstance(error, DomainError):
        form.add_error(None, error.message)
    else:
        form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))


def _done(request, message: str):
    messages.success(request, message)
    return redirect("inbox:list")


def _form_step(request, task, financing: FactoringFinancing, form: forms.Form, template: str, act,
               done: str, **extra):
    """Run one task's form: on a valid POST call `act(cleaned_data)` (one service), else show the errors."""
    if request.method == "POST" and form.is_valid():
        try:
            act(form.cleaned_data)
        except (ValidationError, DomainError) as error:
            _apply_errors(form, error)
        else:
            return _done(request, done % {"ref": financing.reference})
    status = 400 if request.method == "POST" else 200
    return _render(request, task, template, financing, status, form=form, **extra)


# --- the debtor's confirmation --------------------------------------------------------------

class ConfirmRowForm(forms.Form):
    DECISIONS = [("confirm", gettext_lazy("Confirm")), ("dispute", gettext_lazy("Dispute"))]
    decision = forms.ChoiceField(label=gettext_lazy("Answer"), choices=DECISIONS, initial="confirm")
    amount = forms.DecimalField(label=gettext_lazy("Confirmed amount"), max_digits=20, decimal_places=2,
                                required=False)
    note = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=500)


def confirm(request, task):
    financing = _financing(task)
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
                        _apply_errors(form, error)
                        raise
        except (ValidationError, DomainError):
            pass
        else:
            return _done(request, _("Your answer on %(ref)s was recorded.") % {"ref": financing.reference})
    status = 400 if request.method == "POST" else 200
    return _render(request, task, "factoring/tasks/confirm.html", financing, status, rows=rows)


# --- credit review --------------------------------------------------------------------------

class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), choices=ApprovalDecision.Decision.choices,
                                 widget=forms.RadioSelect)
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, widget=forms.Textarea, max_length=2000,
                              help_text=gettext_lazy("Required to reject or return."))


def review(request, task):
    financing = _financing(task)
    return _form_step(
        request, task, financing, ReviewForm(request.POST or None), "factoring/tasks/review.html",
        lambda data: financing_review_decide(financing=financing, approver=request.user, **data),
        _("Your decision on %(ref)s was recorded."))


# --- revision by the supplier -----------------------------------------------------------------

class ReviseForm(forms.Form):
    ACTIONS = [("resubmit", gettext_lazy("Resubmit")), ("cancel", gettext_lazy("Withdraw the request"))]
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=ACTIONS, widget=forms.RadioSelect,
                               initial="resubmit")
    value_date = forms.DateField(label=gettext_lazy("New value date"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea, max_length=1000)


def revise(request, task):
    financing = _financing(task)
    form = ReviseForm(request.POST or None, initial={"value_date": max(financing.value_date, timezone.localdate())})

    def act(data):
        if data["action"] == "cancel":
            financing_cancel(financing=financing, acting_user=request.user, note=data["note"])
        else:
            financing_resubmit(financing=financing, acting_user=request.user, value_date=data["value_date"],
                               note=data["note"])

    return _form_step(request, task, financing, form, "factoring/tasks/revise.html", act, _("%(ref)s was updated."))


# --- signing --------------------------------------------------------------------------------

class SignAllForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("Your password"), strip=False, widget=forms.PasswordInput,
                               help_text=gettext_lazy("Re-enter your password to sign."))


def sign(request, task):
    financing = _financing(task)
    organization = task.owner_permission_obj
    to_sign = documents_to_sign(financing, organization)
    not_ready = [d for d in to_sign if d.state != Document.State.ISSUED]
    form = SignAllForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not_ready:
            form.add_error(None, _("The documents are still being prepared; try again in a moment."))
        else:
            try:
                with transaction.atomic():
                    for document in to_sign:
                        document_sign(document=document, organization=organization, signer=request.user,
                                      password=form.cleaned_data["password"],
                                      ip_address=request.META.get("REMOTE_ADDR"),
                                      user_agent=request.META.get("HTTP_USER_AGENT", ""))
            except DomainError as error:
                form.add_error("password" if error.code == "wrong_password" else None, error.message)
            else:
                return _done(request, ngettext("Signed %(count)d document for %(org)s.",
                                               "Signed %(count)d documents for %(org)s.", len(to_sign))
                             % {"count": len(to_sign), "org": organization.legal_name})
    status = 400 if request.method == "POST" else 200
    return _render(request, task, "factoring/tasks/sign.html", financing, status, form=form, to_sign=to_sign,
                   not_ready=not_ready, organization=organization)


# --- operations -----------------------------------------------------------------------------

class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=gettext_lazy("I have checked the details above"), required=True)


def disburse(request, task):
    financing = _financing(task)
    return _form_step(request, task, financing, ConfirmForm(request.POST or None), "factoring/tasks/disburse.html",
                      lambda data: financing_disburse(financing=financing, acting_user=request.user),
                      _("%(ref)s disbursed."))


class ReceiptForm(forms.Form):
    payer = forms.ChoiceField(label=gettext_lazy("Paid by"), widget=forms.RadioSelect)
    amount = forms.DecimalField(label=gettext_lazy("Amount received"), max_digits=20, decimal_places=2,
                                min_value=Decimal("0.01"))
    value_date = forms.DateField(label=gettext_lazy("Value date"), widget=forms.DateInput(attrs={"type": "date"}))
    bank_reference = forms.CharField(label=gettext_lazy("Bank reference"), max_length=60)


def collect(request, task):
    financing = _financing(task)
    # The debtor owes the confirmed amount; after a recourse claim the supplier owes the lender's dues.
    claimed = financing.state == FactoringFinancing.State.RECOURSE_CLAIMED
    form = ReceiptForm(request.POST or None, initial={
        "value_date": timezone.localdate(), "payer": "supplier" if claimed else "debtor",
        "amount": financing.lender_owed if claimed else financing.collectable_from_debtor})
    form.fields["payer"].choices = [("debtor", financing.debtor.legal_name), ("supplier", financing.supplier.legal_name)]

    def act(data):
        payer = financing.supplier if data["payer"] == "supplier" else financing.debtor
        receipt_record(financing=financing, acting_user=request.user, **{**data, "payer": payer})

    return _form_step(request, task, financing, form, "factoring/tasks/collect.html", act,
                      _("Receipt recorded on %(ref)s."))


def settle(request, task):
    financing = _financing(task)
    return _form_step(request, task, financing, ConfirmForm(request.POST or None), "factoring/tasks/settle.html",
                      lambda data: financing_settle(financing=financing, acting_user=request.user),
                      _("%(ref)s settled and closed."), rebate=financing.rebate_due - financing.rebate_paid)
