"""The approval matrix and four eyes (DESIGN §5)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from scf.core.exceptions import IllegalTransition
from scf.parties.models import Membership, StaffGroup
from tests.factories import MembershipFactory
from workflows.approval.exceptions import FourEyesViolation, NotYourTurn
from workflows.approval.models import ApprovalCase, ApprovalDecision, ApprovalTier
from workflows.approval.services import (
    approval_case_open,
    approval_case_resubmit,
    approval_decide,
    approvers_required,
)

pytestmark = pytest.mark.django_db
OFFICER, RISK, COMMITTEE = StaffGroup.CREDIT_OFFICER, StaffGroup.RISK_MANAGER, StaffGroup.CREDIT_COMMITTEE


@pytest.mark.parametrize("amount, groups", [
    ("0.01", [OFFICER]),
    ("1000000.00", [OFFICER]),
    ("1000000.01", [OFFICER, RISK]),
    ("10000000.00", [OFFICER, RISK]),
    ("10000000.01", [OFFICER, RISK, COMMITTEE]),
    ("999999999.99", [OFFICER, RISK, COMMITTEE]),
])
def test_the_default_matrix_by_amount(amount, groups):
    assert approvers_required(product="factoring", amount=Decimal(amount)) == groups


def test_a_product_tier_edited_by_an_admin_wins_over_the_default():
    ApprovalTier.objects.create(product="pledge", up_to_amount=None, groups=[RISK])
    assert approvers_required(product="pledge", amount=Decimal("5.00")) == [RISK]
    assert approvers_required(product="factoring", amount=Decimal("5.00")) == [OFFICER]


def test_a_tier_with_an_unknown_group_is_invalid():
    tier = ApprovalTier(product="pledge", up_to_amount=None, groups=["janitor"])
    with pytest.raises(ValidationError):
        tier.full_clean()


@pytest.fixture
def people(staff_user, corporate):
    applicant, supplier_user = corporate("applicant")
    return {
        "applicant": applicant,
        "preparer": staff_user(OFFICER, "preparer"),
        "officer": staff_user(OFFICER, "officer-a"),
        "officer2": staff_user(OFFICER, "officer-b"),
        "risk": staff_user(RISK, "risk-a"),
        "committee": staff_user(COMMITTEE, "committee-a"),
    }


def _case(people, amount="5000000.00"):
    return approval_case_open(product="factoring", amount=Decimal(amount), applicant=people["applicant"],
                              preparer=people["preparer"], reference="FF-TEST-1")


def test_a_mid_size_case_needs_an_officer_then_a_risk_manager(people):
    case = _case(people)
    approved = []
    approval_decide(case=case, approver=people["officer"], decision="approve", on_approved=approved.append)
    case.refresh_from_db()
    assert case.status == "pending" and approved == []
    with pytest.raises(NotYourTurn):
        approval_decide(case=case, approver=people["officer2"], decision="approve")
    approval_decide(case=case, approver=people["risk"], decision="approve", on_approved=approved.append)
    case.refresh_from_db()
    assert case.status == "approved" and [c.pk for c in approved] == [case.pk]


def test_the_preparer_cannot_approve(people):
    case = _case(people, "100.00")
    with pytest.raises(FourEyesViolation):
        approval_decide(case=case, approver=people["preparer"], decision="approve")
    assert ApprovalDecision.objects.count() == 0


def test_a_member_of_the_applicant_cannot_approve(people):
    MembershipFactory(user=people["officer"], organization=people["applicant"], role=Membership.Role.OPERATOR)
    case = _case(people, "100.00")
    with pytest.raises(FourEyesViolation):
        approval_decide(case=case, approver=people["officer"], decision="approve")


def test_the_same_person_cannot_give_two_approvals(people):
    people["officer"].groups.add(*people["risk"].groups.all())  # an officer who is also a risk manager
    people["officer"].__dict__.pop("_staff_groups", None)
    case = _case(people)
    approval_decide(case=case, approver=people["officer"], decision="approve")
    with pytest.raises(FourEyesViolation):
        approval_decide(case=case, approver=people["officer"], decision="approve")
    case.refresh_from_db()
    assert case.status == "pending"


def test_the_database_refuses_a_second_decision_by_one_person_and_one_by_the_preparer(people):
    case = _case(people)
    ApprovalDecision.objects.create(case=case, approver=people["officer"], preparer=people["preparer"],
                                    group=OFFICER, decision="approve")
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalDecision.objects.create(case=case, approver=people["officer"], preparer=people["preparer"],
                                        group=RISK, decision="approve")
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalDecision.objects.create(case=case, approver=people["preparer"], preparer=people["preparer"],
                                        group=RISK, decision="approve")
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalDecision.objects.create(case=case, approver=people["risk"], preparer=people["preparer"],
                                        group=RISK, decision="reject", comment="")


@pytest.mark.parametrize("decision", ["reject", "return"])
def test_reject_and_return_need_a_comment(people, decision):
    case = _case(people)
    with pytest.raises(ValidationError) as error:
        approval_decide(case=case, approver=people["officer"], decision=decision, comment="  ")
    assert "comment" in error.value.message_dict
    assert ApprovalDecision.objects.count() == 0


def test_a_rejected_case_takes_no_more_decisions(people):
    case = _case(people, "100.00")
    approval_decide(case=case, approver=people["officer"], decision="reject", comment="Debtor rating too low")
    with pytest.raises(IllegalTransition):
        approval_decide(case=case, approver=people["officer2"], decision="approve")
    case.refresh_from_db()
    assert case.status == ApprovalCase.Status.REJECTED


def test_a_returned_case_resubmitted_starts_a_new_round(people):
    case = _case(people, "100.00")
    approval_decide(case=case, approver=people["officer"], decision="return", comment="Add the invoices")
    case = approval_case_resubmit(case=case, acting_user=people["preparer"])
    assert (case.status, case.round) == ("pending", 2)
    approval_decide(case=case, approver=people["officer"], decision="approve")
    case.refresh_from_db()
    assert case.status == "approved"


def test_a_large_case_needs_three_distinct_people(people):
    case = _case(people, "25000000.00")
    assert case.required_groups == [OFFICER, RISK, COMMITTEE]
    for who in ("officer", "risk", "committee"):
        approval_decide(case=case, approver=people[who], decision="approve")
    case.refresh_from_db()
    assert case.status == "approved"
    assert len({d.approver_id for d in case.decisions.all()}) == 3
