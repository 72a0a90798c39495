"""Notifications: who is told of a task, in which language, the e-mail kept until sent, the deadlines and escalation."""

import datetime
import re
from smtplib import SMTPServerDisconnected
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from scf.audit.services import audited
from scf.parties.models import Membership, Organization, StaffGroup
from tests.factories import LenderFactory, MembershipFactory, OrganizationFactory, UserFactory
from workflows.factoring.flows import FactoringFlow
from workflows.inbox import mail as mail_module
from workflows.inbox import tasks
from workflows.inbox.assignment import OPERATE_FOR
from workflows.inbox.mail import RESEND_GRACE, notification_emails_send, notifications_resend
from workflows.inbox.models import CaseProcess, EmailOptOut, Notification, StepDeadline, TaskDeadline
from workflows.inbox.notifications import deadline_for, tasks_escalate
from workflows.inbox.selectors import InboxFilters, inbox_page

SHANGHAI = ZoneInfo("Asia/Shanghai")
FRIDAY = datetime.datetime(2026, 12, 4, 10, 0, tzinfo=SHANGHAI)


class FailingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, messages):
        raise SMTPServerDisconnected("Connection unexpectedly closed")


def _staff(lender, username, group, **kwargs):
    user = UserFactory(username=username, **kwargs)
    user.groups.add(Group.objects.get(name=group))
    MembershipFactory(user=user, organization=lender, role=Membership.Role.OPERATOR)
    return user


def _task(applicant, *, permission="inbox.decide_as_credit_officer", obj, node=FactoringFlow.review,
          reference="FF-2026-00001"):
    process = CaseProcess.objects.create(flow_class=FactoringFlow, product="factoring", reference=reference,
                                         applicant=applicant, amount="1000.00", currency="CNY")
    return Task.objects.create(process=process, flow_task=node, status="NEW", owner_permission=permission,
                               owner_permission_content_type=ContentType.objects.get_for_model(Organization),
                               owner_permission_obj_pk=str(obj.pk))


@pytest.fixture
def world(db):
    lender, other = LenderFactory(legal_name="甲银行"), LenderFactory(legal_name="乙银行")
    supplier = OrganizationFactory(legal_name="供应商甲")
    people = {
        "officer": _staff(lender, "officer", StaffGroup.CREDIT_OFFICER, first_name="Li", last_name="Wei"),
        "officer_zh": _staff(lender, "officer-zh", StaffGroup.CREDIT_OFFICER, preferred_language="zh-hans"),
        "risk": _staff(lender, "risk", StaffGroup.RISK_MANAGER),
        "admin": _staff(lender, "lender-admin", StaffGroup.ADMIN),
        "other_officer": _staff(other, "other-officer", StaffGroup.CREDIT_OFFICER),
    }
    for username, role in (("operator", Membership.Role.OPERATOR), ("org-admin", Membership.Role.ADMIN),
                           ("signatory", Membership.Role.SIGNATORY)):
        people[username] = UserFactory(username=username)
        MembershipFactory(user=people[username], organization=supplier, role=role)
    return lender, other, supplier, people


def _recipients(task, kind=Notification.Kind.TASK):
    return set(Notification.objects.filter(task=task, kind=kind).values_list("recipient__username", flat=True))


def test_a_staff_task_notifies_the_lenders_staff_with_the_permission_only(world, django_capture_on_commit_callbacks):
    lender, _other, supplier, _people = world
    with django_capture_on_commit_callbacks(execute=True):
        task = _task(supplier, obj=lender)
    assert _recipients(task) == {"officer", "officer-zh"}
    assert sorted(m.to[0] for m in mail.outbox) == ["officer-zh@example.com", "officer@example.com"]


def test_a_client_task_notifies_the_operators_and_administrators_of_that_organization(world):
    _lender, _other, supplier, _people = world
    task = _task(supplier, permission=OPERATE_FOR, obj=supplier, node=FactoringFlow.revise)
    assert _recipients(task) == {"operator", "org-admin"}


def test_the_email_is_in_the_recipients_language_and_links_to_the_task(world, django_capture_on_commit_callbacks):
    lender, _other, supplier, people = world
    with django_capture_on_commit_callbacks(execute=True):
        task = _task(supplier, obj=lender)
    by_to = {m.to[0]: m for m in mail.outbox}
    english, chinese = by_to["officer@example.com"], by_to["officer-zh@example.com"]
    assert english.subject == "New task: Credit review · FF-2026-00001"
    assert "Dear Li Wei," in english.body
    assert "Deadline: 2026-" in english.body
    assert chinese.subject.startswith("新任务：")
    notification = Notification.objects.get(task=task, recipient=people["officer"])
    assert f"/inbox/notifications/{notification.pk}/" in english.body
    assert notification.email == Notification.Email.SENT and notification.email_attempts == 1


