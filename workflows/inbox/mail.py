"""The e-mail of a notification, in the recipient's language, and its sending (state kept on the row)."""

from __future__ import annotations

import datetime
import logging
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Notification

logger = logging.getLogger(__name__)

MAIL_ERRORS = (SMTPException, OSError)
RESEND_BATCH = 500


def _message(notification: Notification) -> EmailMessage:
    task, user = notification.task, notification.recipient
    case = getattr(task.process, "caseprocess", None)
    reference = case.reference if case is not None else ""
    link = settings.PORTAL_URL.rstrip("/") + reverse("inbox:notification-open", kwargs={"notification_pk": notification.pk})
    deadline = getattr(getattr(task, "deadline", None), "due_on", None)
    with translation.override(user.preferred_language):
        values = {"task": str(task.flow_task.task_title), "case": reference,
                  "name": user.get_full_name() or user.get_username()}
        if notification.kind == Notification.Kind.ESCALATION:
            subject = _("Overdue: %(task)s · %(case)s") % values
            lines = [_("Dear %(name)s,") % values,
                     _("“%(task)s” on %(case)s is past its deadline and has not been done.") % values]
        else:
            subject = _("New task: %(task)s · %(case)s") % values
            lines = [_("Dear %(name)s,") % values, _("“%(task)s” on %(case)s is waiting for you.") % values]
        if deadline is not None:
            lines.append(_("Deadline: %(date)s") % {"date": deadline.isoformat()})
        lines += [_("Open the task: %(link)s") % {"link": link}, "",
                  _("You can turn these e-mails off in your notification settings.")]
    return EmailMessage(subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, [user.email])


def notification_email_send(*, notification_id: int) -> bool:
    """Send a pending notification's e-mail and mark it sent; return whether one was sent.

    A mail error is recorded on the row (attempts, last error) and raised, so that the Celery
    task retries; the row stays pending until a send succeeds. Sent or not wanted: nothing to do.
    """
    try:
        with transaction.atomic():
            notification = (Notification.objects.select_for_update(of=("self",))
                            .select_related("recipient", "task__process__caseprocess", "task__deadline")
                            .filter(pk=notification_id, email=Notification.Email.PENDING).first())
            if notification is None:
                return False
            _message(notification).send()
            Notification.objects.filter(pk=notification_id).update(
                email=Notification.Email.SENT, email_sent_at=timezone.now(),
                email_attempts=F("email_attempts") + 1, email_error="")
        return True
    except MAIL_ERRORS as error:
        Notification.objects.filter(pk=notification_id).update(email_attempts=F("email_attempts") + 1,
                                                               email_error=repr(error)[:300])
        raise


def notifications_resend(on: datetime.date | None = None) -> int:
    """Send the e-mails still pending (their task gave up, or the worker was down); return how many went.

    Stops at the first mail error: the server is still failing, and the rows stay pending for the
    next run. Beat runs it every five minutes (`inbox.tasks.send_pending_notifications`).
    """
    sent = 0
    pending = list(Notification.objects.filter(email=Notification.Email.PENDING).order_by("pk")
                   .values_list("pk", flat=True)[:RESEND_BATCH])
    for pk in pending:
        try:
            sent += notification_email_send(notification_id=pk)
        except MAIL_ERRORS:
            logger.warning("Notification e-mails still failing; %d left pending.", len(pending) - sent)
            break
    return sent
