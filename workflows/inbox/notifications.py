"""Telling people about tasks: who takes a task, its deadline, the notifications and their e-mails.

A task lands when viewflow creates it (every product's flow alike): `task_announce` gives it its
deadline (the step's service level, in business days) and notifies the people who may take it,
in the same transaction as the task; the e-mails go after commit, one Celery task each. Each
notification keeps its e-mail's state, so a mail server that fails loses nothing: the resend job
sends whatever is still pending. `tasks_escalate` (a daily job) tells the next level, once, about
each task past its deadline.
"""

from __future__ import annotations

import datetime
import logging

from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone
from viewflow.workflow.fields import get_task_ref
from viewflow.workflow.models import Task

from scf.audit.services import at_unit_of_work_end_together
from scf.core.after_commit import batch_after_commit
from scf.money import add_business_days
from scf.parties.models import Membership, Organization, StaffGroup, User

from . import mail, tasks
from .assignment import ROLES_FOR_MARKER
from .models import EmailOptOut, Notification, StepDeadline, TaskDeadline

logger = logging.getLogger(__name__)

OPEN_STATUSES = ("NEW", "ASSIGNED")
ESCALATION_KIND = "escalation"
# Approval steps already decided at the risk manager's level or above go to the lender's administrators.
SENIOR_PERMISSIONS = ("inbox.decide_as_risk_manager", "inbox.decide_as_credit_committee")


def step_of(task: Task) -> str:
    """Return the task's kind of step, as tasks store it (`factoring/flows.FactoringFlow.review`)."""
    return get_task_ref(task.flow_task)


def is_human(task: Task) -> bool:
    return task.flow_task is not None and getattr(task.flow_task, "task_type", "") == "HUMAN"


# --- who -----------------------------------------------------------------------------------------

