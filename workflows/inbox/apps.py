from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "workflows.inbox"
    label = "inbox"
    verbose_name = _("Tasks")

    def ready(self) -> None:
        from django.db.models.signals import post_save
        from viewflow.workflow.models import Task

        from scf.core import jobs

        from . import (
            attachments,  # noqa: F401  (registers the visibility rules of attachments and requests)
            notifications,
        )

        # Every product's flow creates its tasks through viewflow: one hook tells their takers.
        post_save.connect(notifications.task_saved, sender=Task, dispatch_uid="inbox.task_announce")
        jobs.register_daily("inbox.escalate_overdue_tasks", notifications.tasks_escalate, order=900)
