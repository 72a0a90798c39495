"""The inbox: who sees which task, keyset paging, filters, and a query count that does not grow."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from viewflow.workflow.models import Task

from scf.parties.models import Membership, Organization, StaffGroup
from tests.factories import LenderFactory, MembershipFactory, OrganizationFactory, UserFactory
from workflows.factoring.flows import FactoringFlow
from workflows.inbox.assignment import OPERATE_FOR
from workflows.inbox.models import CaseProcess
from workflows.inbox.selectors import PAGE_SIZE, InboxFilters, inbox_page


def _officer(lender, username):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=StaffGroup.CREDIT_OFFICER))
    MembershipFactory(user=user, organization=lender, role=Membership.Role.OPERATOR)
    return user


def _tasks(lender, applicant, n, *, node=None, permission="inbox.decide_as_credit_officer", obj=None,
           amount_step=Decimal("1000.00")):
    org_type = ContentType.objects.get_for_model(Organization)
    start = timezone.now() - datetime.timedelta(days=10)
    made = []
    for i in range(n):
        process = CaseProcess.objects.create(
            flow_class=FactoringFlow, product="factoring", reference=f"{applicant.legal_name[:6]}-{i:04d}",
            applicant=applicant, amount=amount_step * (i % 7 + 1), currency="CNY",
            due_date=datetime.date(2027, 1, 1) + datetime.timedelta(days=i % 5))
        made.append(Task.objects.create(
            process=process, flow_task=node or FactoringFlow.review, status="NEW",
            created=start + datetime.timedelta(minutes=i), owner_permission=permission,
            owner_permission_content_type=org_type, owner_permission_obj_pk=str((obj or lender).pk)))
    return made


@pytest.fixture
def lenders(db):
    a, b = LenderFactory(legal_name="甲银行"), LenderFactory(legal_name="乙银行")
    return a, b, _officer(a, "officer-a"), _officer(b, "officer-b")


def test_staff_see_only_their_own_lenders_tasks_and_get_404_on_the_others(lenders):
    a, b, officer_a, officer_b = lenders
    applicant = OrganizationFactory(legal_name="供应商甲")
    task_a, = _tasks(a, applicant, 1)
    task_b, = _tasks(b, applicant, 1)
    assert [t.pk for t in inbox_page(officer_a, InboxFilters()).tasks] == [task_a.pk]
    client = Client()
    client.force_login(officer_a)
    assert client.get(reverse("inbox:task", kwargs={"task_pk": task_b.pk})).status_code == 404
    assert client.post(reverse("inbox:task", kwargs={"task_pk": task_b.pk}), {"decision": "approve"}).status_code == 404


def test_a_client_sees_the_tasks_of_its_organization_for_its_role_only(lenders):
    a, _b, officer_a, _ = lenders
    core = OrganizationFactory(is_core=True, is_supplier=False)
    operator, signatory_only = UserFactory(username="core-op"), UserFactory(username="core-sign")
    MembershipFactory(user=operator, organization=core, role=Membership.Role.OPERATOR)
    MembershipFactory(user=signatory_only, organization=core, role=Membership.Role.SIGNATORY)
    confirm, = _tasks(a, OrganizationFactory(), 1, node=FactoringFlow.confirm, permission=OPERATE_FOR, obj=core)
    assert [t.pk for t in inbox_page(operator, InboxFilters()).tasks] == [confirm.pk]
    assert inbox_page(signatory_only, InboxFilters()).tasks == []
    assert inbox_page(officer_a, InboxFilters()).tasks == []


@pytest.mark.parametrize("sort", ["oldest", "newest", "due", "amount"])
def test_keyset_pages_list_every_task_once_in_order(lenders, sort):
    a, _b, officer, _ = lenders
    made = _tasks(a, OrganizationFactory(legal_name="供应商乙"), PAGE_SIZE * 2 + 3)
    seen, cursor = [], None
    while True:
        page = inbox_page(officer, InboxFilters(sort=sort), cursor)
        assert page.count == len(made)
        seen.extend(page.tasks)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(t.pk for t in seen) == sorted(t.pk for t in made)
    keys = {"oldest": lambda t: (t.created, t.pk), "newest": lambda t: (-t.created.timestamp(), -t.pk),
            "due": lambda t: (t.process.caseprocess.due_date, t.pk),
            "amount": lambda t: (-t.process.caseprocess.amount, -t.pk)}[sort]
    assert [t.pk for t in seen] == [t.pk for t in sorted(seen, key=keys)]


def test_filters_narrow_by_party_product_and_task_kind(lenders):
    a, _b, officer, _ = lenders
    _tasks(a, OrganizationFactory(legal_name="华东机电"), 3)
    _tasks(a, OrganizationFactory(legal_name="华南化工"), 2, node=FactoringFlow.disburse, permission="inbox.decide_as_credit_officer")
    assert inbox_page(officer, InboxFilters(party="华东")).count == 3
    assert inbox_page(officer, InboxFilters(product="pledge")).count == 0
    from viewflow.workflow.fields import get_task_ref

    assert inbox_page(officer, InboxFilters(flow_task=get_task_ref(FactoringFlow.disburse))).count == 2


@pytest.mark.parametrize("sort", ["oldest", "newest", "due", "amount"])
def test_the_inbox_page_costs_the_same_queries_with_few_or_many_tasks(lenders, sort):
    a, _b, officer, _ = lenders
    client = Client()
    client.force_login(officer)
    url = reverse("inbox:list") + f"?sort={sort}&party=供应商"
    _tasks(a, OrganizationFactory(legal_name="供应商丙"), 3)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url)
    assert page.status_code == 200
    _tasks(a, OrganizationFactory(legal_name="供应商丁"), 60)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    text = page.content.decode()
    assert len(re.findall(r'href="/inbox/\d+/"', text)) == PAGE_SIZE
    assert "after=" in text and ">63<" in text.replace(" ", "")
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]


def test_the_dashboard_lists_the_users_open_tasks_with_links(lenders):
    a, _b, officer, _ = lenders
    task, = _tasks(a, OrganizationFactory(legal_name="供应商戊"), 1)
    client = Client()
    client.force_login(officer)
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert reverse("inbox:task", kwargs={"task_pk": task.pk}) in page and "供应商戊" in page
