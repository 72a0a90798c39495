"""The inbox: one list of everyone's tasks (staff and clients alike), and the task page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task

from scf.facilities.models import Product

from . import registry
from .assignment import can_act
from .selectors import OPEN_STATUSES, SORTS, InboxFilters, inbox_page


@login_required
def inbox(request):
    nodes = registry.human_nodes()
    node_refs = {_ref(node): node for node in nodes}
    filters = InboxFilters(
        flow_task=request.GET.get("task", "") if request.GET.get("task", "") in node_refs else "",
        product=request.GET.get("product", "") if request.GET.get("product", "") in Product.values else "",
        party=request.GET.get("party", "").strip()[:100],
        sort=request.GET.get("sort", "oldest") if request.GET.get("sort") in SORTS else "oldest",
    )
    page = inbox_page(request.user, filters, request.GET.get("after"))
    query = request.GET.copy()
    query.pop("after", None)
    return render(request, "inbox/list.html", {
        "page": page,
        "filters": filters,
        "task_choices": sorted({(ref, str(node.task_title)) for ref, node in node_refs.items()}, key=lambda c: c[1]),
        "product_choices": Product.choices,
        "sort_choices": [("oldest", _("Oldest first")), ("newest", _("Newest first")), ("due", _("Due soonest")),
                         ("amount", _("Largest amount"))],
        "query": query.urlencode(),
    })


def _ref(node) -> str:
    from viewflow.workflow.fields import get_task_ref

    return get_task_ref(node)


@login_required
def task_detail(request, task_pk: int):
    """Show an open task and its decision form; a task not yours answers 404, like another tenant's data."""
    task = Task.objects.select_related("process").filter(pk=task_pk, status__in=OPEN_STATUSES).first()
    if task is None or task.flow_task is None or not can_act(request.user, task):
        raise Http404
    return task.flow_task._view(request, task)
