from celery import shared_task

from scf.core.tasks import MailTask

from . import notifications
from .models import Organization


@shared_task(base=MailTask, name="scf.parties.tasks.kyc_notify")
def kyc_notify(*, organization_id: int, event: str) -> int:
    """Email the people concerned by a KYC event ("submitted" or "decided")."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    if event == "submitted":
        return notifications.send_kyc_submitted(organization)
    return notifications.send_kyc_decided(organization)
