"""Delivery reconciliation pages: the list (by month, agreement, with differences), one agreement's month, the
review by operations and the build on demand.

Each view parses its input, calls one service and renders; a refused call comes back with the errors in the
user's language and nothing changed. Another lender's reconciliation, or one of an agreement the user is no
party to, answers 404.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from documents.selectors import documents_visible_of
from scf.audit.services import history_for
from scf.core import tenancy
from scf.core.exceptions import DomainError
from scf.parties.permissions import is_staff_of
from scf.parties.selectors import user_lender_ids
from workflows.inbox.steps import case_object, render_step, step_done

from . import reconciliation as services
from .models import ConfirmingAgreement, DeliveryReconciliation
from .selectors import agreement_list


def _agreement_or_none(user, value) -> ConfirmingAgreement | None:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return tenancy.visible(ConfirmingAgreement, user).filter(pk=pk).first()


def _runnable_agreements(user):
    """Return the agreements the user may reconcile on demand: active or closed ones of the user's lenders."""
    if not getattr(user, "is_lender_staff", False) and not user.is_superuser:
        return ConfirmingAgreement.objects.none()
    agreements = agreement_list(user=user).filter(
        state__in=[ConfirmingAgreement.State.ACTIVE, ConfirmingAgreement.State.CLOSED])
    if not user.is_superuser:
        agreements = agreements.filter(lender_id__in=user_lender_ids(user))
    return [agreement for agreement in agreements[:200] if services.can_run_reconciliation(user, agreement)]


@login_required
@require_GET
def reconciliation_list_view(request):
    user = request.user
    errors = []
    try:
        period = services.parse_month(request.GET.get("month"))
    except ValidationError as error:
        period, errors = None, error.messages
    agreement = _agreement_or_none(user, request.GET.get("agreement"))
    differences = {"1": True, "0": False}.get(request.GET.get("differences", ""))
    state = request.GET.get("state") or None
    if state not in DeliveryReconciliation.State.values:
        state = None
    reconciliations = services.reconciliation_list(user=user, period=period, agreement=agreement,
                                                   with_differences=differences, state=state)
    return render(request, "confirming/reconciliation_list.html", {
        "reconciliations": reconciliations[:300],
        "month": f"{period:%Y-%m}" if period else "",
        "agreement": agreement,
        "agreements": agreement_list(user=user).filter(
            state__in=[ConfirmingAgreement.State.ACTIVE, ConfirmingAgreement.State.CLOSED])[:200],
        "differences": request.GET.get("differences", ""),
        "state": state or "",
        "states": DeliveryReconciliation.State.choices,
        "awaiting_review": services.reconciliation_list(
            user=user, with_differences=True, state=DeliveryReconciliation.State.OPEN).count(),
        "runnable": _runnable_agreements(user),
        "errors": errors,
    })


@login_required
@require_GET
def reconciliation_detail(request, cw_reconciliation_pk: int):
    reconciliation = tenancy.get_visible_or_404(DeliveryReconciliation, request.user, pk=cw_reconciliation_pk)
    agreement = reconciliation.agreement
    return render(request, "confirming/reconciliation_detail.html", {
        "reconciliation": reconciliation,
        "agreement": agreement,
        "lines": services.reconciliation_lines(reconciliation),
        "staff": is_staff_of(request.user, agreement.lender_id),
        "may_review": services.can_review_reconciliation(request.user, reconciliation),
        "may_rebuild": (reconciliation.state == DeliveryReconciliation.State.OPEN
                        and services.can_run_reconciliation(request.user, agreement)),
        "documents": documents_visible_of(reconciliation, user=request.user),
        "history": history_for(reconciliation),
    })


@login_required
@require_POST
def reconciliation_review_view(request, cw_reconciliation_pk: int):
    reconciliation = tenancy.get_visible_or_404(DeliveryReconciliation, request.user, pk=cw_reconciliation_pk)
    try:
        services.reconciliation_review(reconciliation=reconciliation, comment=request.POST.get("comment", ""),
                                       acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The reconciliation is marked reviewed."))
    return redirect("confirming:reconciliation-detail", cw_reconciliation_pk=reconciliation.pk)


@login_required
@require_POST
def reconciliation_run_view(request):
    """Build (or rebuild, while open) one agreement's reconciliation of a past month."""
    agreement = _agreement_or_none(request.user, request.POST.get("agreement"))
    if agreement is None:
        messages.error(request, _("Choose an agreement."))
        return redirect("confirming:reconciliation-list")
    try:
        period = services.parse_month(request.POST.get("month"))
        if period is None:
            raise ValidationError({"month": ValidationError(_("Enter a month as YYYY-MM."), code="required")})
        reconciliation, built = services.reconciliation_build(agreement=agreement, period=period,
                                                              acting_user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("confirming:reconciliation-list")
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("confirming:reconciliation-list")
    if built:
        messages.success(request, _("The reconciliation is built as the releases stood at the month's end."))
    else:
        messages.info(request, _("This reconciliation is already reviewed: it is kept as it was reviewed."))
    return redirect("confirming:reconciliation-detail", cw_reconciliation_pk=reconciliation.pk)


# --- the review task of the reconciliation's flow (operations' inbox) -------------------------------------------

class ReviewForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("Comment"), widget=forms.Textarea, required=False)


def reconciliation_case_context(user, reconciliation: DeliveryReconciliation) -> dict:
    """Return what the reconciliation's task page shows of it."""
    return {"reconciliation": reconciliation, "agreement": reconciliation.agreement,
            "lines": services.reconciliation_lines(reconciliation)}


def review_task(request, task):
    reconciliation = case_object(task)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reconciliation_review(reconciliation=reconciliation, comment=form.cleaned_data["comment"],
                                           acting_user=request.user)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            return step_done(request, _("The reconciliation of %(ref)s for %(month)s is marked reviewed.")
                             % {"ref": reconciliation.agreement.reference, "month": f"{reconciliation.period:%Y-%m}"})
    return render_step(request, task, "confirming/reconciliation_task_review.html", reconciliation,
                       400 if request.method == "POST" else 200, form=form,
                       **reconciliation_case_context(request.user, reconciliation))