def test_a_kind_switched_off_sends_no_email_but_keeps_the_notification(world, django_capture_on_commit_callbacks):
    lender, _other, supplier, people = world
    EmailOptOut.objects.create(user=people["officer"], kind="factoring/flows.FactoringFlow.review")
    with django_capture_on_commit_callbacks(execute=True):
        task = _task(supplier, obj=lender)
    assert [m.to[0] for m in mail.outbox] == ["officer-zh@example.com"]
    skipped = Notification.objects.get(task=task, recipient=people["officer"])
    assert skipped.email == Notification.Email.SKIPPED and not skipped.is_read


def test_a_failing_mail_server_loses_nothing_and_the_resend_delivers_once(world, settings,
                                                                        django_capture_on_commit_callbacks):
    lender, _other, supplier, _people = world
    settings.EMAIL_BACKEND = "tests.inbox.test_notifications.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        task = _task(supplier, obj=lender)
    rows = Notification.objects.filter(task=task)
    assert mail.outbox == []
    assert {(n.email, n.email_attempts > 1) for n in rows} == {(Notification.Email.PENDING, True)}
    assert "Connection unexpectedly closed" in rows[0].email_error
    later = timezone.now() + RESEND_GRACE + datetime.timedelta(seconds=1)
    assert notifications_resend(now=later) == 0  # still down: stays pending

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # A row younger than the grace is its own task's to send: the resend job leaves it.
    assert notifications_resend() == 0 and mail.outbox == []
    assert notifications_resend(now=later) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["officer-zh@example.com", "officer@example.com"]
    assert set(rows.values_list("email", flat=True)) == {Notification.Email.SENT}
    assert notifications_resend(now=later) == 0 and len(mail.outbox) == 2


class OneAddressDown(BaseEmailBackend):
    """A mail server that refuses one recipient's address and delivers the rest (to mail.outbox)."""

    def send_messages(self, messages):
        for message in messages:
            if message.to == ["officer-zh@example.com"]:
                raise SMTPServerDisconnected("Connection unexpectedly closed")
            mail.outbox.append(message)
        return len(messages)


def test_the_emails_of_one_transaction_go_in_one_task_and_one_connection(world, django_capture_on_commit_callbacks,
                                                                         monkeypatch):
    lender, _other, supplier, _people = world
    batches = []
    composed = []
    monkeypatch.setattr(tasks.send_notifications, "delay", lambda *, notification_ids, messages=None: (
        batches.append(sorted(notification_ids)), composed.append(messages)))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first = _task(supplier, obj=lender)
        second = _task(supplier, obj=lender, reference="FF-2026-00002")
    assert batches == [sorted(Notification.objects.filter(task__in=[first, second]).values_list("pk", flat=True))]
    assert len(batches[0]) == 4
    # The transaction composed the four e-mails (each in its recipient's language): sending them is one statement,
    # the update that marks them sent; no transaction, no lock held while the mail server answers.
    assert sorted(message[0] for message in composed[0]) == batches[0]
    # As the resend job would compose them from the rows.
    rows = {n.pk: n for n in Notification.objects.filter(pk__in=batches[0]).select_related(
        "recipient", "task__process__caseprocess", "task__deadline")}
    for pk, address, subject, body in composed[0]:
        message = mail_module._message(rows[pk])
        assert (address, subject, body) == (message.to[0], message.subject, message.body)
    with CaptureQueriesContext(connection) as queries:
        assert notification_emails_send(notification_ids=batches[0], messages=composed[0]) == 4
    # One statement claims the four (whoever claims a row sends it), one marks them sent.
    assert [q["sql"].split()[0] for q in queries] == ["UPDATE", "UPDATE"]
    assert "RETURNING" in queries[0]["sql"]
    assert len(mail.outbox) == 4
    assert set(Notification.objects.filter(pk__in=batches[0]).values_list("email", flat=True)) == {"sent"}
    # Sent again (a retry, a redelivered task): nothing left to claim, nothing sent twice, nothing read.
    with CaptureQueriesContext(connection) as queries:
        assert notification_emails_send(notification_ids=batches[0], messages=composed[0]) == 0
        assert notification_emails_send(notification_ids=batches[0]) == 0
    assert [q["sql"].split()[0] for q in queries] == ["UPDATE", "UPDATE"] and len(mail.outbox) == 4
    # A savepoint rolled back drops what it wrote; a second transaction gets its own task.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        try:
            with transaction.atomic():
                _task(supplier, obj=lender, reference="FF-2026-00003")
                raise RuntimeError
        except RuntimeError:
            pass
        third = _task(supplier, obj=lender, reference="FF-2026-00004")
    assert batches[1] == sorted(Notification.objects.filter(task=third).values_list("pk", flat=True))


