"""Reminder and buy-back mails: one Celery task per financing (enqueued by one task per chunk after commit),
retried on mail errors.

Celery runs eagerly here, as on a machine without a broker: a task and its retries run inside
the job's on_commit callback, so these tests also show that a failing mail never stops the job.
"""

import datetime
import logging
from smtplib import SMTPException, SMTPServerDisconnected

import pytest
from django.core import mail
from django.core.mail.backends import locmem

from scf.core import jobs as daily_registry
from scf.core.jobs import run_daily
from workflows.factoring import jobs
from workflows.factoring.models import FactoringFinancing

from .test_financing_lifecycle import DUE
from .test_settlement import _disbursed

WEEK_BEFORE = DUE - datetime.timedelta(days=7)


@pytest.fixture(autouse=True)
def _without_task_escalation(monkeypatch):
    """Count the product's own mails: the daily escalation of the tasks these cases leave open mails too.

    tests/inbox/test_notifications.py tests that job.
    """
    monkeypatch.delitem(daily_registry._daily, "inbox.escalate_overdue_tasks")


class FlakyBackend(locmem.EmailBackend):
    """The test outbox, refusing the next `failures` sends and every mail whose subject names `refused`."""

    attempts = 0
    failures = 0
    refused = None

    def send_messages(self, messages):
        FlakyBackend.attempts += 1
        if FlakyBackend.failures:
            FlakyBackend.failures -= 1
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        if FlakyBackend.refused and any(FlakyBackend.refused in message.subject for message in messages):
            raise SMTPException("451 Requested action aborted: local error in processing")
        return super().send_messages(messages)


@pytest.fixture
def flaky_mail(settings, monkeypatch):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    for name, value in {"attempts": 0, "failures": 0, "refused": None}.items():
        monkeypatch.setattr(FlakyBackend, name, value)
    return FlakyBackend


@pytest.fixture
def two_due_in_a_week(world):
    """Two disbursed financings of the world, both due on DUE."""
    first = _disbursed(world)
    second = FactoringFinancing.objects.get(pk=first.pk)
    second.pk = None
    second.reference = "FF-2026-00777"
    second.approval_case = None
    second.save()
    return first, second


def _subjects(financing):
    return [m.subject for m in mail.outbox if financing.reference in m.subject]


def test_a_reminder_whose_first_send_fails_is_retried_and_the_days_other_reminders_still_go(
        world, two_due_in_a_week, flaky_mail, django_capture_on_commit_callbacks):
    first, second = two_due_in_a_week
    flaky_mail.failures = 1
    mail.outbox = []

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        counts = run_daily(WEEK_BEFORE)

    assert counts["factoring.reminded"] == 2
    # After commit, one task for the chunk, which enqueues one mail task per financing.
    assert len(callbacks) == 1
    # Supplier and debtor each get one reminder per financing: the failed send was retried, not lost.
    assert _subjects(first) == [f"{first.reference} falls due in 7 day(s)"] * 2
    assert _subjects(second) == [f"{second.reference} falls due in 7 day(s)"] * 2
    assert flaky_mail.attempts == 5  # 4 mails delivered + 1 refused first attempt
    for financing in (first, second):
        financing.refresh_from_db()
        assert financing.reminded_days == [7]


def test_a_reminder_that_keeps_failing_is_logged_and_the_other_reminders_are_delivered(
        world, two_due_in_a_week, flaky_mail, django_capture_on_commit_callbacks, caplog):
    first, second = two_due_in_a_week
    flaky_mail.refused = first.reference
    mail.outbox = []

    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        assert jobs.send_maturity_reminders(WEEK_BEFORE) == 2

    assert _subjects(first) == []
    assert len(_subjects(second)) == 2
    assert flaky_mail.attempts == 6 + 2  # the first financing's mail tried 1 + 5 times; the second's 2 mails
    [gave_up] = [r for r in caplog.records if "gave up" in r.getMessage()]
    assert "send_maturity_reminder" in gave_up.getMessage() and str(first.pk) in gave_up.getMessage()
    # Running the day again sends nothing twice.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert jobs.send_maturity_reminders(WEEK_BEFORE) == 0
    assert callbacks == []


def test_the_buy_back_demand_is_retried_after_a_mail_error(world, flaky_mail, time_machine,
                                                          django_capture_on_commit_callbacks):
    financing = _disbursed(world)
    flaky_mail.failures = 1
    mail.outbox = []
    claim_day = datetime.date(2027, 3, 26)  # 31 days after the due date: past the 30 recourse days
    time_machine.move_to(datetime.datetime.combine(claim_day, datetime.time(1), tzinfo=datetime.UTC), tick=False)

    with django_capture_on_commit_callbacks(execute=True):
        assert run_daily(claim_day)["factoring.recourse"] == 1

    assert [m.subject for m in mail.outbox] == [f"Buy-back demanded on {financing.reference}"]
    assert mail.outbox[0].to == [world.supplier_user.email]
    assert flaky_mail.attempts == 2


def test_factoring_registers_its_daily_jobs_in_the_order_they_must_run():
    from scf.core.jobs import daily_jobs

    assert [job.name for job in daily_jobs() if job.name.startswith("factoring.")] == [
        "factoring.reminded", "factoring.overdue", "factoring.penalties", "factoring.recourse"]
