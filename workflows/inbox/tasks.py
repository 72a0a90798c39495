from celery import shared_task

from scf.core.tasks import MailTask

from . import mail


@shared_task(base=MailTask, name="workflows.inbox.tasks.send_notification")
def send_notification(*, notification_id: int) -> bool:
    """E-mail one notification (retried on mail errors; the row stays pending until it is sent)."""
    return mail.notification_email_send(notification_id=notification_id)


@shared_task(base=MailTask, bind=True, name="workflows.inbox.tasks.send_notifications")
def send_notifications(self, *, notification_ids: list[int], messages: list[list] | None = None) -> int:
    """E-mail the notifications one transaction wrote, over one connection (retried on mail errors; a row stays
    pending until it is sent). The first attempt sends the e-mails the transaction composed; a retry reads the
    rows still pending, so that nothing sent already goes twice."""
    return mail.notification_emails_send(notification_ids=notification_ids,
                                         messages=None if self.request.retries else messages)


@shared_task(name="workflows.inbox.tasks.send_pending_notifications")
def send_pending_notifications() -> int:
    """Send the notification e-mails still pending (beat runs this every few minutes)."""
    return mail.notifications_resend()
