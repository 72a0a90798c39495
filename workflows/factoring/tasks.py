from celery import shared_task

from scf.core.tasks import MailTask

from . import notifications
from .models import FactoringFinancing


@shared_task(base=MailTask, name="workflows.factoring.tasks.send_maturity_reminder")
def send_maturity_reminder(*, financing_id: int, days: int) -> int:
    """Email one financing's maturity reminder (`days` before the due date); retried on mail errors."""
    financing = FactoringFinancing.objects.select_related("supplier", "debtor", "lender").get(pk=financing_id)
    return notifications.send_maturity_reminder(financing, days)


@shared_task(base=MailTask, name="workflows.factoring.tasks.send_recourse_demand")
def send_recourse_demand(*, financing_id: int) -> int:
    """Email one financing's buy-back demand to its supplier; retried on mail errors."""
    financing = FactoringFinancing.objects.select_related("supplier").get(pk=financing_id)
    return notifications.send_recourse_demand(financing)