def test_the_tasks_a_service_creates_are_announced_together_as_it_ends(world, django_capture_on_commit_callbacks):
    lender, _other, supplier, _people = world
    seen_within = []

    @audited
    def service():
        tasks_made = [_task(supplier, obj=lender, reference=f"FF-2026-0000{n}") for n in (1, 2, 3)]
        seen_within.append((TaskDeadline.objects.count(), Notification.objects.count()))
        return tasks_made

    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
        made = service()
    assert seen_within == [(0, 0)]  # nothing announced before the service ends
    inserts = [q["sql"] for q in queries.captured_queries
               if q["sql"].startswith(('INSERT INTO "inbox_taskdeadline"', 'INSERT INTO "inbox_notification"'))]
    assert len(inserts) == 2  # the three deadlines in one statement, the six notifications in another
    assert TaskDeadline.objects.filter(task__in=made).count() == 3
    assert sorted(Notification.objects.filter(task__in=made).values_list("task_id", flat=True)) == sorted(
        [task.pk for task in made] * 2)  # each task: the two credit officers
    assert len(mail.outbox) == 6  # their e-mails in one task after commit


def test_tasks_of_different_steps_made_together_each_tell_their_own_takers_in_one_read(
        world, django_capture_on_commit_callbacks):
    """A split's branches land together: the takers of every task are read in one statement, and each task still
    notifies its own people, with its own step's deadline; a task nobody may take gets its deadline and no one."""
    lender, _other, supplier, people = world
    nobody = OrganizationFactory(legal_name="无人公司")
    StepDeadline.objects.update_or_create(step="factoring/flows.FactoringFlow.review", defaults={"business_days": 2})
    StepDeadline.objects.update_or_create(step="factoring/flows.FactoringFlow.confirm", defaults={"business_days": 5})

    @audited
    def service():
        return (_task(supplier, obj=lender),
                _task(supplier, permission=OPERATE_FOR, obj=supplier, node=FactoringFlow.confirm,
                      reference="FF-2026-00002"),
                _task(supplier, permission=OPERATE_FOR, obj=nobody, node=FactoringFlow.confirm,
                      reference="FF-2026-00003"))

    with time_machine.travel(FRIDAY, tick=False), django_capture_on_commit_callbacks(execute=True), \
            CaptureQueriesContext(connection) as queries:
        review, confirm, nobodys = service()
    reads = [q["sql"] for q in queries.captured_queries if '"inbox_emailoptout"' in q["sql"]]
    assert len(reads) == 1 and reads[0].count("UNION ALL") == 2
    assert _recipients(review) == {"officer", "officer-zh"}
    assert _recipients(confirm) == {"operator", "org-admin"}
    assert _recipients(nobodys) == set()
    assert dict(TaskDeadline.objects.values_list("task_id", "due_on")) == {
        review.pk: datetime.date(2026, 12, 8), confirm.pk: datetime.date(2026, 12, 11),
        nobodys.pk: datetime.date(2026, 12, 11)}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        people[name].email for name in ("officer", "officer_zh", "operator", "org-admin"))


def test_a_task_made_in_a_savepoint_rolled_back_since_is_not_announced(world, django_capture_on_commit_callbacks):
    """A release's preparation rehearses its movement in a savepoint and rolls it back: a task the rehearsal made
    never existed, and announcing it would point the deadline and notifications at no task."""
    lender, _other, supplier, _people = world

    @audited
    def service():
        kept = _task(supplier, obj=lender)
        try:
            with transaction.atomic():
                _task(supplier, obj=lender, reference="FF-2026-00002")
                raise RuntimeError("rehearsed")
        except RuntimeError:
            pass
        return kept

    with django_capture_on_commit_callbacks(execute=True):
        kept = service()
    assert list(TaskDeadline.objects.values_list("task_id", flat=True)) == [kept.pk]
    assert set(Notification.objects.values_list("task_id", flat=True)) == {kept.pk}
    assert Task.objects.count() == 1