def task_takers(task: Task) -> QuerySet[User]:
    """Return the active people who may take the task, by the rule of `assignment.can_act`."""
    users = User.objects.filter(is_active=True)
    if task.owner_id is not None:
        return users.filter(pk=task.owner_id)
    organization = task.owner_permission_obj_pk
    if not task.owner_permission or not organization:
        return users.none()
    if task.owner_permission in ROLES_FOR_MARKER:
        return users.filter(memberships__organization_id=organization,
                            memberships__role__in=ROLES_FOR_MARKER[task.owner_permission]).distinct()
    app_label, _dot, codename = task.owner_permission.partition(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return users.filter(memberships__organization_id=organization, memberships__organization__is_lender=True).filter(
        Q(is_superuser=True) | Q(groups__permissions__in=permission) | Q(user_permissions__in=permission)).distinct()


def next_level(task: Task) -> QuerySet[User]:
    """Return who hears of the task when it is overdue: above the people it was meant for.

    A client's task goes to its organization's administrators; a lender's task to the lender's
    risk managers, or, when the step is already the risk manager's or the committee's (or the
    lender has no risk manager), to the lender's administrators.
    """
    users = User.objects.filter(is_active=True)
    organization = task.owner_permission_obj_pk
    if not organization:
        return users.none()
    if task.owner_permission in ROLES_FOR_MARKER and not _is_lender_task(task):
        return users.filter(memberships__organization_id=organization,
                            memberships__role=Membership.Role.ADMIN).distinct()
    staff = users.filter(memberships__organization_id=organization, memberships__organization__is_lender=True)
    if task.owner_permission not in SENIOR_PERMISSIONS:
        risk = staff.filter(groups__name=StaffGroup.RISK_MANAGER).distinct()
        if risk.exists():
            return risk
    return staff.filter(groups__name=StaffGroup.ADMIN).distinct()


def _is_lender_task(task: Task) -> bool:
    return Organization.objects.filter(pk=task.owner_permission_obj_pk, is_lender=True).exists()


# --- when ----------------------------------------------------------------------------------------

def deadline_for(*, step: str, landed: datetime.datetime) -> datetime.date | None:
    """Return the last day to do a step that landed at `landed`: its service level in business days.

    Counted from the local day it landed, business days only (the Chinese calendar with its
    make-up working days): a review (2 days) landing on Friday 2026-12-04 is due Tuesday 12-08.
    A step without a service level has no deadline.
    """
    return _due_on(StepDeadline.objects.filter(step=step).values_list("business_days", flat=True).first(), landed)


def _due_on(days: int | None, landed: datetime.datetime) -> datetime.date | None:
    return None if days is None else add_business_days(timezone.localdate(landed), days)


# --- announcing ----------------------------------------------------------------------------------

def task_announce(*, task: Task) -> list[int]:
    """Give a new open human task its deadline and notify the people who may take it; return the ids."""
    return tasks_announce([task])


def tasks_announce(tasks: list[Task]) -> list[int]:
    """Announce new tasks as `task_announce` does one: every task's takers read in one statement, then every deadline
    inserted in one and every notification in another; return the notifications' ids."""
    announced = [task for task in tasks if is_human(task) and task.status in OPEN_STATUSES]
    if not announced:
        return []
    # Each task's takers with their e-mail choice and the step's service level, all tasks in one read (a UNION ALL,
    # each part marked with its task's place); with what their e-mail says, it is composed here and sent after commit
    # without reading the rows again.
    columns = ("task_index", "pk", "email", "email_off", "service_level", "preferred_language", "first_name",
               "last_name", "username")
    parts = [_with_email_choice(task_takers(task), preference=step_of(task)).annotate(
        task_index=Value(index), service_level=Subquery(
            StepDeadline.objects.filter(step=step_of(task)).values("business_days")[:1])).values_list(*columns)
        for index, task in enumerate(announced)]
    query = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:], all=True)
    rows_of: dict[int, list[tuple]] = {index: [] for index in range(len(announced))}
    for index, *row in query:
        rows_of[index].append(tuple(row))
    deadlines: list[TaskDeadline] = []
    notifications: list[tuple[Task, list[tuple], dict | None]] = []
    for index, task in enumerate(announced):
        rows = rows_of[index]
        landed = task.created or timezone.now()
        # The service level rode along with the takers; read on its own only when nobody may take the task.
        due_on = _due_on(rows[0][3], landed) if rows else deadline_for(step=step_of(task), landed=landed)
        if due_on is not None:
            deadlines.append(TaskDeadline(task=task, due_on=due_on))
        reference = getattr(task.process, "reference", None)  # a case's process, as the flows make them
        notifications.append((task, [row[:3] for row in rows], None if reference is None else {
            pk: {"reference": reference, "deadline": due_on, "language": language,
                 "name": f"{first} {last}".strip() or username}
            for pk, _address, _off, _level, language, first, last, username in rows}))
    TaskDeadline.objects.bulk_create(deadlines)
    return _notify_many(kind=Notification.Kind.TASK, people_by_task=notifications)


def _with_email_choice(recipients: QuerySet[User], *, preference: str) -> QuerySet[User]:
    return recipients.annotate(email_off=Exists(EmailOptOut.objects.filter(user=OuterRef("pk"), kind=preference)))


def notifications_create(*, task: Task, kind: str, recipients: QuerySet[User]) -> list[int]:
    """Write one notification per recipient and send their e-mails after commit; return the ids.

    Two statements whatever the number of recipients: the recipients with their e-mail choice for
    this kind (switched off, or no address), and one INSERT. A second notification of a kind to a
    person about a task is refused by the database; the callers (a new task, a deadline row locked
    and marked escalated) never try one.
    """
    preference = ESCALATION_KIND if kind == Notification.Kind.ESCALATION else step_of(task)
    return _notify(task=task, kind=kind, people=list(
        _with_email_choice(recipients, preference=preference).values_list("pk", "email", "email_off")))


def _notify(*, task: Task, kind: str, people: list[tuple]) -> list[int]:
    """Insert the notifications of (pk, e-mail address, e-mail off) people in one statement; mail after commit."""
    return _notify_many(kind=kind, people_by_task=[(task, people, None)])


