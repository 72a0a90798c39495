"""A KYC file is reviewed with its business licence, and a review holds for the validity period at most."""

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from scf.parties import services
from scf.parties.demo import MINIMAL_PDF
from scf.parties.exceptions import KycIncomplete
from scf.parties.models import Organization, StaffGroup

pytestmark = pytest.mark.django_db


def _upload(organization, user, kind):
    services.kyc_document_upload(organization=organization, kind=kind, acting_user=user,
                                 uploaded_file=SimpleUploadedFile(f"{kind}.pdf", MINIMAL_PDF))


def test_a_file_without_the_business_licence_is_not_submitted(corporate):
    organization, user = corporate("sup", kyc_state="draft")
    _upload(organization, user, "legal_rep_id")
    with pytest.raises(KycIncomplete) as error:
        services.kyc_submit(organization=organization, acting_user=user)
    assert "business licence" in error.value.message
    organization.refresh_from_db()
    assert organization.kyc_state == Organization.KycState.DRAFT
    _upload(organization, user, "business_licence")
    assert services.kyc_submit(organization=organization, acting_user=user).kyc_state == "submitted"


def test_a_review_holds_for_the_validity_period_at_most(corporate, staff_user):
    organization, user = corporate("sup", kyc_state="draft")
    _upload(organization, user, "business_licence")
    services.kyc_submit(organization=organization, acting_user=user)
    officer = staff_user(StaffGroup.CREDIT_OFFICER, "officer")
    longest = timezone.localdate() + datetime.timedelta(days=settings.KYC_VALIDITY_DAYS)
    with pytest.raises(ValidationError) as error:
        services.kyc_verify(organization=organization, acting_user=officer, expires_on=datetime.date(2099, 12, 31))
    assert longest.isoformat() in error.value.message_dict["expires_on"][0]
    organization.refresh_from_db()
    assert organization.kyc_state == "submitted"
    verified = services.kyc_verify(organization=organization, acting_user=officer, expires_on=longest)
    assert (verified.kyc_state, verified.kyc_expires_on) == ("verified", longest)