def test_a_service_that_fails_announces_none_of_its_tasks(world):
    lender, _other, supplier, _people = world

    @audited
    def service():
        _task(supplier, obj=lender)
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        service()
    assert not TaskDeadline.objects.exists() and not Notification.objects.exists()


def test_one_failing_address_keeps_its_row_pending_and_the_others_are_sent(world, settings):
    lender, _other, supplier, _people = world
    settings.EMAIL_BACKEND = "tests.inbox.test_notifications.OneAddressDown"
    with transaction.atomic():
        task = _task(supplier, obj=lender)
        ids = list(Notification.objects.filter(task=task).values_list("pk", flat=True))
        Notification.objects.filter(pk__in=ids).update(email=Notification.Email.PENDING)
    with pytest.raises(SMTPServerDisconnected):
        notification_emails_send(notification_ids=ids)
    rows = {n.recipient.username: n for n in Notification.objects.filter(task=task).select_related("recipient")}
    assert (rows["officer"].email, rows["officer"].email_attempts) == (Notification.Email.SENT, 1)
    assert (rows["officer-zh"].email, rows["officer-zh"].email_attempts) == (Notification.Email.PENDING, 1)
    assert "Connection unexpectedly closed" in rows["officer-zh"].email_error
    assert [m.to[0] for m in mail.outbox] == ["officer@example.com"]


def test_deadlines_count_business_days_from_the_day_the_task_lands(db):
    review, confirm = "factoring/flows.FactoringFlow.review", "factoring/flows.FactoringFlow.confirm"
    assert StepDeadline.objects.get(step=review).business_days == 2
    assert StepDeadline.objects.get(step=confirm).business_days == 3
    # Friday 4 December: the weekend does not count.
    assert deadline_for(step=review, landed=FRIDAY) == datetime.date(2026, 12, 8)
    assert deadline_for(step=confirm, landed=FRIDAY) == datetime.date(2026, 12, 9)
    # Late on Thursday in UTC is already Friday in Shanghai.
    late = datetime.datetime(2026, 12, 3, 17, 0, tzinfo=datetime.UTC)
    assert deadline_for(step=review, landed=late) == datetime.date(2026, 12, 8)
    # Before the National Day holiday (1-7 October 2026); Saturday 10 October is a make-up working day.
    eve = datetime.datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI)
    assert deadline_for(step=review, landed=eve) == datetime.date(2026, 10, 9)
    assert deadline_for(step=confirm, landed=eve) == datetime.date(2026, 10, 10)
    # An administrator changes the service level; a step without one has no deadline.
    StepDeadline.objects.filter(step=review).update(business_days=5)
    assert deadline_for(step=review, landed=FRIDAY) == datetime.date(2026, 12, 11)
    assert deadline_for(step="factoring/flows.FactoringFlow.collect", landed=FRIDAY) is None


def test_a_new_task_gets_its_steps_deadline(world):
    lender, _other, supplier, _people = world
    with time_machine.travel(FRIDAY, tick=False):
        task = _task(supplier, obj=lender)
    assert TaskDeadline.objects.get(task=task).due_on == datetime.date(2026, 12, 8)


