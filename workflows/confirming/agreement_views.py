"""Confirming-warehouse agreement pages in the portal, and the task pages of the agreement's flow.

Each view parses its form, calls one service and renders; a refused call comes back with the errors
in the user's language and nothing changed.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_fsm import can_proceed
from viewflow.workflow.models import Task

from documents.selectors import documents_progress, documents_visible_of
from scf.audit.services import history_for
from scf.core import tenancy
from scf.core.exceptions import DomainError
from scf.core.forms import AmountField
from scf.core.widgets import DateInput
from scf.facilities.models import CreditFacility, Product
from scf.parties.models import Organization
from scf.parties.permissions import is_staff_of
from scf.parties.selectors import lender_client_ids, user_lender_ids
from workflows.approval.models import ApprovalDecision
from workflows.inbox.assignment import can_act
from workflows.inbox.progress import case_progress
from workflows.inbox.services import OPEN, process_for
from workflows.inbox.steps import DecisionForm, apply_errors, case_object, form_step

from . import agreements as services
from . import permissions
from .calculations import DEFAULT_MARGIN_RATIO, DEFAULT_REFUND_NOTICE_DAYS
from .models import ConfirmingAgreement
from .order_views import orders_context
from .selectors import agreement_list

State = ConfirmingAgreement.State
SIGN_STEPS = ("sign_distributor", "sign_seller", "sign_warehouse", "sign_lender")


# --- forms ------------------------------------------------------------------------------------------

class AgreementForm(forms.Form):
    """The terms of an agreement; the seller and the distributor only when it is new (they cannot change)."""

    seller = forms.ModelChoiceField(label=gettext_lazy("Seller (core enterprise)"),
                                    queryset=Organization.objects.none())
    distributor = forms.ModelChoiceField(label=gettext_lazy("Distributor"), queryset=Organization.objects.none())
    form = forms.ChoiceField(label=gettext_lazy("Form"), choices=ConfirmingAgreement.Form.choices,
                             initial=ConfirmingAgreement.Form.THREE_PARTY)
    warehouse = forms.ModelChoiceField(label=gettext_lazy("Warehouse"), queryset=Organization.objects.none(),
                                       required=False,
                                       help_text=gettext_lazy("The four-party form only: who holds the goods."))
    limit_amount = AmountField(label=gettext_lazy("Limit"), max_digits=20, decimal_places=2)
    revolving = forms.BooleanField(label=gettext_lazy("Revolving"), required=False, initial=True)
    margin_ratio = forms.DecimalField(label=gettext_lazy("Margin ratio"), max_digits=7, decimal_places=6,
                                      help_text=gettext_lazy("A fraction: 0.30 for 30%."))
    release_mode = forms.TypedChoiceField(label=gettext_lazy("Release mode"), coerce=int,
                                          choices=ConfirmingAgreement.Mode.choices)
    tenor_days = forms.IntegerField(label=gettext_lazy("Order tenor (days)"), min_value=0, max_value=3660)
    refund_notice_days = forms.IntegerField(label=gettext_lazy("Refund notice (business days before maturity)"),
                                            min_value=0, max_value=365)
    allows_loan = forms.BooleanField(label=gettext_lazy("Funding by loan"), required=False, initial=True)
    allows_acceptance_bill = forms.BooleanField(label=gettext_lazy("Funding by bank acceptance bill"),
                                                required=False, initial=True)
    annual_rate = forms.DecimalField(label=gettext_lazy("Annual interest rate"), max_digits=7, decimal_places=6,
                                     help_text=gettext_lazy("A fraction: 0.045 for 4.5%."))
    refund_undertaking = forms.CharField(label=gettext_lazy("The core enterprise's refund undertaking"),
                                         required=False, widget=forms.Textarea, max_length=4000)
    start_date = forms.DateField(label=gettext_lazy("Start date"), widget=DateInput())
    end_date = forms.DateField(label=gettext_lazy("End date"), widget=DateInput())

    def __init__(self, *args, lender: Organization, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        clients = Organization.objects.filter(pk__in=lender_client_ids({lender.pk})).order_by("legal_name")
        if editing:
            del self.fields["seller"], self.fields["distributor"]
        else:
            with_facility = CreditFacility.objects.filter(lender=lender, product=Product.CONFIRMING,
                                                          state=CreditFacility.State.ACTIVE).values("obligor_id")
            self.fields["seller"].queryset = clients.filter(is_core=True, pk__in=with_facility)
            self.fields["distributor"].queryset = clients.filter(is_distributor=True, pk__in=with_facility)
        self.fields["warehouse"].queryset = clients.filter(is_warehouse=True)


def _next_year(day: datetime.date) -> datetime.date:
    return day.replace(year=day.year + 1, day=28) if (day.month, day.day) == (2, 29) else day.replace(year=day.year + 1)


DEFAULT_TERMS = {"form": ConfirmingAgreement.Form.THREE_PARTY, "margin_ratio": DEFAULT_MARGIN_RATIO,
                 "release_mode": ConfirmingAgreement.Mode.FULL, "tenor_days": 180,
                 "refund_notice_days": DEFAULT_REFUND_NOTICE_DAYS, "revolving": True, "allows_loan": True,
                 "allows_acceptance_bill": True}


# --- portal pages -----------------------------------------------------------------------------------

def _own_lender(user) -> Organization | None:
    lender_ids = sorted(user_lender_ids(user))
    return Organization.objects.get(pk=lender_ids[0]) if lender_ids else None


@login_required
def agreement_list_view(request):
    state = request.GET.get("state") or ""
    if state not in State.values:
        state = ""
    lender = _own_lender(request.user)
    return render(request, "confirming/agreement_list.html", {
        "agreements": agreement_list(user=request.user, state=state or None)[:300],
        "states": State.choices, "state": state,
        "can_prepare": lender is not None and permissions.can_prepare_agreement(request.user, lender),
    })


def _form_errors(form: forms.Form, error: Exception) -> None:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, field_messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_messages)
    else:
        apply_errors(form, error)


@login_required
def agreement_new(request):
    lender = _own_lender(request.user)
    if lender is None or not permissions.can_prepare_agreement(request.user, lender):
        raise Http404
    today = timezone.localdate()
    form = AgreementForm(request.POST or None, lender=lender,
                         initial={**DEFAULT_TERMS, "start_date": today, "end_date": _next_year(today)})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            agreement = services.agreement_create(lender=lender, seller=data.pop("seller"),
                                                  distributor=data.pop("distributor"), acting_user=request.user,
                                                  **data)
        except (ValidationError, DomainError) as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Agreement %(ref)s prepared.") % {"ref": agreement.reference})
            return redirect("confirming:agreement-detail", cw_agreement_pk=agreement.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "confirming/agreement_form.html", {"form": form, "agreement": None}, status=status)


@login_required
def agreement_edit(request, cw_agreement_pk: int):
    agreement = tenancy.get_visible_or_404(ConfirmingAgreement, request.user, pk=cw_agreement_pk)
    if not permissions.can_prepare_agreement(request.user, agreement.lender_id):
        raise Http404
    initial = {name: getattr(agreement, name) for name in services.TERM_FIELDS}
    form = AgreementForm(request.POST or None, lender=agreement.lender, editing=True,
                         initial={**initial, "warehouse": agreement.warehouse_id})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.agreement_update(agreement=agreement, acting_user=request.user, **data)
        except (ValidationError, DomainError) as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Agreement %(ref)s updated.") % {"ref": agreement.reference})
            return redirect("confirming:agreement-detail", cw_agreement_pk=agreement.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "confirming/agreement_form.html", {"form": form, "agreement": agreement}, status=status)


def sign_tasks_for(agreement: ConfirmingAgreement, user) -> list[Task]:
    """Return the open signing tasks of the agreement that this user may act on (for the sign links)."""
    process = process_for(agreement)
    if process is None:
        return []
    tasks = Task.objects.filter(process=process, status__in=OPEN,
                                flow_task__in=[getattr(process.flow_class, name) for name in SIGN_STEPS])
    return [task for task in tasks if can_act(user, task)]


def facilities_of(agreement: ConfirmingAgreement) -> list[dict]:
    """Return both facilities the agreement uses, with their headroom (for the lender's staff)."""
    return [{"role": role, "facility": facility, "headroom": facility.available_amount}
            for role, facility in ((_("Distributor's facility"), agreement.facility),
                                   (_("Core enterprise's guarantee line"), agreement.guarantee_facility))]


@login_required
def agreement_detail(request, cw_agreement_pk: int):
    agreement = tenancy.get_visible_or_404(ConfirmingAgreement, request.user, pk=cw_agreement_pk)
    user = request.user
    staff = is_staff_of(user, agreement.lender_id)
    preparer = permissions.can_prepare_agreement(user, agreement.lender_id)
    operations = permissions.can_close_agreement(user, agreement.lender_id)
    active = agreement.state == State.ACTIVE
    return render(request, "confirming/agreement_detail.html", {
        "agreement": agreement,
        "staff": staff,
        "progress": case_progress(agreement),
        "facilities": facilities_of(agreement) if staff else [],
        "documents": documents_visible_of(agreement, user=user),
        "documents_progress": documents_progress(agreement),
        "sign_tasks": sign_tasks_for(agreement, user),
        "decisions": (ApprovalDecision.objects.filter(case_id=agreement.approval_case_id).select_related("approver")
                      if agreement.approval_case_id and staff else []),
        "history": history_for(agreement),
        "can_edit": preparer and agreement.state in services.EDITABLE,
        "can_cancel": preparer and can_proceed(agreement.cancel),
        "can_close": operations and active,
        "closing_blockers": services.closing_blockers(agreement) if operations and active else [],
        **orders_context(user, agreement),
    })


def _action(request, cw_agreement_pk: int, act, done: str):
    """Run one POSTed action on a visible agreement, report it, go back to its page."""
    agreement = tenancy.get_visible_or_404(ConfirmingAgreement, request.user, pk=cw_agreement_pk)
    try:
        act(agreement)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done % {"ref": agreement.reference})
    return redirect("confirming:agreement-detail", cw_agreement_pk=agreement.pk)


