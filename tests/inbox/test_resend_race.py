"""Sending notification e-mails from two places at once (beat fired twice, a late task and the resend job): each
e-mail goes once; a claim left by a worker that died is taken again."""

import datetime
import threading
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone
from viewflow.workflow.models import Task

from scf.parties.models import Organization
from tests.factories import LenderFactory, OrganizationFactory, UserFactory
from tests.races import run_together
from workflows.factoring.flows import FactoringFlow
from workflows.inbox.mail import CLAIM_LEASE, RESEND_GRACE, notification_emails_send, notifications_resend
from workflows.inbox.models import CaseProcess, Notification

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

_outbox_lock = threading.Lock()


class SlowBackend(EmailBackend):
    """The local memory backend, slow enough (20 ms a message) for two runs to overlap, safe across threads."""

    def send_messages(self, messages):
        time.sleep(0.02 * len(messages))
        with _outbox_lock:
            return super().send_messages(messages)


def _task(reference: str) -> Task:
    """A credit review task of a case, for notifications to be about."""
    lender, supplier = LenderFactory(), OrganizationFactory()
    process = CaseProcess.objects.create(flow_class=FactoringFlow, product="factoring", reference=reference,
                                         applicant=supplier, amount="1000.00", currency="CNY")
    return Task.objects.create(process=process, flow_task=FactoringFlow.review, status="NEW",
                               owner_permission="inbox.decide_as_credit_officer",
                               owner_permission_content_type=ContentType.objects.get_for_model(Organization),
                               owner_permission_obj_pk=str(lender.pk))


def test_two_resend_runs_at_once_send_each_pending_email_once(postgres_only, settings):
    settings.EMAIL_BACKEND = "tests.inbox.test_resend_race.SlowBackend"
    task = _task("R-1")
    people = [UserFactory(username=f"person{i}", email=f"person{i}@example.com") for i in range(12)]
    Notification.objects.bulk_create(Notification(recipient=person, kind=Notification.Kind.TASK, task=task)
                                     for person in people)
    mail.outbox = []
    later = timezone.now() + RESEND_GRACE + datetime.timedelta(seconds=1)

    results, errors = run_together(lambda: notifications_resend(now=later), lambda: notifications_resend(now=later))
    assert errors == {}
    assert results[0] + results[1] == 12
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"person{i}@example.com" for i in range(12))
    assert set(Notification.objects.values_list("email", "email_attempts")) == {(Notification.Email.SENT, 1)}


def test_a_task_and_the_resend_job_at_once_send_each_email_once(postgres_only, settings):
    """The task of a transaction whose worker was late (past the resend's grace) and the resend job at once."""
    settings.EMAIL_BACKEND = "tests.inbox.test_resend_race.SlowBackend"
    task = _task("R-2")
    people = [UserFactory(username=f"late{i}", email=f"late{i}@example.com") for i in range(12)]
    made = Notification.objects.bulk_create(Notification(recipient=person, kind=Notification.Kind.TASK, task=task)
                                            for person in people)
    composed = [[n.pk, f"late{i}@example.com", "New task", "…"] for i, n in enumerate(made)]
    mail.outbox = []
    later = timezone.now() + RESEND_GRACE + datetime.timedelta(seconds=1)

    results, errors = run_together(
        lambda: notification_emails_send(notification_ids=[n.pk for n in made], messages=composed),
        lambda: notifications_resend(now=later))
    assert errors == {}
    assert results[0] + results[1] == 12
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"late{i}@example.com" for i in range(12))
    assert set(Notification.objects.values_list("email", "email_attempts")) == {(Notification.Email.SENT, 1)}


def test_a_claim_left_by_a_worker_that_died_is_taken_again_after_its_lease(postgres_only, settings):
    task = _task("R-3")
    claimed_at = timezone.now()
    Notification.objects.create(recipient=UserFactory(email="died@example.com"), kind=Notification.Kind.TASK,
                                task=task, email=Notification.Email.SENDING, email_claimed_at=claimed_at)
    mail.outbox = []
    assert notifications_resend(now=claimed_at + CLAIM_LEASE - datetime.timedelta(seconds=1)) == 0  # still its own
    assert notifications_resend(now=claimed_at + CLAIM_LEASE + datetime.timedelta(seconds=1)) == 1
    assert [m.to[0] for m in mail.outbox] == ["died@example.com"]
