import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from scf.audit.models import AuditRecord
from scf.core.exceptions import ActionNotPermitted, IllegalTransition
from scf.parties import services
from scf.parties.demo import MINIMAL_PDF
from scf.parties.exceptions import KycIncomplete
from scf.parties.models import KycDocument, Organization

pytestmark = pytest.mark.django_db


def _upload(organization, user, content=MINIMAL_PDF, name="licence.pdf"):
    return services.kyc_document_upload(organization=organization, kind="business_licence",
                                        uploaded_file=SimpleUploadedFile(name, content), acting_user=user)


def test_kyc_submit_without_documents_is_refused(corporate):
    organization, user = corporate("sup", kyc_state="draft")
    with pytest.raises(KycIncomplete):
        services.kyc_submit(organization=organization, acting_user=user)
    organization.refresh_from_db()
    assert organization.kyc_state == Organization.KycState.DRAFT


def test_kyc_upload_refuses_a_disguised_file_and_stores_nothing(corporate):
    organization, user = corporate("sup", kyc_state="draft")
    with pytest.raises(ValidationError) as error:
        _upload(organization, user, content=b"#!/bin/sh\nrm -rf /\n", name="licence.pdf")
    assert "file" in error.value.message_dict
    assert KycDocument.objects.count() == 0


def test_kyc_upload_by_someone_outside_the_organization_is_refused(corporate):
    organization, _user = corporate("sup", kyc_state="draft")
    _other_org, outsider = corporate("outsider", kyc_state="draft")
    with pytest.raises(ActionNotPermitted):
        _upload(organization, outsider)
    assert KycDocument.objects.count() == 0


def test_kyc_full_cycle_submit_verify_records_each_transition_once(corporate, risk_manager):
    organization, user = corporate("sup", kyc_state="draft")
    _upload(organization, user)
    services.kyc_submit(organization=organization, acting_user=user)
    with time_machine.travel(datetime.datetime(2026, 11, 24, 10, 0, tzinfo=datetime.timezone.utc)):
        services.kyc_verify(organization=organization, acting_user=risk_manager, note="checked")
    organization.refresh_from_db()
    assert organization.kyc_state == Organization.KycState.VERIFIED
    assert organization.kyc_expires_on == datetime.date(2027, 11, 24)  # 365 days after 2026-11-24
    transitions = AuditRecord.objects.filter(action__startswith="parties.organization.kyc_").order_by("seq")
    assert [(r.source_state, r.target_state, r.actor_username) for r in transitions] == [
        ("draft", "submitted", "sup"),
        ("submitted", "verified", "risk"),
    ]


def test_kyc_verify_by_the_organizations_own_user_is_refused(corporate):
    organization, user = corporate("sup", kyc_state="draft")
    _upload(organization, user)
    services.kyc_submit(organization=organization, acting_user=user)
    with pytest.raises(ActionNotPermitted):
        services.kyc_verify(organization=organization, acting_user=user)
    organization.refresh_from_db()
    assert organization.kyc_state == Organization.KycState.SUBMITTED


def test_kyc_reject_needs_a_reason(corporate, risk_manager):
    organization, user = corporate("sup", kyc_state="draft")
    _upload(organization, user)
    services.kyc_submit(organization=organization, acting_user=user)
    with pytest.raises(ValidationError) as error:
        services.kyc_reject(organization=organization, acting_user=risk_manager, note="  ")
    assert "note" in error.value.message_dict
    services.kyc_reject(organization=organization, acting_user=risk_manager, note="Licence expired")
    organization.refresh_from_db()
    assert organization.kyc_state == Organization.KycState.REJECTED
    assert organization.kyc_note == "Licence expired"


def test_kyc_verify_twice_is_an_illegal_transition(corporate, risk_manager):
    organization, user = corporate("sup", kyc_state="draft")
    _upload(organization, user)
    services.kyc_submit(organization=organization, acting_user=user)
    services.kyc_verify(organization=organization, acting_user=risk_manager)
    with pytest.raises(IllegalTransition):
        services.kyc_verify(organization=organization, acting_user=risk_manager)


def test_kyc_expire_due_expires_once_and_is_idempotent(corporate, risk_manager):
    organization, user = corporate("sup", kyc_state="draft")
    _upload(organization, user)
    services.kyc_submit(organization=organization, acting_user=user)
    services.kyc_verify(organization=organization, acting_user=risk_manager,
                        expires_on=datetime.date.today() + datetime.timedelta(days=10))
    assert services.kyc_expire_due(today=datetime.date.today() + datetime.timedelta(days=10)) == 0
    day_after = datetime.date.today() + datetime.timedelta(days=11)
    assert services.kyc_expire_due(today=day_after) == 1
    assert services.kyc_expire_due(today=day_after) == 0
    organization.refresh_from_db()
    assert organization.kyc_state == Organization.KycState.EXPIRED
    assert AuditRecord.objects.filter(action="parties.organization.kyc_expire").count() == 1


def test_organization_create_rejects_a_wrong_credit_code_and_stores_nothing():
    with pytest.raises(ValidationError) as error:
        services.organization_create(legal_name="坏代码有限公司", uscc="91110000600037341M", roles=["supplier"],
                                     acting_user=None)
    assert "uscc" in error.value.message_dict
    assert Organization.objects.count() == 0


def test_organization_create_needs_a_role():
    with pytest.raises(ValidationError) as error:
        services.organization_create(legal_name="无角色有限公司", uscc="91110000600037341L", roles=[],
                                     acting_user=None)
    assert "roles" in error.value.message_dict