@require_POST
@login_required
def agreement_submit_view(request, cw_agreement_pk: int):
    return _action(request, cw_agreement_pk, lambda agreement: services.agreement_submit(
        agreement=agreement, acting_user=request.user, note=request.POST.get("note", "")),
        _("%(ref)s sent to credit review."))


@require_POST
@login_required
def agreement_cancel_view(request, cw_agreement_pk: int):
    return _action(request, cw_agreement_pk, lambda agreement: services.agreement_cancel(
        agreement=agreement, acting_user=request.user, note=request.POST.get("note", "")),
        _("%(ref)s cancelled."))


@require_POST
@login_required
def agreement_close_view(request, cw_agreement_pk: int):
    return _action(request, cw_agreement_pk, lambda agreement: services.agreement_close(
        agreement=agreement, acting_user=request.user, note=request.POST.get("note", "")),
        _("%(ref)s closed."))


# --- task pages -------------------------------------------------------------------------------------

def review_task(request, task):
    agreement = case_object(task)
    return form_step(request, task, agreement, DecisionForm(request.POST or None),
                     "confirming/agreement_task_review.html",
                     lambda data: services.agreement_review_decide(agreement=agreement, approver=request.user,
                                                                   **data),
                     _("Your decision on %(ref)s was recorded."))


class ReviseForm(forms.Form):
    ACTIONS = [("resubmit", gettext_lazy("Resubmit")), ("cancel", gettext_lazy("Cancel the agreement"))]
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=ACTIONS, widget=forms.RadioSelect,
                               initial="resubmit")
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea, max_length=1000)


def revise_task(request, task):
    agreement = case_object(task)

    def act(data):
        if data["action"] == "cancel":
            services.agreement_cancel(agreement=agreement, acting_user=request.user, note=data["note"])
        else:
            services.agreement_submit(agreement=agreement, acting_user=request.user, note=data["note"])

    return form_step(request, task, agreement, ReviseForm(request.POST or None),
                     "confirming/agreement_task_revise.html", act, _("%(ref)s was updated."))


class CloseForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea, max_length=1000)


def close_task(request, task):
    agreement = case_object(task)
    return form_step(request, task, agreement, CloseForm(request.POST or None), "confirming/agreement_task_close.html",
                     lambda data: services.agreement_close(agreement=agreement, acting_user=request.user,
                                                           note=data["note"]),
                     _("%(ref)s closed."))
