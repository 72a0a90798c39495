"""Emails about KYC, sent by Celery after the change is committed."""

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from .models import Organization, StaffGroup, User


def kyc_reviewers() -> list[User]:
    return list(User.objects.filter(is_active=True, groups__name__in=[StaffGroup.CREDIT_OFFICER,
                                                                       StaffGroup.RISK_MANAGER])
                .exclude(email="").distinct())


def send_kyc_submitted(organization: Organization) -> int:
    """Tell the reviewers that a KYC file waits for them; return the number of emails sent."""
    sent = 0
    for reviewer in kyc_reviewers():
        with translation.override(reviewer.preferred_language):
            sent += send_mail(
                _("KYC file submitted: %(org)s") % {"org": organization.legal_name},
                _("%(org)s (%(uscc)s) submitted its KYC file for review.")
                % {"org": organization.legal_name, "uscc": organization.uscc},
                settings.DEFAULT_FROM_EMAIL, [reviewer.email],
            )
    return sent


def send_kyc_decided(organization: Organization) -> int:
    """Tell the organization's people the outcome of the KYC review."""
    sent = 0
    users = User.objects.filter(memberships__organization=organization, is_active=True).exclude(email="").distinct()
    for user in users:
        with translation.override(user.preferred_language):
            sent += send_mail(
                _("KYC review: %(state)s") % {"state": organization.get_kyc_state_display()},
                _("The KYC file of %(org)s is now %(state)s. %(note)s")
                % {"org": organization.legal_name, "state": organization.get_kyc_state_display(),
                   "note": organization.kyc_note},
                settings.DEFAULT_FROM_EMAIL, [user.email],
            )
    return sent
