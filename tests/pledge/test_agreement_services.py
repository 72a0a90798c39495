"""Pledge agreement services: terms per DESIGN §5, credit review with four eyes, contracts, activation."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from viewflow.workflow.models import Task

from documents.models import Document
from scf.audit.models import AuditRecord
from scf.core.exceptions import ActionNotPermitted
from scf.facilities.models import CreditFacility
from scf.parties.exceptions import KycNotVerified
from scf.parties.models import Organization
from tests.factories import OrganizationFactory
from workflows.approval.exceptions import FourEyesViolation, NotYourTurn
from workflows.approval.models import ApprovalCase
from workflows.pledge import agreements
from workflows.pledge.exceptions import AgreementStateConflict
from workflows.pledge.models import PledgeAgreement, WarehouseApproval

from .agreement_setup import *  # noqa: F403
from .agreement_setup import D, approve_all, prepare, sign_all, terms

pytestmark = pytest.mark.django_db
State = PledgeAgreement.State


def _errors(excinfo) -> dict:
    return excinfo.value.message_dict


def test_a_credit_officer_prepares_a_draft_on_the_pledge_facility(aw):
    agreement = prepare(aw)
    assert agreement.state == State.DRAFT
    assert agreement.reference == "PLA-2026-00001"
    assert agreement.facility == aw.facility and agreement.currency == "CNY"
    assert agreement.maximum_amount == D("3000000.00") and agreement.prepared_by == aw.officer
    assert AuditRecord.objects.filter(action="pledge.pledgeagreement.create", object_id=str(agreement.pk)).exists()


@pytest.mark.parametrize("overrides, field", [
    ({"pledge_rate": D("0")}, "pledge_rate"),
    ({"pledge_rate": D("1")}, "pledge_rate"),
    ({"warning_ltv": D("0")}, "warning_ltv"),
    ({"warning_ltv": D("0.71")}, "call_ltv"),  # w > c
    ({"call_ltv": D("0.81")}, "liquidation_ltv"),  # c > l
    ({"liquidation_ltv": D("1.01"), "call_ltv": D("0.9")}, "liquidation_ltv"),  # l > 1
    ({"maximum_amount": D("0")}, "maximum_amount"),
    ({"maximum_amount": D("5000000.01")}, "maximum_amount"),  # above the facility limit
    ({"end_date": datetime.date(2026, 1, 5)}, "end_date"),  # not after the start
    ({"cure_days": 0}, "cure_days"),
    ({"annual_rate": D("0")}, "annual_rate"),
    ({"kind": "floating"}, "kind"),
])
def test_invalid_terms_are_refused_by_field_and_nothing_is_stored(aw, overrides, field):
    with pytest.raises(ValidationError) as excinfo:
        prepare(aw, **overrides)
    assert field in _errors(excinfo)
    assert not PledgeAgreement.objects.exists()


def test_the_boundaries_are_valid_w_equals_c_equals_l_equals_1_and_the_maximum_equal_to_the_limit(aw):
    agreement = prepare(aw, warning_ltv=D("1"), call_ltv=D("1"), liquidation_ltv=D("1"),
                        maximum_amount=D("5000000.00"))
    assert agreement.liquidation_ltv == 1


def test_another_currency_than_the_facilitys_is_refused(aw):
    with pytest.raises(ValidationError) as excinfo:
        agreements.agreement_create(lender=aw.lender, pledgor=aw.pledgor, warehouse=aw.warehouse,
                                    acting_user=aw.officer, currency="USD", **terms())
    assert "CNY" in _errors(excinfo)["currency"][0]


def test_a_pledgor_without_an_active_pledge_facility_is_refused(aw):
    CreditFacility.objects.filter(pk=aw.facility.pk).update(state=CreditFacility.State.FROZEN)
    with pytest.raises(ValidationError) as excinfo:
        prepare(aw)
    assert "no active pledge facility" in _errors(excinfo)["pledgor"][0]


def test_a_warehouse_the_lender_did_not_approve_is_refused(aw):
    other = OrganizationFactory(is_warehouse=True, is_supplier=False)
    with pytest.raises(ValidationError) as excinfo:
        agreements.agreement_create(lender=aw.lender, pledgor=aw.pledgor, warehouse=other, acting_user=aw.officer,
                                    **terms())
    assert "not a warehouse approved" in _errors(excinfo)["warehouse"][0]


def test_only_the_lenders_credit_staff_prepare(aw):
    with pytest.raises(ActionNotPermitted):
        agreements.agreement_create(lender=aw.lender, pledgor=aw.pledgor, warehouse=aw.warehouse,
                                    acting_user=aw.pledgor_user, **terms())


def test_an_unverified_pledgor_is_refused(aw):
    Organization.objects.filter(pk=aw.pledgor.pk).update(kyc_state=Organization.KycState.SUBMITTED)
    aw.pledgor.refresh_from_db()
    with pytest.raises(KycNotVerified):
        prepare(aw)


def test_edit_while_draft_then_not_under_review(aw):
    agreement = prepare(aw)
    agreements.agreement_update(agreement=agreement, acting_user=aw.officer, pledge_rate=D("0.55"))
    agreement.refresh_from_db()
    assert agreement.pledge_rate == D("0.55")
    with pytest.raises(ValidationError):
        agreements.agreement_update(agreement=agreement, acting_user=aw.officer, call_ltv=D("0.60"))
    agreements.agreement_submit(agreement=agreement, acting_user=aw.officer)
    with pytest.raises(AgreementStateConflict) as excinfo:
        agreements.agreement_update(agreement=agreement, acting_user=aw.officer, pledge_rate=D("0.50"))
    assert excinfo.value.code == "pledge_agreement_state" and excinfo.value.http_status == 409


def test_submit_opens_an_approval_case_for_the_maximum_amount_with_both_parties(aw):
    agreement = agreements.agreement_submit(agreement=prepare(aw), acting_user=aw.officer)
    case = agreement.approval_case
    assert agreement.state == State.UNDER_REVIEW
    assert (case.product, case.amount, case.applicant) == ("pledge", D("3000000.00"), aw.pledgor)
    assert set(case.parties.values_list("pk", flat=True)) == {aw.pledgor.pk, aw.warehouse.pk}
    assert case.required_groups == ["credit_officer", "risk_manager"]
    assert Task.objects.filter(flow_task__contains="review", status="NEW").count() == 1


def test_four_eyes_the_preparer_and_the_parties_members_cannot_decide(aw):
    agreement = agreements.agreement_submit(agreement=prepare(aw), acting_user=aw.officer)
    with pytest.raises(FourEyesViolation):
        agreements.agreement_review_decide(agreement=agreement, approver=aw.officer, decision="approve")
    with pytest.raises(NotYourTurn):  # the risk manager decides after the credit officer
        agreements.agreement_review_decide(agreement=agreement, approver=aw.risk2, decision="approve")
    agreements.agreement_review_decide(agreement=agreement, approver=aw.officer2, decision="approve")
    with pytest.raises(FourEyesViolation):
        agreements.agreement_review_decide(agreement=agreement, approver=aw.officer2, decision="approve")
    agreement.refresh_from_db()
    assert agreement.state == State.UNDER_REVIEW


def test_return_then_resubmit_then_reject(aw):
    agreement = agreements.agreement_submit(agreement=prepare(aw), acting_user=aw.officer)
    with pytest.raises(ValidationError):  # a return needs a comment
        agreements.agreement_review_decide(agreement=agreement, approver=aw.officer2, decision="return")
    agreement = agreements.agreement_review_decide(agreement=agreement, approver=aw.officer2, decision="return",
                                                   comment="Lower the pledge rate for copper.")
    assert agreement.state == State.RETURNED
    revise = Task.objects.get(flow_task__contains="revise", status__in=["NEW", "ASSIGNED"])
    assert revise.owner == aw.officer  # back to whoever prepared it
    agreements.agreement_update(agreement=agreement, acting_user=aw.officer, pledge_rate=D("0.55"))
    agreement = agreements.agreement_submit(agreement=agreement, acting_user=aw.officer, note="rate lowered")
    assert agreement.state == State.UNDER_REVIEW and agreement.approval_case.round == 2
    agreement = agreements.agreement_review_decide(agreement=agreement, approver=aw.officer2, decision="reject",
                                                   comment="Concentration too high.")
    assert agreement.state == State.REJECTED
    assert agreement.approval_case.status == ApprovalCase.Status.REJECTED


def test_cancel_needs_a_reason_and_not_after_review_started(aw):
    agreement = prepare(aw)
    with pytest.raises(ValidationError):
        agreements.agreement_cancel(agreement=agreement, acting_user=aw.officer, note=" ")
    agreements.agreement_submit(agreement=agreement, acting_user=aw.officer)
    with pytest.raises(AgreementStateConflict):
        agreements.agreement_cancel(agreement=agreement, acting_user=aw.officer, note="client withdrew")
    draft = prepare(aw)
    assert agreements.agreement_cancel(agreement=draft, acting_user=aw.officer,
                                       note="client withdrew").state == State.CANCELLED


def test_approval_issues_three_contracts_and_all_signatures_activate(aw, django_capture_on_commit_callbacks):
    agreement = prepare(aw)
    with django_capture_on_commit_callbacks(execute=True):
        agreement = approve_all(aw, agreement)
    agreement.refresh_from_db()
    assert agreement.state == State.CONTRACT_ISSUED
    documents = Document.objects.filter(object_id=agreement.pk, kind__in=agreements.CONTRACT_KINDS)
    assert sorted(documents.values_list("kind", flat=True)) == sorted(agreements.CONTRACT_KINDS)
    assert set(documents.values_list("state", flat=True)) == {Document.State.ISSUED}
    supervision = documents.get(kind="pledge_supervision_agreement")
    assert set(supervision.document_parties.filter(must_sign=True).values_list("organization_id", flat=True)) == {
        aw.lender.pk, aw.pledgor.pk, aw.warehouse.pk}
    loan = documents.get(kind="pledge_loan_agreement")
    assert not loan.document_parties.filter(organization=aw.warehouse).exists()
    sign_tasks = Task.objects.filter(flow_task__contains="sign_", status="NEW")
    assert sign_tasks.count() == 3

    with django_capture_on_commit_callbacks(execute=True):
        sign_all(aw, agreement, skip={aw.warehouse.pk})
    agreement.refresh_from_db()
    assert agreement.state == State.CONTRACT_ISSUED  # the warehouse has not signed the supervision agreement
    with django_capture_on_commit_callbacks(execute=True):
        sign_all(aw, agreement)
    agreement.refresh_from_db()
    assert agreement.state == State.ACTIVE and agreement.activated_at is not None
    assert Task.objects.filter(flow_task__contains="register", status="NEW").count() == 1


def test_a_warehouse_named_in_a_revision_becomes_a_party_of_the_case(aw, staff_user):
    agreement = agreements.agreement_submit(agreement=prepare(aw), acting_user=aw.officer)
    agreements.agreement_review_decide(agreement=agreement, approver=aw.officer2, decision="return",
                                       comment="Use the Taicang warehouse.")
    other = OrganizationFactory(is_warehouse=True, is_supplier=False)
    WarehouseApproval.objects.create(lender=aw.lender, warehouse=other, concentration_limit=D("1000000.00"))
    agreements.agreement_update(agreement=agreement, acting_user=aw.officer, warehouse=other)
    agreement = agreements.agreement_submit(agreement=agreement, acting_user=aw.officer)
    assert set(agreement.approval_case.parties.values_list("pk", flat=True)) >= {aw.pledgor.pk, other.pk}
