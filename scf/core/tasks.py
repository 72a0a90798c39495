import datetime
import logging
from smtplib import SMTPException

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.utils import timezone

from . import jobs

logger = logging.getLogger(__name__)


@shared_task(name="scf.core.tasks.run_daily")
def run_daily(on: str | None = None) -> dict[str, int]:
    """Run every product's daily jobs for today (or the ISO date given); safe to run twice."""
    day = datetime.date.fromisoformat(on) if on else timezone.localdate()
    return jobs.run_daily(day)


class MailTask(DjangoTask):
    """Base of the tasks that send mail: SMTP and network errors retry the task, with backoff.

    On a worker a failed attempt is retried up to five times, after at most 1, 2, 4, 8 and 10
    minutes (random within each bound, so that many mails do not retry at once); a mail still
    failing after that is a failed task, logged by the worker.

    Eager Celery (no broker) runs the task inside the sender's on_commit callback. There, with
    task_eager_propagates on (our setting, so that errors are not hidden), Celery does not retry:
    the first retry surfaces as a `Retry` exception in the sender (celery/celery#4661), which
    would stop the mails after it, e.g. a daily job's other reminders. So a mail task runs
    eagerly without propagating: Celery's eager loop then retries it at once, a mail still
    failing after the last retry is logged and given up, and any other error still propagates.
    """

    autoretry_for = (SMTPException, OSError)
    retry_backoff = 60
    max_retries = 5

    def apply(self, args=None, kwargs=None, *, throw=None, **options):
        result = super().apply(args, kwargs, throw=False, **options)
        if options.get("retries") or not result.failed():
            return result  # a retry hands its outcome back to the first attempt, which deals with it
        if isinstance(result.result, self.autoretry_for):
            logger.error("%s gave up after %d retries (%s): %r", self.name, self.max_retries, kwargs, result.result)
        elif throw if throw is not None else self.app.conf.task_eager_propagates:
            result.maybe_throw()
        return result
