from celery import shared_task

from . import notifications, services
from .models import Organization


@shared_task(name="scf.parties.tasks.kyc_expire_due")
def kyc_expire_due() -> int:
    """Expire KYC files past their date (daily; safe to run twice)."""
    return services.kyc_expire_due()


@shared_task(name="scf.parties.tasks.kyc_notify", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def kyc_notify(*, organization_id: int, event: str) -> int:
    """Email the people concerned by a KYC event ("submitted" or "decided")."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    if event == "submitted":
        return notifications.send_kyc_submitted(organization)
    return notifications.send_kyc_decided(organization)
