"""Two runs of the resend job at once (beat fired twice, or a hand re-run): each pending e-mail goes once."""

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
from workflows.inbox.mail import RESEND_GRACE, notifications_resend
from workflows.inbox.models import CaseProcess, Notification

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

_outbox_lock = threading.Lock()


class SlowBackend(EmailBackend):
    """The local memory backend, slow enough (20 ms a message) for two runs to overlap, safe across threads."""

    def send_messages(self, messages):
        time.sleep(0.02 * len(messages))
        with _outbox_lock:
            return super().send_messages(messages)


def test_two_resend_runs_at_once_send_each_pending_email_once(postgres_only, settings):
    settings.EMAIL_BACKEND = "tests.inbox.test_resend_race.SlowBackend"
    lender, supplier = LenderFactory(), OrganizationFactory()
    org_type = ContentType.objects.get_for_model(Organization)
    process = CaseProcess.objects.create(flow_class=FactoringFlow, product="factoring", reference="R-1",
                                         applicant=supplier, amount="1000.00", currency="CNY")
    task = Task.objects.create(process=process, flow_task=FactoringFlow.review, status="NEW",
                               owner_permission="inbox.decide_as_credit_officer",
                               owner_permission_content_type=org_type, owner_permission_obj_pk=str(lender.pk))
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
