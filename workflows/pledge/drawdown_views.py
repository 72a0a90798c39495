"""Loan (drawdown) pages in the portal, and the task pages of a drawdown's flow.

Each view parses its form, calls one service and renders; a refused call comes back with the
errors in the user's language and nothing changed.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_fsm import can_proceed
from viewflow.workflow.models import Task

from documents.selectors import documents_visible_of
from scf.audit.services import history_for
from scf.core import tenancy
from scf.core.exceptions import DomainError
from scf.core.forms import AmountField
from scf.core.widgets import DateInput
from scf.parties.permissions import is_staff_of
from workflows.approval.models import ApprovalDecision
from workflows.inbox.assignment import can_act
from workflows.inbox.progress import case_progress
from workflows.inbox.services import OPEN, process_for
from workflows.inbox.steps import ConfirmForm, DecisionForm, apply_errors, case_object, form_step

from . import drawdowns as services
from . import permissions
from .models import PledgeAgreement, PledgeDrawdown
from .money_releases import drawdown_disbursement_prepare
from .selectors import drawdown_list

PREPARED = gettext_lazy("Disbursement of %(ref)s prepared: a second operations user releases it on the Releases "
                        "page.")

State = PledgeDrawdown.State


def availability_for(user, agreement: PledgeAgreement) -> services.Availability | None:
    """Return what may be drawn now under an active agreement, for the lender's staff and the pledgor only."""
    if agreement.state != PledgeAgreement.State.ACTIVE or not permissions.can_see_loan_figures(user, agreement):
        return None
    return services.drawdown_availability(agreement)


class DrawdownRequestForm(forms.Form):
    amount = AmountField(label=gettext_lazy("Amount"), max_digits=20, decimal_places=2,
                                min_value=Decimal("0.01"))
    maturity_date = forms.DateField(label=gettext_lazy("Maturity date"), widget=DateInput(), required=False,
                                    help_text=gettext_lazy("By default the day the agreement ends."))


def loans_context(user, agreement: PledgeAgreement) -> dict:
    """Return the agreement page's Loans card: what may be drawn, the loans, the request form (pledgor)."""
    if not permissions.can_see_loan_figures(user, agreement):
        return {"loans_visible": False}
    may_request = agreement.state == PledgeAgreement.State.ACTIVE and permissions.can_request_drawdown(user, agreement)
    return {
        "loans_visible": True,
        "availability": availability_for(user, agreement),
        "drawdowns": drawdown_list(user=user, agreement=agreement)[:200],
        "request_form": DrawdownRequestForm() if may_request else None,
    }


def _loan_agreement(user, agreement_pk: int) -> PledgeAgreement:
    """Return the agreement whose loans the user sees (lender staff, pledgor), or 404 (the warehouse too)."""
    agreement = tenancy.get_visible_or_404(PledgeAgreement, user, pk=agreement_pk)
    if not permissions.can_see_loan_figures(user, agreement):
        raise Http404
    return agreement


@login_required
def drawdown_request_view(request, agreement_pk: int):
    """Ask for a loan under the agreement (the pledgor's operator); refusals come back on the form."""
    agreement = _loan_agreement(request.user, agreement_pk)
    if not permissions.can_request_drawdown(request.user, agreement):
        raise Http404
    form = DrawdownRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            drawdown = services.drawdown_request(agreement=agreement, amount=form.cleaned_data["amount"],
                                                 maturity_date=form.cleaned_data["maturity_date"] or None,
                                                 acting_user=request.user)
        except (ValidationError, DomainError) as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Loan %(ref)s requested: it goes to the lender's credit review.")
                             % {"ref": drawdown.reference})
            return redirect("pledge:drawdown-detail", drawdown_pk=drawdown.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "pledge/drawdown_request.html", {
        "agreement": agreement, "form": form, "availability": availability_for(request.user, agreement),
    }, status=status)


def _open_tasks_for(drawdown: PledgeDrawdown, user) -> list[Task]:
    process = process_for(drawdown)
    if process is None:
        return []
    return [task for task in Task.objects.filter(process=process, status__in=OPEN) if can_act(user, task)]


