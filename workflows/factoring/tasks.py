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


@shared_task(name="workflows.factoring.tasks.send_maturity_reminders_chunk")
def send_maturity_reminders_chunk(*, financing_ids: list[int], days: int) -> int:
    """Enqueue one chunk's maturity reminders, one mail task per financing (each retried on its own)."""
    for financing_id in financing_ids:
        send_maturity_reminder.delay(financing_id=financing_id, days=days)
    return len(financing_ids)


@shared_task(name="workflows.factoring.tasks.send_recourse_demands_chunk")
def send_recourse_demands_chunk(*, financing_ids: list[int]) -> int:
    """Enqueue one chunk's buy-back demands, one mail task per financing (each retried on its own)."""
    for financing_id in financing_ids:
        send_recourse_demand.delay(financing_id=financing_id)
    return len(financing_ids)
