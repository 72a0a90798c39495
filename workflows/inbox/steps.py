"""Task pages every product's flow shares: the case beside the form that completes the step.

The inbox finds the task and checks that the user may act on it (`views.task_detail`). A step
view parses its form, calls one service (which fires the transition and completes the task)
and shows the case again with the errors when the input is refused. The case cards (facility,
documents, approvals, history: `templates/inbox/_*_card.html`) are generic; the product adds its
own through its flow's `case_context`, and lays its case out in the flow's `case_template`.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from documents.models import Document
from documents.selectors import documents_current, documents_progress, documents_to_sign
from documents.services import documents_sign
from scf.core.exceptions import DomainError
from scf.parties.permissions import is_staff_of
from scf.parties.second_factor import SECOND_FACTOR_ERRORS, confirmed_device, second_factor_failure_note
from scf.releases.selectors import releases_pending_for
from workflows.approval.models import ApprovalDecision

from .history import case_history
from .progress import case_progress


def case_object(task):
    """Return the task's case object, loaded with the relations its flow names."""
    flow = task.flow_task.flow_class.instance
    return (flow.case_model._default_manager.select_related(*flow.case_related)
            .get(pk=task.process.artifact_object_id))


def render_step(request, task, template: str, obj, status: int = 200, **extra):
    """Render a step's page: the generic cards, the product's own (its flow's `case_context`), the form."""
    flow = task.flow_task.flow_class.instance
    approval_case_id = getattr(obj, "approval_case_id", None)
    lender_id = getattr(obj, "lender_id", None)
    # Who approved and what they wrote is the lender's own business.
    lender_staff = lender_id is None or request.user.is_superuser or is_staff_of(request.user, lender_id)
    context = {
        "task": task, "case": task.process.coerced, "obj": obj, "case_template": flow.case_template,
        "documents": documents_current(obj, user=request.user),
        # Drafts a worker is rendering, signed documents it is sealing: the page says so and refreshes itself.
        "documents_progress": documents_progress(obj),
        "decisions": (ApprovalDecision.objects.filter(case_id=approval_case_id).select_related("approver")
                      if approval_case_id and lender_staff else []),
        "history": case_history(obj, user=request.user, lender_id=lender_id,
                                applicant_id=getattr(task.process.coerced, "applicant_id", None)),
        "progress": case_progress(obj, process=task.process.coerced),
        # Money prepared on the case that a second person has not released yet.
        "pending_releases": releases_pending_for(obj, request.user),
        **flow.case_context(request, obj),
        **extra,
    }
    return render(request, template, context, status=status)


def apply_errors(form: forms.Form, error: Exception) -> None:
    """Put a refused service call's errors on the form: field errors by field, the rest on top."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, field_messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_messages)
    elif isinstance(error, DomainError):
        form.add_error(None, error.message)
    else:
        form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))


def step_done(request, message: str):
    messages.success(request, message)
    return redirect("inbox:list")


def form_step(request, task, obj, form: forms.Form, template: str, act: Callable[[dict], object], done: str,
              **extra):
    """Run one task's form: on a valid POST call `act(cleaned_data)` (one service), else show the errors.

    `done` is the message on success, with `%(ref)s` for the case's reference.
    """
    if request.method == "POST" and form.is_valid():
        try:
            act(form.cleaned_data)
        except (ValidationError, DomainError) as error:
            apply_errors(form, error)
        else:
            return step_done(request, done % {"ref": obj.reference})
    status = 400 if request.method == "POST" else 200
    return render_step(request, task, template, obj, status, form=form, **extra)


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=gettext_lazy("I have checked the details above"), required=True)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), choices=ApprovalDecision.Decision.choices,
                                 widget=forms.RadioSelect)
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, widget=forms.Textarea, max_length=2000,
                              help_text=gettext_lazy("Required to reject or return."))


class SignAllForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("Your password"), strip=False, widget=forms.PasswordInput,
                               help_text=gettext_lazy("Re-enter your password to sign."))
    otp_code = forms.CharField(label=gettext_lazy("Code from your authenticator app"), required=False, max_length=10,
                               widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
                               help_text=gettext_lazy("A fresh 6-digit code: signing asks for your second factor again."))

    def __init__(self, *args, second_factor: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not second_factor:
            del self.fields["otp_code"]


def sign(request, task):
    """Sign, for the task's organization, every current document of the case it must sign."""
    obj = case_object(task)
    organization = task.owner_permission_obj
    to_sign = documents_to_sign(obj, organization)
    not_ready = [d for d in to_sign if d.state != Document.State.ISSUED]
    form = SignAllForm(request.POST or None, second_factor=confirmed_device(request.user) is not None)
    if request.method == "POST" and form.is_valid():
        if not_ready:
            form.add_error(None, _("The documents are still being prepared; try again in a moment."))
        else:
            try:
                documents_sign(documents=to_sign, organization=organization, signer=request.user,
                               password=form.cleaned_data["password"],
                               ip_address=request.META.get("REMOTE_ADDR"),
                               user_agent=request.META.get("HTTP_USER_AGENT", ""),
                               otp_code=form.cleaned_data.get("otp_code"))
            except DomainError as error:
                field = ("password" if error.code == "wrong_password"
                         else "otp_code" if error.code in SECOND_FACTOR_ERRORS and "otp_code" in form.fields else None)
                form.add_error(field, error.message)
                second_factor_failure_note(user=request.user, error=error)
            else:
                return step_done(request, ngettext("Signed %(count)d document for %(org)s.",
                                                   "Signed %(count)d documents for %(org)s.", len(to_sign))
                                 % {"count": len(to_sign), "org": organization.legal_name})
    status = 400 if request.method == "POST" else 200
    return render_step(request, task, "inbox/sign.html", obj, status, form=form, to_sign=to_sign,
                       not_ready=not_ready, organization=organization)