def test_overdue_tasks_are_escalated_to_the_next_level_once(world, django_capture_on_commit_callbacks):
    lender, _other, supplier, _people = world
    # Committed as the tasks' own transactions would be (their e-mails sent), before the deadlines pass.
    with time_machine.travel(FRIDAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        staff_task = _task(supplier, obj=lender)  # due Tuesday 8 December
        client_task = _task(supplier, permission=OPERATE_FOR, obj=supplier, node=FactoringFlow.confirm,
                            reference="FF-2026-00002")  # due Wednesday 9 December
    with time_machine.travel(datetime.datetime(2026, 12, 8, 23, 0, tzinfo=SHANGHAI), tick=False):
        assert tasks_escalate(datetime.date(2026, 12, 8)) == 0  # the deadline day itself is still in time
    mail.outbox.clear()
    with time_machine.travel(datetime.datetime(2026, 12, 9, 0, 20, tzinfo=SHANGHAI), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks_escalate(datetime.date(2026, 12, 9)) == 1
    assert _recipients(staff_task, Notification.Kind.ESCALATION) == {"risk"}
    assert [m.to[0] for m in mail.outbox] == ["risk@example.com"]
    assert mail.outbox[0].subject == "Overdue: Credit review · FF-2026-00001"
    assert tasks_escalate(datetime.date(2026, 12, 9)) == 0  # run again: nothing twice

    assert tasks_escalate(datetime.date(2026, 12, 10)) == 1
    assert _recipients(client_task, Notification.Kind.ESCALATION) == {"org-admin"}
    assert tasks_escalate(datetime.date(2026, 12, 11)) == 0
    assert Notification.objects.filter(kind=Notification.Kind.ESCALATION).count() == 2


def test_a_done_task_is_not_escalated(world):
    lender, _other, supplier, _people = world
    with time_machine.travel(FRIDAY, tick=False):
        task = _task(supplier, obj=lender)
    Task.objects.filter(pk=task.pk).update(status="DONE")
    assert tasks_escalate(datetime.date(2026, 12, 20)) == 0


def test_the_risk_managers_own_step_escalates_to_the_lenders_administrators(world):
    lender, _other, supplier, _people = world
    with time_machine.travel(FRIDAY, tick=False):
        task = _task(supplier, permission="inbox.decide_as_risk_manager", obj=lender)
    assert tasks_escalate(datetime.date(2026, 12, 9)) == 1
    assert _recipients(task, Notification.Kind.ESCALATION) == {"lender-admin"}


def test_the_inbox_shows_overdue_tasks_first_with_their_deadline(world):
    lender, _other, supplier, people = world
    with time_machine.travel(datetime.datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI), tick=False):
        disburse = _task(supplier, permission="inbox.decide_as_credit_officer", obj=lender,
                         node=FactoringFlow.collect, reference="NO-DEADLINE")  # no service level
        newer = _task(supplier, obj=lender, reference="FF-LATER")
    with time_machine.travel(datetime.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI), tick=False):
        older = _task(supplier, obj=lender, reference="FF-EARLIER")  # due 2 December
    with time_machine.travel(datetime.datetime(2026, 12, 4, 9, 0, tzinfo=SHANGHAI), tick=False):
        page = inbox_page(people["officer"], InboxFilters())
        assert [t.pk for t in page.tasks] == [older.pk, newer.pk, disburse.pk]
        assert [(t.due_on, t.is_overdue) for t in page.tasks] == [
            (datetime.date(2026, 12, 2), True), (datetime.date(2026, 12, 3), True), (None, False)]
        client = Client()
        client.force_login(people["officer"])
        html = client.get(reverse("inbox:list")).content.decode()
    assert html.count("Overdue</span>") == 2
    assert html.index("FF-EARLIER") < html.index("FF-LATER") < html.index("NO-DEADLINE")


# --- pages -------------------------------------------------------------------------------------

def _bell(html: str) -> int:
    return int(re.search(r'class="bell[^"]*"[^>]*data-unread="(\d+)"', html).group(1))


def test_the_bell_counts_unread_notifications_with_one_query(world):
    lender, _other, supplier, people = world
    client = Client()
    client.force_login(people["officer"])
    url = reverse("portal:dashboard")
    assert _bell(client.get(url).content.decode()) == 0
    _task(supplier, obj=lender)
    with CaptureQueriesContext(connection) as one:
        assert _bell(client.get(url).content.decode()) == 1
    for i in range(5):
        _task(supplier, obj=lender, reference=f"FF-MORE-{i}")
    with CaptureQueriesContext(connection) as six:
        assert _bell(client.get(url).content.decode()) == 6
    assert len(six) == len(one)
    assert sum("inbox_notification" in q["sql"] and "COUNT" in q["sql"] for q in six.captured_queries) == 1


def test_opening_a_notification_marks_it_read_and_opens_the_task(world):
    lender, _other, supplier, people = world
    task = _task(supplier, obj=lender)
    notification = Notification.objects.get(task=task, recipient=people["officer"])
    client = Client()
    client.force_login(people["officer"])
    response = client.get(reverse("inbox:notification-open", kwargs={"notification_pk": notification.pk}))
    assert response.status_code == 302 and response.url == reverse("inbox:task", kwargs={"task_pk": task.pk})
    notification.refresh_from_db()
    assert notification.is_read
    assert _bell(client.get(reverse("inbox:notifications")).content.decode()) == 0