def _documents(drawdown: PledgeDrawdown, repayments, user) -> list:
    found = list(documents_visible_of(drawdown, user=user))
    for repayment in repayments:
        found += list(documents_visible_of(repayment, user=user))
    return found


@login_required
def drawdown_detail(request, drawdown_pk: int):
    drawdown = (tenancy.visible(PledgeDrawdown, request.user)
                .select_related("agreement__lender", "agreement__pledgor", "agreement__facility", "requested_by",
                                "approval_case").filter(pk=drawdown_pk).first())
    if drawdown is None:
        raise Http404
    agreement = drawdown.agreement
    user = request.user
    staff = is_staff_of(user, agreement.lender_id)
    repayments = list(drawdown.repayments.all())
    return render(request, "pledge/drawdown_detail.html", {
        "drawdown": drawdown, "agreement": agreement, "staff": staff,
        "repayments": repayments,
        "documents": _documents(drawdown, repayments, user),
        "decisions": (ApprovalDecision.objects.filter(case_id=drawdown.approval_case_id).select_related("approver")
                      if drawdown.approval_case_id and staff else []),
        "history": history_for(drawdown),
        "progress": case_progress(drawdown),
        "tasks": _open_tasks_for(drawdown, user),
        "can_withdraw": can_proceed(drawdown.withdraw) and permissions.can_request_drawdown(user, agreement),
        "can_disburse": drawdown.state == State.APPROVED and permissions.can_disburse_drawdown(user, agreement),
    })


def _action(request, drawdown_pk: int, act, done: str):
    """Run one POSTed action on a visible drawdown, report it, go back to its page."""
    drawdown = tenancy.get_visible_or_404(PledgeDrawdown, request.user, pk=drawdown_pk)
    try:
        act(drawdown)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done % {"ref": drawdown.reference})
    return redirect("pledge:drawdown-detail", drawdown_pk=drawdown.pk)


@require_POST
@login_required
def drawdown_withdraw_view(request, drawdown_pk: int):
    return _action(request, drawdown_pk, lambda drawdown: services.drawdown_withdraw(
        drawdown=drawdown, acting_user=request.user, note=request.POST.get("note", "")),
        _("%(ref)s withdrawn: its reservation went back to the facility."))


@require_POST
@login_required
def drawdown_disburse_view(request, drawdown_pk: int):
    return _action(request, drawdown_pk, lambda drawdown: drawdown_disbursement_prepare(
        drawdown=drawdown, acting_user=request.user), PREPARED)


# --- task pages -------------------------------------------------------------------------------------

def review_task(request, task):
    drawdown = case_object(task)
    return form_step(request, task, drawdown, DecisionForm(request.POST or None),
                     "pledge/drawdown_task_review.html",
                     lambda data: services.drawdown_decide(drawdown=drawdown, approver=request.user, **data),
                     _("Your decision on %(ref)s was recorded."))


class ReviseForm(forms.Form):
    ACTIONS = [("resubmit", gettext_lazy("Resubmit")), ("withdraw", gettext_lazy("Withdraw the request"))]
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=ACTIONS, widget=forms.RadioSelect,
                               initial="resubmit")
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea, max_length=1000)


def revise_task(request, task):
    drawdown = case_object(task)

    def act(data):
        if data["action"] == "withdraw":
            services.drawdown_withdraw(drawdown=drawdown, acting_user=request.user, note=data["note"])
        else:
            services.drawdown_resubmit(drawdown=drawdown, acting_user=request.user, note=data["note"])

    # The pledgor reads why its request came back; the rest of the review stays the lender's.
    returned = (ApprovalDecision.objects.filter(case_id=drawdown.approval_case_id,
                                                decision=ApprovalDecision.Decision.RETURN).order_by("-pk").first())
    return form_step(request, task, drawdown, ReviseForm(request.POST or None), "pledge/drawdown_task_revise.html",
                     act, _("%(ref)s was updated."), return_comment=returned.comment if returned else "")


def disburse_task(request, task):
    drawdown = case_object(task)
    return form_step(request, task, drawdown, ConfirmForm(request.POST or None), "pledge/drawdown_task_disburse.html",
                     lambda data: drawdown_disbursement_prepare(drawdown=drawdown, acting_user=request.user),
                     PREPARED)
