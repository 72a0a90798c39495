"""The factoring flow through the real pages: request with quote, then each task from the inbox."""

import re
from decimal import Decimal

from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task

from documents.models import Document
from tests.releasing import release_pending
from workflows.factoring.models import FactoringFinancing, Receivable

from .test_financing_lifecycle import _receivable


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _only_task(client):
    page = client.get(reverse("inbox:list")).content.decode()
    links = re.findall(r'href="/inbox/(\d+)/"', page)
    assert len(links) == 1, links
    return reverse("inbox:task", kwargs={"task_pk": int(links[0])})


def test_the_request_page_shows_the_quote_before_applying(world):
    receivable = _receivable(world)
    client = _client(world.supplier_user)
    data = {"receivables": [str(receivable.pk)], "value_date": "2026-11-25", "action": "quote"}
    page = client.post(reverse("factoring:financing-request"), data)
    assert page.status_code == 200
    text = page.content.decode()
    # On face until confirmed: A = 800,000.00; I = 800,000 × 0.065 × 90/360 = 13,000.00; F = 5,000.00;
    # net = 782,000.00; all-in = 18,000 / 782,000 × 4 = 0.092072 (0.0920716…).
    for figure in ("800,000.00", "13,000.00", "5,000.00", "782,000.00", "9.2072%"):
        assert figure in text
    assert not FactoringFinancing.objects.exists()
    bad = client.post(reverse("factoring:financing-request"), {**data, "value_date": "2026-11-24"})
    assert bad.status_code == 400 and "cannot be in the past" in bad.content.decode()
    applied = client.post(reverse("factoring:financing-request"), {**data, "action": "apply"})
    financing = FactoringFinancing.objects.get()
    assert applied.status_code == 302 and applied["Location"].endswith(f"/factoring/{financing.pk}/")


