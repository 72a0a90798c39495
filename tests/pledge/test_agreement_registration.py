"""Registration (中登网), deregistration and closing of a pledge agreement, each refusal naming what is missing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from viewflow.workflow.models import Task

from scf.core.exceptions import ActionNotPermitted
from workflows.inbox.models import CaseAttachment
from workflows.pledge import agreements
from workflows.pledge.exceptions import ClosingBlocked, RegistrationConflict
from workflows.pledge.models import CollateralIntake, PledgeAgreement, PledgedItem, WarehouseReceipt
from workflows.pledge.selectors import registration_in_force

from .agreement_setup import *  # noqa: F403
from .agreement_setup import D, approve_all, pdf, prepare, sign_all

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC), tick=False)


def _record(agreement, user, **overrides):
    values = {"number": "04123456000123456789", "registered_on": datetime.date(2026, 2, 27),
              "expires_on": datetime.date(2027, 2, 27), "evidence": pdf()}
    values.update(overrides)
    return agreements.registration_record(agreement=agreement, acting_user=user, **values)


def _held_item(world, agreement, status="pledged"):
    receipt = WarehouseReceipt.objects.create(warehouse=world.warehouse, number=f"WR-{status}", owner=world.pledgor,
                                              commodity=world.copper, quantity=D("100.000"), issued_on=TODAY,
                                              created_by=world.warehouse_user)
    intake = CollateralIntake.objects.create(agreement=agreement, reference=f"IN-{status}",
                                             declared_by=world.pledgor_user)
    return PledgedItem.objects.create(intake=intake, agreement=agreement, receipt=receipt, commodity=world.copper,
                                      declared_quantity=D("100.000"), status=status)


def test_operations_record_the_registration_with_its_certificate(world, active_agreement):
    registration = _record(active_agreement, world.ops)
    assert registration.number == "04123456000123456789"
    assert registration.evidence.content_type == "application/pdf"
    assert registration.evidence.organization == world.lender
    assert registration_in_force(active_agreement, TODAY)
    assert not registration_in_force(active_agreement, datetime.date(2027, 2, 27))  # expiry exclusive
    assert not registration_in_force(active_agreement, datetime.date(2026, 2, 26))


def test_no_registration_means_not_in_force(active_agreement):
    assert not registration_in_force(active_agreement, TODAY)


def test_registration_refusals(world, active_agreement):
    with pytest.raises(ActionNotPermitted):
        _record(active_agreement, world.pledgor_user)
    with pytest.raises(ValidationError) as excinfo:
        _record(active_agreement, world.ops, number=" ", expires_on=datetime.date(2026, 2, 27))
    assert set(excinfo.value.message_dict) == {"number", "expires_on"}
    with pytest.raises(ValidationError) as excinfo:
        _record(active_agreement, world.ops, registered_on=datetime.date(2026, 3, 3))
    assert "future" in excinfo.value.message_dict["registered_on"][0]
    with pytest.raises(ValidationError) as excinfo:
        _record(active_agreement, world.ops, evidence=SimpleUploadedFile("cert.pdf", b"not a pdf at all"))
    assert "evidence" in excinfo.value.message_dict
    assert not CaseAttachment.objects.exists()
    _record(active_agreement, world.ops)
    with pytest.raises(RegistrationConflict) as excinfo:
        _record(active_agreement, world.ops, evidence=pdf("second.pdf"))
    assert excinfo.value.http_status == 409 and "already recorded" in excinfo.value.message


def test_a_registration_needs_an_active_agreement(world, active_agreement):
    PledgeAgreement.objects.filter(pk=active_agreement.pk).update(state=PledgeAgreement.State.CONTRACT_ISSUED)
    with pytest.raises(RegistrationConflict):
        _record(active_agreement, world.ops)


def test_deregistration_refused_while_principal_is_outstanding_or_goods_are_held(world, active_agreement):
    _record(active_agreement, world.ops)
    PledgeAgreement.objects.filter(pk=active_agreement.pk).update(principal_outstanding=D("1200000.00"))
    item = _held_item(world, active_agreement, status="proposed")
    with pytest.raises(RegistrationConflict) as excinfo:
        agreements.registration_deregister(agreement=active_agreement, deregistered_on=TODAY,
                                           evidence=pdf("d.pdf"), acting_user=world.ops)
    assert "CNY 1,200,000.00" in excinfo.value.message
    assert "1 receipt(s) or lot(s)" in excinfo.value.message
    PledgeAgreement.objects.filter(pk=active_agreement.pk).update(principal_outstanding=D("0.00"))
    PledgedItem.objects.filter(pk=item.pk).update(status=PledgedItem.Status.RELEASED)
    with pytest.raises(ValidationError) as excinfo:
        agreements.registration_deregister(agreement=active_agreement, deregistered_on=datetime.date(2026, 2, 1),
                                           evidence=pdf("d.pdf"), acting_user=world.ops)
    assert "before the registration date" in excinfo.value.message_dict["deregistered_on"][0]
    registration = agreements.registration_deregister(agreement=active_agreement, deregistered_on=TODAY,
                                                      evidence=pdf("d.pdf"), acting_user=world.ops)
    assert registration.deregistered_on == TODAY and registration.deregistered_by == world.ops
    assert not registration_in_force(active_agreement, TODAY)
    with pytest.raises(RegistrationConflict):
        agreements.registration_deregister(agreement=active_agreement, deregistered_on=TODAY,
                                           evidence=pdf("e.pdf"), acting_user=world.ops)


def test_closing_names_everything_missing_then_closes(world, active_agreement):
    _record(active_agreement, world.ops)
    PledgeAgreement.objects.filter(pk=active_agreement.pk).update(principal_outstanding=D("10.00"),
                                                                  cash_margin=D("5.00"))
    _held_item(world, active_agreement)
    with pytest.raises(ClosingBlocked) as excinfo:
        agreements.agreement_close(agreement=active_agreement, acting_user=world.ops)
    message = excinfo.value.message
    assert excinfo.value.code == "pledge_closing_blocked"
    for missing in ("principal of CNY 10.00 is outstanding", "1 receipt(s) or lot(s) are still pledged",
                    "cash margin of CNY 5.00 is not returned", "registration 04123456000123456789 is not deregistered"):
        assert missing in message
    PledgeAgreement.objects.filter(pk=active_agreement.pk).update(principal_outstanding=0, cash_margin=0)
    PledgedItem.objects.update(status=PledgedItem.Status.RELEASED)
    agreements.registration_deregister(agreement=active_agreement, deregistered_on=TODAY, evidence=pdf("d.pdf"),
                                       acting_user=world.ops)
    closed = agreements.agreement_close(agreement=active_agreement, acting_user=world.ops, note="file complete")
    assert closed.state == PledgeAgreement.State.CLOSED and closed.closed_at == timezone.now()


def test_the_flow_runs_registration_then_closing_tasks(aw, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        agreement = approve_all(aw, prepare(aw))
    with django_capture_on_commit_callbacks(execute=True):
        sign_all(aw, agreement)
    agreement.refresh_from_db()
    assert agreement.state == PledgeAgreement.State.ACTIVE
    _record(agreement, aw.ops)
    assert not Task.objects.filter(flow_task__endswith="register", status__in=["NEW", "ASSIGNED"]).exists()
    assert Task.objects.filter(flow_task__endswith="repaid", status="NEW").exists()
    PledgeAgreement.objects.filter(pk=agreement.pk).update(principal_outstanding=D("1.00"))
    with pytest.raises(ClosingBlocked):
        agreements.agreement_wind_up(agreement=agreement, acting_user=aw.ops)
    PledgeAgreement.objects.filter(pk=agreement.pk).update(principal_outstanding=D("0.00"))
    assert agreements.agreement_wind_up(agreement=agreement, acting_user=aw.ops)
    assert Task.objects.filter(flow_task__endswith=".close", status="NEW").exists()
    agreements.registration_deregister(agreement=agreement, deregistered_on=TODAY, evidence=pdf("d.pdf"),
                                       acting_user=aw.ops)
    agreements.agreement_close(agreement=agreement, acting_user=aw.ops)
    assert not Task.objects.filter(status__in=["NEW", "ASSIGNED", "STARTED"]).exists()
