"""The one KYC gate: verified and not past its expiry date, or refused with the state named."""

import datetime

import pytest
from django.utils import timezone, translation

from scf.parties.exceptions import KycNotVerified
from scf.parties.services import kyc_require_verified
from tests.factories import OrganizationFactory
from tests.kyc import LAPSES, lapse, refusal

pytestmark = pytest.mark.django_db


def test_a_verified_kyc_passes_up_to_and_including_its_expiry_date():
    organization = OrganizationFactory()
    lapse(organization, "verified", 0)

    kyc_require_verified(organization)
    with pytest.raises(KycNotVerified):
        kyc_require_verified(organization, on=timezone.localdate() + datetime.timedelta(days=1))


@pytest.mark.parametrize(("state", "expires_in", "ending"), LAPSES)
def test_a_kyc_not_verified_or_expired_is_refused_with_its_state_and_a_stable_code(state, expires_in, ending):
    organization = OrganizationFactory(legal_name="上海某某有限公司")
    date = lapse(organization, state, expires_in)

    with pytest.raises(KycNotVerified) as refused:
        kyc_require_verified(organization)

    assert refused.value.message == refusal(organization, ending, date)
    assert (refused.value.code, refused.value.http_status) == ("kyc_not_verified", 409)
    assert refused.value.context["organization"] == organization.pk


def test_the_refusal_is_translated():
    organization = OrganizationFactory(legal_name="上海某某有限公司")
    lapse(organization, "submitted", None)

    with translation.override("zh-hans"), pytest.raises(KycNotVerified) as refused:
        kyc_require_verified(organization)

    assert "上海某某有限公司" in refused.value.message
    assert "cannot be financed" not in refused.value.message