def test_the_happy_path_through_the_inbox_pages(world, django_capture_on_commit_callbacks):
    receivable = _receivable(world)
    _client(world.supplier_user).post(reverse("factoring:financing-request"), {
        "receivables": [str(receivable.pk)], "value_date": "2026-11-25", "action": "apply"})
    financing = FactoringFinancing.objects.get()

    core = _client(world.debtor_user)
    url = _only_task(core)
    confirm_page = core.get(url).content.decode()
    assert world.facility.reference not in confirm_page  # the supplier's credit line
    assert "742,900.00" not in confirm_page and "9.2072%" not in confirm_page  # nor its price
    detail = reverse("factoring:financing-detail", args=[financing.pk])
    # Priced on face until confirmed: net 782,000.00 — the supplier sees it, the debtor does not.
    assert "782,000.00" not in core.get(detail).content.decode()
    assert "782,000.00" in _client(world.supplier_user).get(detail).content.decode()
    prefix = f"r{receivable.pk}"
    refused = core.post(url, {f"{prefix}-decision": "confirm", f"{prefix}-amount": "950000.00",
                              f"{prefix}-note": ""})
    assert refused.status_code == 400 and "Say why" in refused.content.decode()
    core.post(url, {f"{prefix}-decision": "confirm", f"{prefix}-amount": "950000.00",
                    f"{prefix}-note": "quality claim"})
    receivable.refresh_from_db()
    assert (receivable.state, receivable.confirmed_amount) == ("financed", Decimal("950000.00"))

    officer = _client(world.officer)
    url = _only_task(officer)
    page = officer.get(url).content.decode()
    assert "742,900.00" in page and "20,000,000.00" in page  # the net and the facility's limit beside the form
    assert officer.post(url, {"decision": "reject", "comment": ""}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        officer.post(url, {"decision": "approve", "comment": ""})
    financing.refresh_from_db()
    assert financing.state == "contract_issued"

    for user in (world.supplier_user, world.debtor_user, world.ops):
        client = _client(user)
        url = _only_task(client)
        wrong = client.post(url, {"password": "wrong"})
        assert wrong.status_code == 400
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(url, {"password": "pw-Secret-123"}).status_code == 302
    financing.refresh_from_db()
    assert financing.state == "signed"
    assert set(Document.objects.filter(object_id=financing.pk).values_list("state", flat=True)) == {"signed"}

    ops = _client(world.ops)
    url = _only_task(ops)
    ops.post(url, {"confirm": "on"})
    financing.refresh_from_db()
    assert financing.state == "signed"  # prepared, not posted: the task waits for the release
    page = ops.get(url).content.decode()
    assert "Waiting for release" in page or "waiting for release" in page
    release_pending(world.ops2)
    financing.refresh_from_db()
    assert financing.state == "disbursed"
    url = _only_task(ops)
    ops.post(url, {"payer": "debtor", "amount": "950000.00", "value_date": "2026-11-25", "bank_reference": "CN-TT-1"})
    release_pending(world.ops2)
    ops.post(_only_task(ops), {"confirm": "on"})
    release_pending(world.ops2)
    financing.refresh_from_db()
    assert (financing.state, financing.rebate_paid) == ("closed", Decimal("190000.00"))
    assert not Task.objects.filter(status__in=["NEW", "ASSIGNED"]).exists()


def test_a_task_is_404_for_anyone_it_is_not_for(world):
    receivable = _receivable(world)
    _client(world.supplier_user).post(reverse("factoring:financing-request"), {
        "receivables": [str(receivable.pk)], "value_date": "2026-11-25", "action": "apply"})
    task = Task.objects.get(status="NEW")
    url = reverse("inbox:task", kwargs={"task_pk": task.pk})
    for user in (world.supplier_user, world.officer, world.ops):
        assert _client(user).get(url).status_code == 404
        assert _client(user).post(url, {}).status_code == 404
    assert Receivable.objects.get().state == "submitted"


def test_a_task_done_meanwhile_says_who_did_it_to_those_it_was_for_and_stays_404_for_others(world):
    from django.contrib.auth.models import Group

    from scf.parties.models import Membership, StaffGroup
    from tests.factories import MembershipFactory, UserFactory

    receivable = _receivable(world)
    _client(world.supplier_user).post(reverse("factoring:financing-request"), {
        "receivables": [str(receivable.pk)], "value_date": "2026-11-25", "action": "apply"})
    debtor = _client(world.debtor_user)
    url = _only_task(debtor)
    prefix = f"r{receivable.pk}"
    done = debtor.post(url, {f"{prefix}-decision": "confirm", f"{prefix}-amount": str(receivable.face_amount),
                             f"{prefix}-note": ""})
    assert done.status_code == 302  # confirmed: the task is done
    again = debtor.get(url, follow=True)
    assert again.redirect_chain[-1][0] == reverse("inbox:list")
    assert f"was already done by {world.debtor_user.username}" in again.content.decode()  # no name: the username
    world.debtor_user.first_name, world.debtor_user.last_name = "Wei", "Zhang"
    world.debtor_user.save(update_fields=["first_name", "last_name"])
    page = debtor.get(url, follow=True).content.decode()
    assert "was already done by Wei Zhang on " in page
    assert re.search(r"on (Jan|Feb|March|April|May|June|July|Aug|Sept|Oct|Nov|Dec)\.? \d{1,2}, \d{4}", page), page
    debtor.cookies["django_language"] = "zh-hans"
    page = debtor.get(url, follow=True).content.decode()
    assert re.search(r"Wei Zhang 于 \d{4}年\d{1,2}月\d{1,2}日", page), page
    colleague = UserFactory(username="core-colleague")
    MembershipFactory(user=colleague, organization=world.debtor, role=Membership.Role.OPERATOR)
    assert "was already done by" in _client(colleague).get(url, follow=True).content.decode()
    stranger = UserFactory(username="officer-nobody")
    stranger.groups.add(Group.objects.get(name=StaffGroup.CREDIT_OFFICER))
    for user in (world.supplier_user, world.officer, stranger):
        assert _client(user).get(url).status_code == 404
