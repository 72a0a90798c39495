from celery import shared_task
from django.utils import timezone

from . import jobs


@shared_task(name="workflows.factoring.tasks.factoring_daily")
def factoring_daily(on: str | None = None) -> dict[str, int]:
    """Run the daily factoring jobs for today (or the ISO date given); safe to run twice."""
    import datetime

    day = datetime.date.fromisoformat(on) if on else timezone.localdate()
    return jobs.factoring_daily(day)
