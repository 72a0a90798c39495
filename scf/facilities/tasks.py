from celery import shared_task

from . import services


@shared_task(name="scf.facilities.tasks.facilities_expire_due")
def facilities_expire_due() -> int:
    """Expire facilities past their validity (daily; safe to run twice)."""
    return services.facilities_expire_due()
