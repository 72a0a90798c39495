"""The debtor confirms many requests at once: each through the one-by-one service, all or none."""

import datetime
from decimal import Decimal

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task

from scf.audit.models import AuditRecord
from scf.parties.models import Membership
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from workflows.factoring import services
from workflows.factoring.flows import FactoringFlow
from workflows.factoring.models import FactoringFinancing, Receivable

DUE = datetime.date(2027, 2, 23)
URL = "/factoring/confirmations/"


def _requests(world, count):
    financings = []
    for n in range(1, count + 1):
        receivable = services.receivable_create(
            supplier=world.supplier, debtor=world.debtor, invoice_number=f"INV-{n:03d}",
            issue_date=datetime.date(2026, 11, 1), due_date=DUE, face_amount=Decimal("10000.00") * n,
            acting_user=world.supplier_user)
        financings.append(services.financing_request_create(
            supplier=world.supplier, receivables=[receivable], value_date=datetime.date(2026, 11, 25),
            acting_user=world.supplier_user))
    return financings


def _task_ids(financings):
    return list(Task.objects.filter(flow_task=FactoringFlow.confirm,
                                    process__caseprocess__reference__in=[f.reference for f in financings])
                .order_by("pk").values_list("pk", flat=True))


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_debtor_confirms_twenty_requests_in_one_post(world):
    assert reverse("factoring:confirm-many") == URL
    financings = _requests(world, 20)
    client = _client(world.debtor_user)
    page = client.get(URL).content.decode()
    assert page.count('name="task"') == 20 and "20 requests wait for your confirmation." in page
    assert "CNY 200,000.00" in page  # the 20th: 20 × 10,000.00
    ids = _task_ids(financings)
    response = client.post(URL, {"task": [str(i) for i in ids]})
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("20 requests confirmed in full: ")
    assert set(FactoringFinancing.objects.values_list("state", flat=True)) == {"under_review"}
    # Each at its face amount, as the single page's service records it: 10,000.00 … 200,000.00, 2,100,000.00 in all.
    confirmed = list(Receivable.objects.order_by("invoice_number").values_list("state", "confirmed_amount"))
    assert confirmed == [("financed", Decimal("10000.00") * n) for n in range(1, 21)]  # confirmed, now under review
    assert sum(amount for _state, amount in confirmed) == Decimal("2100000.00")
    assert set(Task.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"DONE"}
    assert AuditRecord.objects.filter(action="factoring.receivable.confirm", actor=world.debtor_user).count() == 20
    assert 'name="task"' not in client.get(URL).content.decode()


def test_one_refused_request_confirms_none_and_names_the_refused_one(world):
    financings = _requests(world, 3)
    ids = _task_ids(financings)
    withdrawn = financings[1]
    services.financing_cancel(financing=withdrawn, acting_user=world.supplier_user, note="sold elsewhere")
    before = list(Receivable.objects.order_by("pk").values_list("state", "confirmed_amount"))
    response = _client(world.debtor_user).post(URL, {"task": [str(i) for i in ids]})
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == (f"Nothing was confirmed: some of the requests were refused. "
                       f"{withdrawn.reference}: {withdrawn.reference} is Cancelled; it no longer awaits the debtor's answer.")
    assert list(Receivable.objects.order_by("pk").values_list("state", "confirmed_amount")) == before
    assert [f.state for f in FactoringFinancing.objects.order_by("pk")] == ["draft", "cancelled", "draft"]
    assert not AuditRecord.objects.filter(action="factoring.receivable.confirm").exists()
    assert Task.objects.filter(pk__in=[ids[0], ids[2]], status="NEW").count() == 2


def test_a_user_who_may_not_answer_is_refused_and_nothing_changes(world):
    financings = _requests(world, 2)
    ids = _task_ids(financings)
    # A member of the debtor who is not an operator: the task is not theirs, as on its own page.
    viewer = UserFactory(username="viewer")
    MembershipFactory(user=viewer, organization=world.debtor, role=Membership.Role.SIGNATORY)
    assert _client(viewer).post(URL, {"task": [str(i) for i in ids]}).status_code == 404
    assert set(Receivable.objects.values_list("state", flat=True)) == {"submitted"}


def test_another_organizations_task_ids_answer_404_and_nothing_changes(world):
    financings = _requests(world, 2)
    ids = _task_ids(financings)
    other = OrganizationFactory(legal_name="另一家核心企业", is_supplier=False, is_core=True)
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, organization=other, role=Membership.Role.OPERATOR)
    client = _client(stranger)
    assert 'name="task"' not in client.get(URL).content.decode()
    assert client.post(URL, {"task": [str(ids[0])]}).status_code == 404
    # Nor the supplier, whose requests they are: the answer is the debtor's.
    assert _client(world.supplier_user).post(URL, {"task": [str(i) for i in ids]}).status_code == 404
    assert set(Receivable.objects.values_list("state", flat=True)) == {"submitted"}
    assert _client(world.debtor_user).post(URL, {"task": ["x"]}).status_code == 404


# --- a credit officer approving several small cases ----------------------------------------------

REVIEWS = "/factoring/reviews/"


def _under_review(world, count):
    financings = _requests(world, count)
    services.financings_confirm_in_full(financings=financings, acting_user=world.debtor_user)
    return financings


def _review_ids(financings):
    return list(Task.objects.filter(flow_task=FactoringFlow.review,
                                    process__caseprocess__reference__in=[f.reference for f in financings])
                .order_by("pk").values_list("pk", flat=True))


def test_an_officer_approves_three_small_requests_in_one_post(world):
    assert reverse("factoring:approve-many") == REVIEWS
    financings = _under_review(world, 3)
    client = _client(world.officer)
    page = client.get(REVIEWS).content.decode()
    assert page.count('name="task"') == 3
    # Smallest first: advances 8,000.00, 16,000.00, 24,000.00 (80 % of 10,000.00 × n).
    assert page.index("CNY 8,000.00") < page.index("CNY 16,000.00") < page.index("CNY 24,000.00")
    response = client.post(REVIEWS, {"task": [str(i) for i in _review_ids(financings)]})
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("3 requests approved: ")
    assert set(FactoringFinancing.objects.values_list("state", flat=True)) == {"contract_issued"}
    world.facility.refresh_from_db()
    assert world.facility.reserved_amount == Decimal("48000.00")


def test_one_refused_approval_approves_none(world):
    financings = _under_review(world, 3)
    ids = _review_ids(financings)
    rejected = financings[0]
    services.financing_review_decide(financing=rejected, approver=world.officer, decision="reject", comment="no")
    response = _client(world.officer).post(REVIEWS, {"task": [str(i) for i in ids]})
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith(f"Nothing was approved: some of the requests were refused. {rejected.reference}: ")
    assert [f.state for f in FactoringFinancing.objects.order_by("pk")] == ["rejected", "under_review", "under_review"]
    world.facility.refresh_from_db()
    assert world.facility.reserved_amount == Decimal("0.00")
    # The debtor may not act on the lender's reviews: their ids answer 404.
    assert _client(world.debtor_user).post(REVIEWS, {"task": [str(ids[1])]}).status_code == 404


def test_the_review_page_leads_to_the_list_of_reviews(world):
    [financing] = _under_review(world, 1)
    [task_id] = _review_ids([financing])
    page = _client(world.officer).get(reverse("inbox:task", kwargs={"task_pk": task_id})).content.decode()
    assert f'<a href="{REVIEWS}">Approve several requests at once</a>' in page
