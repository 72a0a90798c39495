"""Confirming-warehouse mails, sent by Celery tasks after the change is committed."""

from celery import shared_task

from scf.core.tasks import MailTask

from .models import PurchaseOrder


@shared_task(base=MailTask, name="workflows.confirming.tasks.send_maturity_reminder")
def send_maturity_reminder(*, order_id: int, days: int) -> int:
    """Email one order's maturity reminder (`days` before maturity) to the distributor; retried on mail errors."""
    from .maturity import send_maturity_reminder as send

    order = PurchaseOrder.objects.select_related("agreement__distributor", "agreement__seller").get(pk=order_id)
    return send(order, days)
