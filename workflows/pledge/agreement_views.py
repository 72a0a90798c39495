"""Pledge agreement pages in the portal, and the task pages of the agreement's flow.

Each view parses its form, calls one service and renders; a refused call comes back with the
errors in the user's language and nothing changed.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
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
from scf.parties.selectors import user_lender_ids
from workflows.approval.models import ApprovalDecision
from workflows.inbox.assignment import can_act
from workflows.inbox.progress import case_progress
from workflows.inbox.services import OPEN, process_for
from workflows.inbox.steps import DecisionForm, apply_errors, case_object, form_step

from . import agreements as services
from . import drawdown_views, margin_call_views, permissions
from .models import PledgeAgreement, WarehouseApproval
from .selectors import agreement_list, disposal_list, loan_figures_visible, registration_of

State = PledgeAgreement.State


# --- forms ------------------------------------------------------------------------------------------

def _rate_field(label, help_text=""):
    return forms.DecimalField(label=label, max_digits=7, decimal_places=6, help_text=help_text)


class AgreementForm(forms.Form):
    """The terms of an agreement; the pledgor only when it is new (it cannot change afterwards)."""

    pledgor = forms.ModelChoiceField(label=gettext_lazy("Pledgor"), queryset=Organization.objects.none())
    warehouse = forms.ModelChoiceField(label=gettext_lazy("Warehouse / supervisor"),
                                       queryset=Organization.objects.none())
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=PledgeAgreement.Kind.choices,
                             initial=PledgeAgreement.Kind.DYNAMIC)
    maximum_amount = AmountField(label=gettext_lazy("Maximum amount secured"), max_digits=20,
                                        decimal_places=2)
    pledge_rate = _rate_field(gettext_lazy("Pledge rate"), gettext_lazy("A fraction: 0.60 for 60%."))
    warning_ltv = _rate_field(gettext_lazy("Warning line (LTV)"))
    call_ltv = _rate_field(gettext_lazy("Margin call line (LTV)"))
    liquidation_ltv = _rate_field(gettext_lazy("Liquidation line (LTV)"))
    cure_days = forms.IntegerField(label=gettext_lazy("Cure days (business days)"), min_value=0, max_value=365)
    price_max_age_days = forms.IntegerField(label=gettext_lazy("Price maximum age (days)"), min_value=0,
                                            max_value=365)
    floor_value_minimum = AmountField(label=gettext_lazy("Lender's minimum floor value"), max_digits=20,
                                             decimal_places=2, required=False,
                                             help_text=gettext_lazy("A dynamic pledge's floor is never below this."))
    annual_rate = _rate_field(gettext_lazy("Annual interest rate"), gettext_lazy("A fraction: 0.055 for 5.5%."))
    day_count = forms.ChoiceField(label=gettext_lazy("Day count"), choices=[("ACT/360", "ACT/360"),
                                                                             ("ACT/365", "ACT/365")])
    start_date = forms.DateField(label=gettext_lazy("Start date"), widget=DateInput())
    end_date = forms.DateField(label=gettext_lazy("End date"), widget=DateInput())

    def __init__(self, *args, lender: Organization, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["pledgor"]
        else:
            obligors = CreditFacility.objects.filter(lender=lender, product=Product.PLEDGE,
                                                     state=CreditFacility.State.ACTIVE).values("obligor_id")
            self.fields["pledgor"].queryset = Organization.objects.filter(pk__in=obligors).order_by("legal_name")
        approved = WarehouseApproval.objects.filter(lender=lender, is_active=True).values("warehouse_id")
        self.fields["warehouse"].queryset = Organization.objects.filter(pk__in=approved,
                                                                        is_warehouse=True).order_by("legal_name")


DEFAULT_TERMS = {"kind": "dynamic", "pledge_rate": Decimal("0.60"), "warning_ltv": Decimal("0.65"),
                 "call_ltv": Decimal("0.70"), "liquidation_ltv": Decimal("0.80"), "cure_days": 3,
                 "price_max_age_days": 5, "floor_value_minimum": Decimal("0.00"), "day_count": "ACT/360"}


class RegistrationForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Registration number"), max_length=80)
    registered_on = forms.DateField(label=gettext_lazy("Registered on"), widget=DateInput())
    expires_on = forms.DateField(label=gettext_lazy("Expires on"), widget=DateInput())
    evidence = forms.FileField(label=gettext_lazy("Registration certificate"),
                               help_text=gettext_lazy("PDF, PNG or JPEG."))


class DeregistrationForm(forms.Form):
    deregistered_on = forms.DateField(label=gettext_lazy("Deregistered on"), widget=DateInput())
    evidence = forms.FileField(label=gettext_lazy("Deregistration certificate"),
                               help_text=gettext_lazy("PDF, PNG or JPEG."))


class NoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Reason"), required=False, widget=forms.Textarea, max_length=1000)


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
    agreements = list(agreement_list(user=request.user, state=state or None)[:300])
    figures = loan_figures_visible(request.user, agreements)
    for agreement in agreements:
        # The stored valuation's zone and LTV only to whoever sees the loan figures.
        agreement.revalued = getattr(agreement, "stored_valuation", None) if agreement.pk in figures else None
    return render(request, "pledge/agreement_list.html", {
        "agreements": agreements,
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
    form = AgreementForm(request.POST or None, lender=lender, initial={
        **DEFAULT_TERMS, "start_date": today, "end_date": today.replace(year=today.year + 1)
        if not (today.month == 2 and today.day == 29) else today.replace(year=today.year + 1, day=28)})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            agreement = services.agreement_create(lender=lender, pledgor=data.pop("pledgor"),
                                                  warehouse=data.pop("warehouse"), acting_user=request.user, **data)
        except (ValidationError, DomainError) as error:
            _form_errors(form, error)
        else:
            messages.success(request, _("Agreement %(ref)s prepared.") % {"ref": agreement.reference})
            return redirect("pledge:agreement-detail", agreement_pk=agreement.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "pledge/agreement_form.html", {"form": form, "agreement": None}, status=status)


@login_required
def agreement_edit(request, agreement_pk: int):
    agreement = tenancy.get_visible_or_404(PledgeAgreement, request.user, pk=agreement_pk)
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
            return redirect("pledge:agreement-detail", agreement_pk=agreement.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "pledge/agreement_form.html", {"form": form, "agreement": agreement}, status=status)


def sign_tasks_for(agreement: PledgeAgreement, user) -> list[Task]:
    """Return the open signing tasks of the agreement that this user may act on (for the sign links)."""
    process = process_for(agreement)
    if process is None:
        return []
    tasks = Task.objects.filter(process=process, status__in=OPEN,
                                flow_task__in=[getattr(process.flow_class, name)
                                               for name in ("sign_pledgor", "sign_warehouse", "sign_lender")])
    return [task for task in tasks if can_act(user, task)]


@login_required
def agreement_detail(request, agreement_pk: int):
    agreement = tenancy.get_visible_or_404(PledgeAgreement, request.user, pk=agreement_pk)
    user = request.user
    staff = is_staff_of(user, agreement.lender_id)
    preparer = permissions.can_prepare_agreement(user, agreement.lender_id)
    operations = permissions.can_record_registration(user, agreement.lender_id)
    registration = registration_of(agreement)
    active = agreement.state == State.ACTIVE
    return render(request, "pledge/agreement_detail.html", {
        "agreement": agreement,
        "staff": staff,
        "progress": case_progress(agreement),
        "documents": documents_visible_of(agreement, user=user),
        "documents_progress": documents_progress(agreement),
        "sign_tasks": sign_tasks_for(agreement, user),
        "decisions": (ApprovalDecision.objects.filter(case_id=agreement.approval_case_id).select_related("approver")
                      if agreement.approval_case_id and staff else []),
        "history": history_for(agreement),
        "registration": registration,
        "today": timezone.localdate(),
        "registration_in_force": registration is not None and registration.in_force_on(timezone.localdate()),
        "can_edit": preparer and agreement.state in services.EDITABLE,
        "can_cancel": preparer and can_proceed(agreement.cancel),
        "registration_form": RegistrationForm() if operations and active and registration is None else None,
        "deregistration_form": DeregistrationForm() if operations and active and registration is not None
        and registration.deregistered_on is None else None,
        "can_close": operations and active,
        "closing_blockers": services.closing_blockers(agreement) if operations and active else [],
        **drawdown_views.loans_context(user, agreement),
        "disposals": disposal_list(user=user, agreement=agreement) if agreement.state in (
            State.DEFAULTED, State.CLOSED) else [],
        **margin_call_views.calls_card(user, agreement),
    })


def _action(request, agreement_pk: int, act, done: str):
    """Run one POSTed action on a visible agreement, report it, go back to its page."""
    agreement = tenancy.get_visible_or_404(PledgeAgreement, request.user, pk=agreement_pk)
    try:
        act(agreement)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done % {"ref": agreement.reference})
    return redirect("pledge:agreement-detail", agreement_pk=agreement.pk)


@require_POST
@login_required
def agreement_submit_view(request, agreement_pk: int):
    return _action(request, agreement_pk, lambda agreement: services.agreement_submit(
        agreement=agreement, acting_user=request.user, note=request.POST.get("note", "")),
        _("%(ref)s sent to credit review."))


@require_POST
@login_required
def agreement_cancel_view(request, agreement_pk: int):
    return _action(request, agreement_pk, lambda agreement: services.agreement_cancel(
        agreement=agreement, acting_user=request.user, note=request.POST.get("note", "")),
        _("%(ref)s cancelled."))


@require_POST
@login_required
def agreement_close_view(request, agreement_pk: int):
    return _action(request, agreement_pk, lambda agreement: services.agreement_close(
        agreement=agreement, acting_user=request.user, note=request.POST.get("note", "")),
        _("%(ref)s closed."))


@require_POST
@login_required
def registration_record_view(request, agreement_pk: int):
    def act(agreement):
        form = RegistrationForm(request.POST, request.FILES)
        if not form.is_valid():
            raise ValidationError(form.errors.as_data().get("__all__", []) or [
                f"{form.fields[name].label}: {' '.join(str(m) for e in errors for m in e.messages)}"
                for name, errors in form.errors.as_data().items()])
        services.registration_record(agreement=agreement, acting_user=request.user, **form.cleaned_data)

    return _action(request, agreement_pk, act, _("The registration of %(ref)s is recorded."))


@require_POST
@login_required
def registration_deregister_view(request, agreement_pk: int):
    def act(agreement):
        form = DeregistrationForm(request.POST, request.FILES)
        if not form.is_valid():
            raise ValidationError([
                f"{form.fields[name].label}: {' '.join(str(m) for e in errors for m in e.messages)}"
                for name, errors in form.errors.as_data().items()])
        services.registration_deregister(agreement=agreement, acting_user=request.user, **form.cleaned_data)

    return _action(request, agreement_pk, act, _("The registration of %(ref)s is cancelled."))


# --- task pages -------------------------------------------------------------------------------------

def review_task(request, task):
    agreement = case_object(task)
    return form_step(request, task, agreement, DecisionForm(request.POST or None), "pledge/agreement_task_review.html",
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

    return form_step(request, task, agreement, ReviseForm(request.POST or None), "pledge/agreement_task_revise.html",
                     act, _("%(ref)s was updated."))


def register_task(request, task):
    agreement = case_object(task)
    form = RegistrationForm(request.POST or None, request.FILES or None)
    return form_step(request, task, agreement, form, "pledge/agreement_task_register.html",
                     lambda data: services.registration_record(agreement=agreement, acting_user=request.user, **data),
                     _("The registration of %(ref)s is recorded."))


class CloseForm(forms.Form):
    deregistered_on = forms.DateField(label=gettext_lazy("Deregistered on"), widget=DateInput(), required=False)
    evidence = forms.FileField(label=gettext_lazy("Deregistration certificate"), required=False,
                               help_text=gettext_lazy("PDF, PNG or JPEG."))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea, max_length=1000)


def close_task(request, task):
    agreement = case_object(task)
    registration = registration_of(agreement)
    form = CloseForm(request.POST or None, request.FILES or None)
    if registration is None or registration.deregistered_on is not None:
        del form.fields["deregistered_on"], form.fields["evidence"]

    def act(data):
        with transaction.atomic():  # deregistered and closed together, or neither
            if "evidence" in form.fields:
                services.registration_deregister(agreement=agreement, acting_user=request.user,
                                                 deregistered_on=data["deregistered_on"], evidence=data["evidence"])
            services.agreement_close(agreement=agreement, acting_user=request.user, note=data["note"])

    return form_step(request, task, agreement, form, "pledge/agreement_task_close.html", act,
                     _("%(ref)s closed."))


@require_POST
@login_required
def agreement_wind_up_view(request, agreement_pk: int):
    def act(agreement):
        if not services.agreement_wind_up(agreement=agreement, acting_user=request.user):
            raise ValidationError(_("The agreement has no registration task done yet: record the registration "
                                    "first, or close it directly."))

    return _action(request, agreement_pk, act, _("The closing task of %(ref)s is open."))
