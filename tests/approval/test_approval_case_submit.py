"""Opening and resubmitting a case for a product, and four eyes across every party of it."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scf.audit.services import audited
from scf.core.exceptions import ActionNotPermitted
from scf.parties.models import Membership, StaffGroup
from tests.factories import LenderFactory, MembershipFactory, OrganizationFactory
from workflows.approval.exceptions import FourEyesViolation
from workflows.approval.models import ApprovalDecision
from workflows.approval.services import approval_case_submit, approval_decide, approval_next_group

pytestmark = pytest.mark.django_db
OFFICER, RISK = StaffGroup.CREDIT_OFFICER, StaffGroup.RISK_MANAGER


@pytest.fixture
def case_people(staff_user, lender):
    return {
        "lender": lender,
        "applicant": OrganizationFactory(legal_name="申请企业"),
        "debtor": OrganizationFactory(legal_name="核心企业"),
        "preparer": staff_user(OFFICER, "preparer"),
        "officer": staff_user(OFFICER, "officer-a"),
        "officer2": staff_user(OFFICER, "officer-b"),
        "risk": staff_user(RISK, "risk-a"),
    }


def _submit(p, amount="800000.00", case=None):
    return approval_case_submit(case=case, product="factoring", amount=Decimal(amount), currency="CNY",
                                applicant=p["applicant"], lender=p["lender"], parties=[p["debtor"]],
                                preparer=p["preparer"], reference="FF-T-1", acting_user=p["preparer"])


def test_a_new_case_knows_its_lender_and_every_party(case_people):
    case = _submit(case_people)
    assert case.lender == case_people["lender"]
    assert set(case.parties.all()) == {case_people["applicant"], case_people["debtor"]}
    assert (case.status, case.round, case.required_groups) == ("pending", 1, [OFFICER])


def test_a_member_of_any_party_cannot_decide(case_people):
    """Not only the applicant: in reverse factoring the supplier is a party too."""
    MembershipFactory(user=case_people["officer"], organization=case_people["debtor"],
                      role=Membership.Role.OPERATOR)
    case = _submit(case_people)
    with pytest.raises(FourEyesViolation):
        approval_decide(case=case, approver=case_people["officer"], decision="approve")
    assert ApprovalDecision.objects.count() == 0


def test_staff_of_another_lender_cannot_decide(case_people, db):
    other = LenderFactory(legal_name="另一银行")
    outsider = case_people["officer2"]
    Membership.objects.filter(user=outsider).update(organization=other)
    case = _submit(case_people)
    with pytest.raises(ActionNotPermitted, match="Only the staff of"):
        approval_decide(case=case, approver=outsider, decision="approve")
    assert ApprovalDecision.objects.count() == 0


def test_resubmitting_starts_a_new_round_for_the_new_amount_with_its_approvers(case_people):
    case = _submit(case_people)
    approval_decide(case=case, approver=case_people["officer"], decision="return", comment="More invoices")
    case = _submit(case_people, amount="1500000.00", case=case)
    case.refresh_from_db()
    assert (case.status, case.round, case.amount) == ("pending", 2, Decimal("1500000.00"))
    # Above 1,000,000 a risk manager approves too (DESIGN §5): the larger amount cannot slip through on one officer.
    assert case.required_groups == [OFFICER, RISK]
    approval_decide(case=case, approver=case_people["officer"], decision="approve")
    case.refresh_from_db()
    assert case.status == "pending"
    approval_decide(case=case, approver=case_people["risk"], decision="approve")
    case.refresh_from_db()
    assert case.status == "approved"


def test_whose_turn_it_is_is_known_within_the_unit_of_work_that_changed_it_and_asked_otherwise(case_people):
    case = _submit(case_people, amount="1500000.00")  # an officer, then a risk manager
    seen = []

    @audited
    def decide_and_ask():
        approval_decide(case=case, approver=case_people["officer"], decision="approve")
        with CaptureQueriesContext(connection) as queries:
            seen.append(approval_next_group(case))
        seen.append(len(queries))

    decide_and_ask()
    assert seen == [RISK, 0]  # the decision's unit of work knows the round has one approval
    # Outside it, the database is asked, whatever the object remembers.
    case.refresh_from_db()
    with CaptureQueriesContext(connection) as queries:
        assert approval_next_group(case) == RISK
    assert len(queries) == 1
    approval_decide(case=case, approver=case_people["risk"], decision="approve")
    case.refresh_from_db()
    assert approval_next_group(case) is None
