"""The notifications page, opening a notification, marking read, and the e-mail settings.

A notification is its recipient's only: anyone else's answers 404, whoever they are.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from viewflow.workflow.fields import get_task_ref

from . import registry
from .models import EmailOptOut, Notification
from .notifications import ESCALATION_KIND, email_preferences_set, notification_mark_read, notifications_mark_all_read

PAGE_SIZE = 30


def _own(request, notification_pk: int) -> Notification:
    return get_object_or_404(Notification, pk=notification_pk, recipient=request.user)


@login_required
def notification_list(request):
    notifications = (Notification.objects.filter(recipient=request.user)
                     .select_related("task__process__caseprocess").order_by("-id"))
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inbox/notifications.html", {"page": page})


@login_required
def notification_open(request, notification_pk: int):
    """Mark the notification read and open its task (the task page says if it is already done)."""
    notification = _own(request, notification_pk)
    notification_mark_read(notification=notification)
    return redirect("inbox:task", task_pk=notification.task_id)


@login_required
@require_POST
def notification_read(request, notification_pk: int):
    notification_mark_read(notification=_own(request, notification_pk))
    return redirect("inbox:notifications")


@login_required
@require_POST
def notification_read_all(request):
    count = notifications_mark_all_read(user=request.user)
    messages.success(request, _("%(count)d notifications marked read.") % {"count": count})
    return redirect("inbox:notifications")


def _kinds() -> list[tuple[str, str]]:
    steps = {get_task_ref(node): str(node.task_title) for node in registry.human_nodes()}
    return [(ESCALATION_KIND, _("Overdue tasks escalated to me")),
            *sorted(steps.items(), key=lambda item: item[1])]


@login_required
def notification_settings(request):
    """E-mail on or off for each kind of step (and for escalations); the in-app notifications stay."""
    kinds = _kinds()
    if request.method == "POST":
        known = {kind for kind, _label in kinds}
        wanted = set(request.POST.getlist("email"))
        email_preferences_set(user=request.user, off=known - wanted, known=known)
        messages.success(request, _("Your e-mail settings are saved."))
        return redirect("inbox:notification-settings")
    off = set(EmailOptOut.objects.filter(user=request.user).values_list("kind", flat=True))
    return render(request, "inbox/notification_settings.html",
                  {"kinds": [(kind, label, kind not in off) for kind, label in kinds]})
