"""The KYC states that must stop money, for the gate tests of each service area."""

import datetime

import pytest
from django.utils import timezone

from scf.parties.models import Organization

# (state, days from today to the expiry date or None, the end of the refusal message)
LAPSES = [
    pytest.param("draft", None, "its KYC is draft, not verified.", id="draft"),
    pytest.param("submitted", None, "its KYC is submitted, not verified.", id="submitted"),
    pytest.param("rejected", None, "its KYC is rejected, not verified.", id="rejected"),
    pytest.param("expired", -30, "its KYC expired on {date}.", id="expired"),
    # Verified, but its date has passed and the daily job has not run yet.
    pytest.param("verified", -1, "its KYC expired on {date}.", id="verified-past-its-date"),
]


def lapse(organization: Organization, state: str, expires_in_days: int | None) -> str:
    """Put the organization's KYC in `state` (rows written directly); return its expiry date as text."""
    expires_on = None if expires_in_days is None else timezone.localdate() + datetime.timedelta(days=expires_in_days)
    Organization.objects.filter(pk=organization.pk).update(kyc_state=state, kyc_expires_on=expires_on)
    organization.refresh_from_db()
    return expires_on.isoformat() if expires_on else ""


def refusal(organization: Organization, ending: str, date: str) -> str:
    return f"{organization.legal_name} cannot be financed: {ending.format(date=date)}"