def test_mark_read_and_mark_all_read_are_posts(world):
    lender, _other, supplier, people = world
    first, second = _task(supplier, obj=lender), _task(supplier, obj=lender, reference="FF-2")
    mine = {n.task_id: n for n in Notification.objects.filter(recipient=people["officer"])}
    client = Client()
    client.force_login(people["officer"])
    read_url = reverse("inbox:notification-read", kwargs={"notification_pk": mine[first.pk].pk})
    assert client.get(read_url).status_code == 405
    assert client.post(read_url).status_code == 302
    assert set(Notification.objects.filter(recipient=people["officer"], read_at__isnull=True)
               .values_list("task_id", flat=True)) == {second.pk}
    assert client.post(reverse("inbox:notifications-read-all")).status_code == 302
    assert not Notification.objects.filter(recipient=people["officer"], read_at__isnull=True).exists()
    # The colleague's notifications of the same tasks stay unread.
    assert Notification.objects.filter(recipient=people["officer_zh"], read_at__isnull=True).count() == 2


def test_anyone_elses_notification_is_a_404(world):
    lender, _other, supplier, people = world
    notification = Notification.objects.get(task=_task(supplier, obj=lender), recipient=people["officer"])
    for username in ("officer_zh", "other_officer", "operator"):
        client = Client()
        client.force_login(people[username])
        kwargs = {"notification_pk": notification.pk}
        assert client.get(reverse("inbox:notification-open", kwargs=kwargs)).status_code == 404
        assert client.post(reverse("inbox:notification-read", kwargs=kwargs)).status_code == 404
        assert f"/inbox/notifications/{notification.pk}/" not in client.get(reverse("inbox:notifications")).content.decode()
    notification.refresh_from_db()
    assert not notification.is_read


def test_the_settings_page_switches_emails_off_per_kind(world, django_capture_on_commit_callbacks):
    lender, _other, supplier, people = world
    client = Client()
    client.force_login(people["officer"])
    url = reverse("inbox:notification-settings")
    page = client.get(url).content.decode()
    assert 'value="factoring/flows.FactoringFlow.review" checked' in page
    # Everything on but the credit review.
    kinds = re.findall(r'name="email" value="([^"]+)"', page)
    client.post(url, {"email": [k for k in kinds if k != "factoring/flows.FactoringFlow.review"]})
    assert list(EmailOptOut.objects.filter(user=people["officer"]).values_list("kind", flat=True)) == [
        "factoring/flows.FactoringFlow.review"]
    with django_capture_on_commit_callbacks(execute=True):
        _task(supplier, obj=lender)
    assert [m.to[0] for m in mail.outbox] == ["officer-zh@example.com"]
    client.post(url, {"email": kinds})
    assert not EmailOptOut.objects.filter(user=people["officer"]).exists()


def test_a_superuser_changes_a_steps_service_level_in_the_back_office(db):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(admin)
    row = StepDeadline.objects.get(step="factoring/flows.FactoringFlow.review")
    url = reverse("admin:inbox_stepdeadline_change", args=[row.pk])
    assert "Credit review (factoring/flows.FactoringFlow.review)" in client.get(url).content.decode()
    response = client.post(url, {"step": row.step, "business_days": "4"})
    assert response.status_code == 302
    assert deadline_for(step=row.step, landed=FRIDAY) == datetime.date(2026, 12, 10)
    # A step no flow has is refused, and nothing changes.
    response = client.post(url, {"step": "factoring/flows.FactoringFlow.nothing", "business_days": "1"})
    assert response.status_code == 200
    row.refresh_from_db()
    assert (row.step, row.business_days) == ("factoring/flows.FactoringFlow.review", 4)


def test_an_email_that_cannot_be_composed_with_its_task_does_not_fail_the_step(world, monkeypatch,
                                                                              django_capture_on_commit_callbacks):
    lender, _other, supplier, _people = world

    def broken(**kwargs):
        raise KeyError("a translation went wrong")

    monkeypatch.setattr(mail_module, "message_text", broken)
    sent = []
    monkeypatch.setattr(tasks.send_notifications, "delay", lambda **kwargs: sent.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        task = _task(supplier, obj=lender)
    # The task and its notifications stand; the worker composes the e-mails from the rows.
    assert Notification.objects.filter(task=task).count() == 2
    assert sent == [{"notification_ids": sorted(Notification.objects.filter(task=task).values_list("pk", flat=True))}]
