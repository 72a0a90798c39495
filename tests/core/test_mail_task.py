"""MailTask under eager Celery: mail errors are retried at once, then given up and logged; others propagate."""

import logging
from smtplib import SMTPServerDisconnected

import pytest

from scf.celery import app
from scf.core.tasks import MailTask

attempts: list[str] = []


@app.task(base=MailTask, name="tests.core.send_flaky_mail")
def send_flaky_mail(*, outcomes: list[str]) -> int:
    """Fail or succeed as the next outcome says ("smtp", "bug" or "sent")."""
    outcome = outcomes[len(attempts)] if len(attempts) < len(outcomes) else outcomes[-1]
    attempts.append(outcome)
    if outcome == "smtp":
        raise SMTPServerDisconnected("Connection unexpectedly closed")
    if outcome == "bug":
        raise KeyError("not a mail error")
    return 1


@pytest.fixture(autouse=True)
def fresh_attempts():
    attempts.clear()


def test_a_mail_failing_twice_is_retried_and_sent():
    result = send_flaky_mail.delay(outcomes=["smtp", "smtp", "sent"])

    assert (result.successful(), result.result) == (True, 1)
    assert attempts == ["smtp", "smtp", "sent"]


def test_a_mail_failing_on_every_attempt_is_given_up_and_logged_without_raising(caplog):
    with caplog.at_level(logging.ERROR, logger="scf.core.tasks"):
        result = send_flaky_mail.delay(outcomes=["smtp"])

    assert result.failed()
    assert len(attempts) == 1 + MailTask.max_retries
    assert [r.getMessage() for r in caplog.records if r.name == "scf.core.tasks"] == [
        "tests.core.send_flaky_mail gave up after 5 retries ({'outcomes': ['smtp']}): "
        "SMTPServerDisconnected('Connection unexpectedly closed')"]


def test_an_error_that_is_not_a_mail_error_still_propagates_in_eager_mode():
    with pytest.raises(KeyError):
        send_flaky_mail.delay(outcomes=["bug"])
    assert attempts == ["bug"]


def test_a_bug_after_a_retry_still_propagates():
    with pytest.raises(KeyError):
        send_flaky_mail.delay(outcomes=["smtp", "bug"])
    assert attempts == ["smtp", "bug"]
