"""Two runs of the escalation job at once (beat fired twice, or a hand re-run): each overdue task is escalated once."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from viewflow.workflow.models import Task

from scf.parties.models import Membership, Organization, StaffGroup
from tests.factories import LenderFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.races import run_together
from workflows.factoring.flows import FactoringFlow
from workflows.inbox.models import CaseProcess, Notification, StepDeadline
from workflows.inbox.notifications import tasks_escalate

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_two_escalation_runs_at_once_escalate_each_task_once(postgres_only):
    StepDeadline.objects.update_or_create(step="factoring/flows.FactoringFlow.review", defaults={"business_days": 2})
    lender, supplier = LenderFactory(), OrganizationFactory()
    for username, group in (("officer", StaffGroup.CREDIT_OFFICER), ("risk", StaffGroup.RISK_MANAGER),
                            ("risk2", StaffGroup.RISK_MANAGER)):
        user = UserFactory(username=username)
        user.groups.add(Group.objects.get(name=group))
        MembershipFactory(user=user, organization=lender, role=Membership.Role.OPERATOR)
    org_type = ContentType.objects.get_for_model(Organization)
    with time_machine.travel(datetime.datetime(2026, 12, 4, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        for i in range(6):  # each due Tuesday 8 December
            process = CaseProcess.objects.create(flow_class=FactoringFlow, product="factoring", reference=f"R-{i}",
                                                 applicant=supplier, amount="1000.00", currency="CNY")
            Task.objects.create(process=process, flow_task=FactoringFlow.review, status="NEW",
                                owner_permission="inbox.decide_as_credit_officer",
                                owner_permission_content_type=org_type, owner_permission_obj_pk=str(lender.pk))

    day = datetime.date(2026, 12, 9)
    results, errors = run_together(lambda: tasks_escalate(day), lambda: tasks_escalate(day))
    assert errors == {}
    assert results[0] + results[1] == 6
    escalations = Notification.objects.filter(kind=Notification.Kind.ESCALATION)
    assert escalations.count() == 12  # six tasks, two risk managers, once each
    assert set(escalations.values_list("recipient__username", flat=True)) == {"risk", "risk2"}