def _notify_many(*, kind: str, people_by_task: list[tuple[Task, list[tuple], dict | None]]) -> list[int]:
    """Insert the notifications of several tasks' people in one statement; mail after commit.

    `people_by_task` holds each task, its people as (pk, e-mail address, e-mail off) and, when known, what each
    person's e-mail says of them and the case (by pk: reference, deadline, language, name): those e-mails are
    composed now, and the task after commit sends them without reading the rows.
    """
    rows, details = [], []
    for task, people, about in people_by_task:
        for pk, address, off in people:
            rows.append(Notification(recipient_id=pk, kind=kind, task=task, email=(
                Notification.Email.SKIPPED if off or not address else Notification.Email.PENDING)))
            details.append((address, None if about is None else about.get(pk)))
    if not rows:
        return []
    made = Notification.objects.bulk_create(rows)
    _mail_after_commit([_mail_item(notification, address, about) for notification, (address, about)
                        in zip(made, details, strict=True) if notification.email == Notification.Email.PENDING])
    return [notification.pk for notification in made]


def _mail_item(notification: Notification, address: str, about: dict | None) -> int | tuple[int, str, str, str]:
    """A pending notification as its after-commit task takes it: its id, or (id, address, subject, body)."""
    if about is None or notification.pk is None:
        return notification.pk
    try:
        subject, body = mail.message_text(notification_pk=notification.pk, kind=notification.kind,
                                          task=notification.task, **about)
    except Exception:  # an e-mail's text never fails the step that made the task: the worker composes it again
        logger.exception("Notification %s: its e-mail could not be composed with its task.", notification.pk)
        return notification.pk
    return notification.pk, address, subject, body


def _mail_after_commit(items: list) -> None:
    """Send these notifications' e-mails once the transaction commits: one task for all a transaction wrote."""
    batch_after_commit(_send_mail, items)


def _send_mail(items: list) -> None:
    composed = [list(item) for item in items if isinstance(item, tuple)]
    ids = [item[0] if isinstance(item, tuple) else item for item in items]
    if composed:
        tasks.send_notifications.delay(notification_ids=ids, messages=composed)
    else:
        tasks.send_notifications.delay(notification_ids=ids)


# --- escalation ----------------------------------------------------------------------------------

def tasks_escalate(on: datetime.date) -> int:
    """Tell the next level about each open task past its deadline on `on`, once; return how many.

    A task is overdue the day after its deadline. The deadline row is marked escalated under its
    lock in the same transaction as the notifications, so a second run (or a second worker)
    escalates nothing again.
    """
    candidates = TaskDeadline.objects.filter(escalated_at__isnull=True, due_on__lt=on,
                                             task__status__in=OPEN_STATUSES).order_by("pk")
    escalated = 0
    for pk in list(candidates.values_list("pk", flat=True)):
        with transaction.atomic():
            deadline = (TaskDeadline.objects.select_for_update(of=("self",)).select_related("task")
                        .filter(pk=pk, escalated_at__isnull=True).first())
            if deadline is None or deadline.task.status not in OPEN_STATUSES:
                continue
            notifications_create(task=deadline.task, kind=Notification.Kind.ESCALATION,
                                 recipients=next_level(deadline.task))
            deadline.escalated_at = timezone.now()
            deadline.save(update_fields=["escalated_at"])
            escalated += 1
    return escalated


# --- reading -------------------------------------------------------------------------------------

def notification_mark_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)


def notifications_mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def email_preferences_set(*, user: User, off: set[str], known: set[str]) -> None:
    """Keep e-mails off for the kinds in `off` and on for the other `known` kinds."""
    off &= known
    EmailOptOut.objects.filter(user=user, kind__in=known - off).delete()
    EmailOptOut.objects.bulk_create([EmailOptOut(user=user, kind=kind) for kind in sorted(off)],
                                    ignore_conflicts=True)


def task_saved(sender, instance: Task, created: bool, raw: bool = False, **kwargs) -> None:
    """Announce each task when viewflow creates it (the one place every product's tasks pass).

    Within a unit of work (a service), its new tasks are announced together as it ends: a signing split's tasks get
    their deadlines in one statement and their notifications in another.
    """
    if not created or raw or not is_human(instance) or instance.status not in OPEN_STATUSES:
        return
    # A task created in a savepoint rolled back since (a release's rehearsal) is not announced.
    if not at_unit_of_work_end_together("tasks_to_announce", instance, tasks_announce):
        task_announce(task=instance)
