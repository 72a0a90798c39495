"""The e-mail of a notification, in the recipient's language, and its sending (state kept on the row)."""

from __future__ import annotations

import datetime
import logging
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection as db_connection
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Notification

logger = logging.getLogger(__name__)

MAIL_ERRORS = (SMTPException, OSError)
RESEND_BATCH = 500
# A new row's own task sends it within moments; the resend job takes the rows older than this.
RESEND_GRACE = datetime.timedelta(minutes=10)
# A worker sends a batch within this, or it died: the resend job takes its claimed rows again.
CLAIM_LEASE = datetime.timedelta(minutes=15)


def _message(notification: Notification) -> EmailMessage:
    task, user = notification.task, notification.recipient
    case = getattr(task.process, "caseprocess", None)
    subject, body = message_text(
        notification_pk=notification.pk, kind=notification.kind, task=task,
        reference=case.reference if case is not None else "",
        deadline=getattr(getattr(task, "deadline", None), "due_on", None),
        language=user.preferred_language, name=user.get_full_name() or user.get_username())
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def message_text(*, notification_pk: int, kind: str, task, reference: str, deadline: datetime.date | None,
                 language: str, name: str) -> tuple[str, str]:
    """The subject and body of a notification's e-mail, in the recipient's language."""
    link = settings.PORTAL_URL.rstrip("/") + reverse("inbox:notification-open", kwargs={"notification_pk": notification_pk})
    with translation.override(language):
        values = {"task": str(task.flow_task.task_title), "case": reference, "name": name}
        if kind == Notification.Kind.ESCALATION:
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
    return subject, "\n".join(lines)


def notification_email_send(*, notification_id: int) -> bool:
    """Send one pending notification's e-mail and mark it sent; return whether one was sent."""
    return notification_emails_send(notification_ids=[notification_id]) == 1


def notification_emails_send(*, notification_ids: list[int], messages: list[list] | None = None) -> int:
    """Send the e-mails of these notifications still pending, over one connection; return how many went.

    The after-commit task of the transaction that wrote them calls this. The rows still pending are claimed first,
    in one statement (`_claim`): whoever claims a row sends it, so the task, its retries and the resend job never
    send one row twice, and no lock is held while the mail server answers. Each sent one is then marked sent and a
    failed one given back, pending, with its attempt and last error, one statement for each; a mail error is raised
    once the others were tried, so that the Celery task retries the ones still pending. Sent, not wanted or claimed
    by another worker: nothing to do.

    `messages` are the e-mails of new tasks' notifications as the transaction that wrote them composed them
    ([id, address, subject, body]): those are sent as they are, without reading their rows (two statements a
    batch: the claim and the mark). A retry passes none: it reads the rows it claims.

    Delivery is at least once: a worker that dies between claiming and marking leaves its rows claimed, and the
    resend job takes them again once `CLAIM_LEASE` has passed.
    """
    claimed = _claim(notification_ids)
    if not claimed:
        return 0
    composed = {pk: EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
                for pk, address, subject, body in messages or () if pk in claimed}
    rest = [pk for pk in claimed if pk not in composed]
    rows = list(_with_message_reads(Notification.objects.filter(pk__in=rest)).order_by("pk")) if rest else []
    return _send_and_mark([*composed.items(), *((notification.pk, _message(notification)) for notification in rows)])


def _with_message_reads(notifications):
    return notifications.select_related("recipient", "task__process__caseprocess", "task__deadline")


def _claim(notification_ids: list[int], *, stale_before: datetime.datetime | None = None) -> set[int]:
    """Claim these notifications' e-mails for sending, those still pending (and, with `stale_before`, those claimed
    before it by a worker that never said how it went); return the ids claimed, in one statement.

    Two claimants of one row are serialised by its row lock, and the second finds it claimed: it is not its own.
    """
    if not notification_ids:
        return set()
    table = db_connection.ops.quote_name(Notification._meta.db_table)
    now = timezone.now()
    marks = ", ".join(["%s"] * len(notification_ids))
    stale = " OR (email = %s AND email_claimed_at < %s)" if stale_before is not None else ""
    params = [Notification.Email.SENDING, now, *notification_ids, Notification.Email.PENDING]
    if stale_before is not None:
        params += [Notification.Email.SENDING, stale_before]
    with db_connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET email = %s, email_claimed_at = %s WHERE id IN ({marks}) "
                       f"AND (email = %s{stale}) RETURNING id", params)
        return {pk for (pk,) in cursor.fetchall()}


def _send_and_mark(mails: list[tuple[int, EmailMessage]]) -> int:
    """Send these claimed notifications' e-mails over one connection, mark the sent ones and give the failed back."""
    if not mails:
        return 0
    sent: list[int] = []
    failed: dict[str, list[int]] = {}
    first_error: Exception | None = None
    connection = get_connection()
    try:
        connection.open()
    except MAIL_ERRORS as error:
        first_error = error
        failed[repr(error)[:300]] = [pk for pk, _mail in mails]
    else:
        try:
            for pk, message in mails:
                message.connection = connection
                try:
                    message.send()
                except MAIL_ERRORS as error:
                    first_error = first_error or error
                    failed.setdefault(repr(error)[:300], []).append(pk)
                else:
                    sent.append(pk)
        finally:
            connection.close()
    if sent:
        Notification.objects.filter(pk__in=sent, email=Notification.Email.SENDING).update(
            email=Notification.Email.SENT, email_sent_at=timezone.now(),
            email_attempts=F("email_attempts") + 1, email_error="")
    for error, pks in failed.items():
        Notification.objects.filter(pk__in=pks, email=Notification.Email.SENDING).update(
            email=Notification.Email.PENDING, email_attempts=F("email_attempts") + 1, email_error=error)
    if first_error is not None:
        raise first_error
    return len(sent)


def notifications_resend(now: datetime.datetime | None = None) -> int:
    """Send the e-mails still pending (their task gave up, or the worker was down); return how many went.

    Rows written less than `RESEND_GRACE` ago are left to the task their transaction queued; rows claimed more than
    `CLAIM_LEASE` ago by a worker that never said how it went are taken again. The rows are claimed as the task
    claims them, so two runs, or a run and a task, never send the same row. Stops at the first mail error: the
    server is still failing, and the rows are given back for the next run. Beat runs it every five minutes
    (`inbox.tasks.send_pending_notifications`).
    """
    now = now or timezone.now()
    due = Notification.objects.filter(
        Q(email=Notification.Email.PENDING, created__lt=now - RESEND_GRACE)
        | Q(email=Notification.Email.SENDING, email_claimed_at__lt=now - CLAIM_LEASE))
    candidates = list(due.order_by("pk").values_list("pk", flat=True)[:RESEND_BATCH])
    claimed = _claim(candidates, stale_before=now - CLAIM_LEASE)
    rows = list(_with_message_reads(Notification.objects.filter(pk__in=claimed)).order_by("pk")) if claimed else []
    try:
        return _send_and_mark([(notification.pk, _message(notification)) for notification in rows])
    except MAIL_ERRORS:
        still = Notification.objects.filter(pk__in=claimed, email=Notification.Email.PENDING).count()
        logger.warning("Notification e-mails still failing; %d left pending.", still)
        return len(claimed) - still
