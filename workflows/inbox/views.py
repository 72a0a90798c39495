"""The inbox: one list of everyone's tasks (staff and clients alike), and the task page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.models import Task

from scf.core import tenancy
from scf.facilities.models import Product

from . import registry
from .assignment import can_act
from .models import CaseAttachment
from .selectors import OPEN_STATUSES, SORTS, InboxFilters, inbox_page


@login_required
def inbox(request):
    nodes = registry.human_nodes()
    node_refs = {_ref(node): node for node in nodes}
    filters = InboxFilters(
        flow_task=request.GET.get("task", "") if request.GET.get("task", "") in node_refs else "",
        product=request.GET.get("product", "") if request.GET.get("product", "") in Product.values else "",
        party=request.GET.get("party", "").strip()[:100],
        sort=request.GET.get("sort") if request.GET.get("sort") in SORTS else "deadline",
    )
    page = inbox_page(request.user, filters, request.GET.get("after"))
    query = request.GET.copy()
    query.pop("after", None)
    return render(request, "inbox/list.html", {
        "page": page,
        "filters": filters,
        "task_choices": sorted({(ref, str(node.task_title)) for ref, node in node_refs.items()}, key=lambda c: c[1]),
        "product_choices": Product.choices,
        "sort_choices": [("deadline", _("Deadline, overdue first")), ("oldest", _("Oldest first")),
                         ("newest", _("Newest first")), ("due", _("Due soonest")),
                         ("amount", _("Largest amount"))],
        "query": query.urlencode(),
    })


def _ref(node) -> str:
    return get_task_ref(node)


@login_required
def task_detail(request, task_pk: int):
    """Show an open task and its decision form; a task not yours answers 404, like another tenant's data.

    A task already done (in another tab, or by a colleague) sends the people it was meant for back
    to their inbox with who did it and when, rather than a bare 404.
    """
    task = Task.objects.select_related("process", "owner").filter(pk=task_pk).first()
    if task is None or task.flow_task is None:
        raise Http404
    if task.status in OPEN_STATUSES:
        if not can_act(request.user, task):
            raise Http404
        return task.flow_task._view(request, task)
    if not (task.owner_id == request.user.pk or can_act(request.user, task, as_assignee=False)):
        raise Http404
    if task.status == "DONE" and task.owner is not None:
        messages.info(request, _("“%(task)s” on %(case)s was already done by %(user)s on %(at)s.") % {
            "task": task.flow_task.task_title, "case": task.process.coerced.reference,
            # The person's name, as the header shows it, and the moment as the reader's language writes it.
            "user": task.owner.get_full_name() or task.owner.get_username(),
            "at": date_format(localtime(task.finished), "DATETIME_FORMAT")})
    else:
        messages.info(request, _("“%(task)s” on %(case)s is no longer open.") % {
            "task": task.flow_task.task_title, "case": task.process.coerced.reference})
    return redirect("inbox:list")


@login_required
def attachment_download(request, attachment_pk: int):
    """A file attached to a case, to the party that attached it and the lender's staff; 404 to anyone else."""
    attachment = tenancy.get_visible_or_404(CaseAttachment, request.user, pk=attachment_pk)
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type, as_attachment=True,
                            filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
