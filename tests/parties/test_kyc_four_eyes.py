"""KYC four eyes: whoever submitted a file (the client, or lender staff onboarding it) never verifies it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from scf.audit.models import AuditRecord
from scf.core.exceptions import ActionNotPermitted
from scf.parties import services
from scf.parties.demo import MINIMAL_PDF
from scf.parties.exceptions import KycFourEyes
from scf.parties.models import Membership, Organization, StaffGroup

from ..factories import LenderFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_reset():
    """A request in Chinese leaves Chinese active in this thread: reset it for the tests after this one."""
    yield
    translation.deactivate()


def _upload(organization, user):
    return services.kyc_document_upload(organization=organization, kind="business_licence",
                                        uploaded_file=SimpleUploadedFile("licence.pdf", MINIMAL_PDF),
                                        acting_user=user)


def client_for(user, language="en") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


@pytest.fixture
def client_org(lender):
    # Created after the `lender` fixture: the lender has it as a client (onboarded).
    return OrganizationFactory(legal_name="宁波海达钢材有限公司", kyc_state="draft")


@pytest.fixture
def officer2(staff_user):
    return staff_user(StaffGroup.CREDIT_OFFICER, "officer-two")


def test_lender_staff_prepare_a_clients_kyc_and_are_recorded_as_submitter(client_org, credit_officer):
    _upload(client_org, credit_officer)
    services.kyc_submit(organization=client_org, acting_user=credit_officer)

    client_org.refresh_from_db()
    assert (client_org.kyc_state, client_org.kyc_submitted_by) == ("submitted", credit_officer)
    assert client_org.kyc_submitted_at is not None
    assert AuditRecord.objects.filter(action="parties.organization.kyc_submit", actor=credit_officer).exists()


def test_the_submitter_cannot_verify_but_a_second_person_can(client_org, credit_officer, officer2):
    _upload(client_org, credit_officer)
    services.kyc_submit(organization=client_org, acting_user=credit_officer)

    with pytest.raises(KycFourEyes) as error:
        services.kyc_verify(organization=client_org, acting_user=credit_officer)
    assert (error.value.code, error.value.http_status) == ("kyc_four_eyes", 409)
    assert not services.kyc_can_verify(credit_officer, client_org)
    client_org.refresh_from_db()
    assert client_org.kyc_state == "submitted"

    assert services.kyc_can_verify(officer2, client_org)
    services.kyc_verify(organization=client_org, acting_user=officer2)
    client_org.refresh_from_db()
    assert (client_org.kyc_state, client_org.kyc_verified_by) == ("verified", officer2)


def test_the_submitter_may_still_reject_their_own_file(client_org, credit_officer):
    _upload(client_org, credit_officer)
    services.kyc_submit(organization=client_org, acting_user=credit_officer)
    services.kyc_reject(organization=client_org, acting_user=credit_officer, note="Licence page 2 missing")
    client_org.refresh_from_db()
    assert client_org.kyc_state == "rejected"


def test_the_database_refuses_a_verifier_who_is_the_submitter(client_org, credit_officer):
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.filter(pk=client_org.pk).update(kyc_submitted_by=credit_officer,
                                                             kyc_verified_by=credit_officer)


def test_resubmitting_clears_the_earlier_verifier(client_org, credit_officer, officer2):
    # officer2 verified the first file; a year later officer2 submits the renewal, credit_officer verifies it.
    _upload(client_org, credit_officer)
    services.kyc_submit(organization=client_org, acting_user=credit_officer)
    services.kyc_verify(organization=client_org, acting_user=officer2)
    Organization.objects.filter(pk=client_org.pk).update(kyc_state="expired")
    client_org.refresh_from_db()

    services.kyc_submit(organization=client_org, acting_user=officer2)
    client_org.refresh_from_db()
    assert (client_org.kyc_submitted_by, client_org.kyc_verified_by) == (officer2, None)
    with pytest.raises(KycFourEyes):
        services.kyc_verify(organization=client_org, acting_user=officer2)
    services.kyc_verify(organization=client_org, acting_user=credit_officer)


def test_staff_without_the_right_or_of_another_lender_cannot_prepare(client_org, staff_user):
    ops = staff_user(StaffGroup.OPERATIONS, "ops")
    with pytest.raises(ActionNotPermitted):
        _upload(client_org, ops)
    other_lender = LenderFactory()
    foreign = UserFactory(username="foreign-officer")
    from django.contrib.auth.models import Group
    foreign.groups.add(Group.objects.get(name=StaffGroup.CREDIT_OFFICER))
    MembershipFactory(user=foreign, organization=other_lender, role=Membership.Role.OPERATOR)
    assert not services.kyc_can_prepare(foreign, client_org)
    with pytest.raises(ActionNotPermitted):
        services.kyc_submit(organization=client_org, acting_user=foreign)


def test_a_client_submits_and_any_reviewer_verifies(client_org, credit_officer):
    clerk = UserFactory(username="clerk")
    MembershipFactory(user=clerk, organization=client_org, role=Membership.Role.OPERATOR)
    _upload(client_org, clerk)
    services.kyc_submit(organization=client_org, acting_user=clerk)
    services.kyc_verify(organization=client_org, acting_user=credit_officer)
    client_org.refresh_from_db()
    assert (client_org.kyc_submitted_by, client_org.kyc_verified_by) == (clerk, credit_officer)


# --- pages --------------------------------------------------------------------------------------

def _detail(organization):
    return reverse("portal:organization-detail", kwargs={"organization_pk": organization.pk})


def test_staff_onboard_from_the_page_and_the_verify_button_is_not_offered_to_them(client_org, credit_officer,
                                                                                   officer2):
    page = client_for(credit_officer).get(_detail(client_org)).content.decode()
    assert reverse("portal:kyc-upload", kwargs={"organization_pk": client_org.pk}) in page
    upload = client_for(credit_officer).post(
        reverse("portal:kyc-upload", kwargs={"organization_pk": client_org.pk}),
        {"kind": "business_licence", "file": SimpleUploadedFile("licence.pdf", MINIMAL_PDF)})
    assert upload.status_code == 302
    client_for(credit_officer).post(reverse("portal:kyc-submit", kwargs={"organization_pk": client_org.pk}))
    client_org.refresh_from_db()
    assert client_org.kyc_submitted_by == credit_officer

    verify_url = reverse("portal:kyc-verify", kwargs={"organization_pk": client_org.pk})
    mine = client_for(credit_officer).get(_detail(client_org)).content.decode()
    assert verify_url not in mine
    assert "You submitted this KYC file: a second person verifies it." in mine
    other = client_for(officer2).get(_detail(client_org)).content.decode()
    assert verify_url in other and "Submitted by officer" in other

    refused = client_for(credit_officer).post(verify_url, follow=True).content.decode()
    assert "a second person must verify it" in refused
    client_org.refresh_from_db()
    assert client_org.kyc_state == "submitted"


def test_the_page_in_chinese(client_org, credit_officer):
    _upload(client_org, credit_officer)
    services.kyc_submit(organization=client_org, acting_user=credit_officer)
    page = client_for(credit_officer, "zh-hans").get(_detail(client_org)).content.decode()
    assert "此 KYC 档案由您提交，须由另一人复核。" in page
    refused = client_for(credit_officer, "zh-hans").post(
        reverse("portal:kyc-verify", kwargs={"organization_pk": client_org.pk}), follow=True).content.decode()
    assert "须由另一人复核" in refused


# --- migration ----------------------------------------------------------------------------------

def test_the_migration_records_the_submitter_of_files_under_review_from_the_audit_trail(client_org, credit_officer,
                                                                                          officer2):
    import importlib

    from django.apps import apps

    backfill = importlib.import_module(
        "scf.parties.migrations.0008_kyc_submitted_and_verified_by").submitters_from_the_audit_trail
    _upload(client_org, credit_officer)
    services.kyc_submit(organization=client_org, acting_user=credit_officer)
    verified = OrganizationFactory(kyc_state="draft")
    _upload(verified, credit_officer)
    services.kyc_submit(organization=verified, acting_user=credit_officer)
    services.kyc_verify(organization=verified, acting_user=officer2)
    # As the rows stood before the migration: nobody recorded.
    Organization.objects.update(kyc_submitted_by=None, kyc_submitted_at=None, kyc_verified_by=None)

    backfill(apps, None)

    client_org.refresh_from_db()
    verified.refresh_from_db()
    assert client_org.kyc_submitted_by == credit_officer and client_org.kyc_submitted_at is not None
    assert verified.kyc_submitted_by is None  # verified files are left as they were
    with pytest.raises(KycFourEyes):
        services.kyc_verify(organization=client_org, acting_user=credit_officer)
