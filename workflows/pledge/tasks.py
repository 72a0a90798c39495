"""Pledge mails and notices, run by Celery workers after the revaluation that opened them is committed."""

from celery import shared_task

from scf.core.tasks import MailTask


@shared_task(base=MailTask, name="workflows.pledge.tasks.issue_margin_call_notices")
def issue_margin_call_notices(*, call_ids: list[int]) -> int:
    """Render the margin call notices of a chunk of calls and mail the pledgors' people; retried on mail errors."""
    from .margin_call_notices import margin_call_notices_issue

    return margin_call_notices_issue(call_ids)


@shared_task(base=MailTask, name="workflows.pledge.tasks.issue_warning_notices")
def issue_warning_notices(*, notice_ids: list[int]) -> int:
    """Render the warning notices of a chunk and mail the pledgors' people; retried on mail errors."""
    from .margin_call_notices import warning_notices_issue

    return warning_notices_issue(notice_ids)
