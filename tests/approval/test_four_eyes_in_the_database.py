"""The database refuses a decision by the case's preparer however the row is written (PostgreSQL).

Rows are written around the service, as a shell or a faulty job would: the decision's own copy
of the preparer, its round and later rewrites are checked against the case by triggers.
"""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from scf.parties.models import StaffGroup
from workflows.approval.models import ApprovalCase, ApprovalDecision
from workflows.approval.services import approval_case_open

pytestmark = pytest.mark.postgres

OFFICER, RISK = StaffGroup.CREDIT_OFFICER, StaffGroup.RISK_MANAGER


@pytest.fixture
def case(postgres_only, staff_user, corporate):
    applicant, _user = corporate("applicant")
    staff = {name: staff_user(group, name) for name, group in
             (("preparer", OFFICER), ("officer", OFFICER), ("other", OFFICER), ("risk", RISK))}
    case = approval_case_open(product="factoring", amount=Decimal("5000000.00"), applicant=applicant,
                              preparer=staff["preparer"], reference="FF-DB-1")
    case.staff = staff
    return case


def _refused(**fields):
    with pytest.raises(IntegrityError, match="four eyes"), transaction.atomic():
        ApprovalDecision.objects.create(**{"group": OFFICER, "decision": "approve", **fields})


def test_the_preparer_cannot_decide_whatever_preparer_the_row_claims(case):
    staff = case.staff
    _refused(case=case, round=case.round, approver=staff["preparer"], preparer=staff["other"])
    _refused(case=case, round=case.round, approver=staff["preparer"], preparer=staff["preparer"])
    # Written in SQL, without the ORM at all.
    with pytest.raises(IntegrityError, match="four eyes"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO approval_approvaldecision (case_id, round, approver_id, preparer_id, \"group\", decision, "
            "comment, decided_at) VALUES (%s, %s, %s, %s, %s, 'approve', '', now())",
            [case.pk, case.round, staff["preparer"].pk, staff["other"].pk, OFFICER])
    assert ApprovalDecision.objects.count() == 0


def test_one_person_decides_once_a_round_whatever_round_the_row_claims(case):
    staff = case.staff
    ApprovalDecision.objects.create(case=case, round=case.round, approver=staff["officer"],
                                    preparer=staff["preparer"], group=OFFICER, decision="approve")
    _refused(case=case, round=case.round + 1, approver=staff["officer"], preparer=staff["preparer"], group=RISK)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalDecision.objects.create(case=case, round=case.round, approver=staff["officer"],
                                        preparer=staff["preparer"], group=RISK, decision="approve")
    assert ApprovalDecision.objects.count() == 1


def test_a_decision_is_not_rewritten_and_the_preparer_of_a_decided_case_does_not_change(case):
    staff = case.staff
    decision = ApprovalDecision.objects.create(case=case, round=case.round, approver=staff["officer"],
                                               preparer=staff["preparer"], group=OFFICER, decision="approve")
    with pytest.raises(IntegrityError, match="four eyes"), transaction.atomic():
        ApprovalDecision.objects.filter(pk=decision.pk).update(approver=staff["risk"])
    with pytest.raises(IntegrityError, match="four eyes"), transaction.atomic():
        ApprovalCase.objects.filter(pk=case.pk).update(preparer=staff["officer"])
    decision.refresh_from_db()
    case.refresh_from_db()
    assert (decision.approver, case.preparer) == (staff["officer"], staff["preparer"])
    # The comment may still be corrected; the decision itself may not.
    ApprovalDecision.objects.filter(pk=decision.pk).update(comment="typo fixed")
