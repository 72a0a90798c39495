from celery import shared_task

from . import services


@shared_task(name="scf.parties.tasks.kyc_expire_due")
def kyc_expire_due() -> int:
    """Expire KYC files past their date (daily; safe to run twice)."""
    return services.kyc_expire_due()
