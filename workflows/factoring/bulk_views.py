"""Answering many tasks at once: the debtor's confirmations, a credit officer's approvals of small cases.

Each list holds the tasks of one step waiting for the user (the inbox's assignment rule). A POST
names tasks by id; a task the user could never act on (another organization's, another lender's)
answers 404, as its page would. The chosen requests are confirmed in full by one service call,
all or none (`services.financings_confirm_in_full`, `services.financings_approve_many`).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from viewflow.workflow.models import Task

from workflows.inbox.assignment import actor_q
from workflows.inbox.selectors import open_tasks

from . import services
from .exceptions import BulkApprovalRefused, BulkConfirmationRefused
from .flows import FactoringFlow
from .models import FactoringFinancing, Receivable


def _rows(tasks: list[Task]) -> list[dict]:
    """Each task with its financing and the invoices awaiting an answer (three queries in all)."""
    pending = Receivable.objects.filter(state=Receivable.State.SUBMITTED).order_by("due_date", "invoice_number")
    financings = (FactoringFinancing.objects.filter(pk__in=[int(t.process.artifact_object_id) for t in tasks])
                  .select_related("supplier", "debtor")
                  .prefetch_related(Prefetch("receivables", queryset=pending, to_attr="pending")))
    by_pk = {f.pk: f for f in financings}
    rows = []
    for task in tasks:
        financing = by_pk.get(int(task.process.artifact_object_id))
        if financing is not None:
            rows.append({"task": task, "financing": financing,
                         "total": sum((r.face_amount for r in financing.pending), start=0)})
    return rows


def _chosen_financings(request, node) -> list[FactoringFinancing] | None:
    """Return the financings of the tasks ticked in the POST; None when none is; 404 for a task not the user's."""
    try:
        ids = sorted({int(value) for value in request.POST.getlist("task")})
    except ValueError:
        raise Http404 from None
    if not ids:
        return None
    tasks = list(Task.objects.filter(actor_q(request.user), flow_task=node, pk__in=ids).select_related("process"))
    if len(tasks) != len(ids):
        raise Http404  # another organization's or another lender's task: as if it did not exist
    return list(FactoringFinancing.objects.filter(pk__in=[int(t.process.artifact_object_id) for t in tasks]))


def _refused(request, error: BulkConfirmationRefused) -> None:
    messages.error(request, " ".join([error.message] + [_("%(ref)s: %(reason)s") % {"ref": ref, "reason": reason}
                                                        for ref, reason in error.refusals]))


def _open_rows(request, node) -> list[dict]:
    return _rows(list(open_tasks(request.user).filter(flow_task=node).select_related("process")
                      .order_by("created", "pk")))


@login_required
def confirm_many(request):
    """List the confirmation requests waiting for the user; confirm the ticked ones in full."""
    if request.method == "POST":
        financings = _chosen_financings(request, FactoringFlow.confirm)
        if not financings:
            messages.error(request, _("Tick at least one request to confirm."))
            return redirect("factoring:confirm-many")
        try:
            services.financings_confirm_in_full(financings=financings, acting_user=request.user)
        except BulkConfirmationRefused as error:
            _refused(request, error)
            return redirect("factoring:confirm-many")
        messages.success(request, ngettext(
            "%(count)d request confirmed in full: %(refs)s.", "%(count)d requests confirmed in full: %(refs)s.",
            len(financings)) % {"count": len(financings), "refs": ", ".join(sorted(f.reference for f in financings))})
        return redirect("factoring:confirm-many")
    return render(request, "factoring/confirm_many.html", {"rows": _open_rows(request, FactoringFlow.confirm)})


@login_required
def approve_many(request):
    """List the credit reviews waiting for the user; approve the ticked ones (each as on its own page)."""
    if request.method == "POST":
        financings = _chosen_financings(request, FactoringFlow.review)
        if not financings:
            messages.error(request, _("Tick at least one request to approve."))
            return redirect("factoring:approve-many")
        try:
            services.financings_approve_many(financings=financings, approver=request.user)
        except BulkApprovalRefused as error:
            _refused(request, error)
            return redirect("factoring:approve-many")
        messages.success(request, ngettext(
            "%(count)d request approved: %(refs)s.", "%(count)d requests approved: %(refs)s.",
            len(financings)) % {"count": len(financings), "refs": ", ".join(sorted(f.reference for f in financings))})
        return redirect("factoring:approve-many")
    rows = _open_rows(request, FactoringFlow.review)
    # Smallest first: the many small cases an officer approves together.
    rows.sort(key=lambda row: (row["financing"].advance_amount, row["financing"].pk))
    return render(request, "factoring/approve_many.html", {"rows": rows})
