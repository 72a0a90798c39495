"""Signing without waiting, before signing: the signing tasks appear only once the worker has issued every document.

The approval commits the drafts and enqueues their rendering (on commit); here the enqueued callbacks are
captured without running them, as when no worker has picked them up yet, and run afterwards one by one,
as the worker would.
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from viewflow.workflow.models import Task

from documents.models import Document
from documents.selectors import documents_to_sign
from documents.services import documents_sign
from documents.tasks import render_document
from scf.audit.services import UnitOfWorkMarker
from workflows.factoring import services
from workflows.factoring.flows import FactoringFlow
from workflows.factoring.models import FactoringFinancing
from workflows.inbox.progress import CURRENT, DONE, UPCOMING, case_progress

from .conftest import TODAY
from .test_financing_lifecycle import _receivable

PASSWORD = "pw-Secret-123"
OPEN = ("NEW", "ASSIGNED", "STARTED")
SIGN_STEPS = ("sign_supplier", "sign_debtor", "sign_lender")


def _client(user, language: str | None = None):
    client = Client()
    client.force_login(user)
    if language:
        client.cookies["django_language"] = language
    return client


def _task_links(client) -> list[str]:
    page = client.get(reverse("inbox:list")).content.decode()
    return [reverse("inbox:task", kwargs={"task_pk": int(pk)}) for pk in re.findall(r'href="/inbox/(\d+)/"', page)]


def _open_steps(financing) -> list[str]:
    return sorted(task.flow_task.name for task in Task.objects.filter(
        process__caseprocess__reference=financing.reference, status__in=OPEN))


@pytest.fixture
def approved(world, django_capture_on_commit_callbacks):
    """A financing approved; its three drafts' rendering enqueued and not yet run: (financing, the callbacks)."""
    receivable = _receivable(world)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                  value_date=TODAY, acting_user=world.supplier_user)
    services.receivable_confirm(receivable=receivable, amount=receivable.face_amount, note="",
                                acting_user=world.debtor_user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    financing.refresh_from_db()
    assert financing.state == FactoringFinancing.State.CONTRACT_ISSUED
    assert sorted(Document.objects.filter(object_id=financing.pk).values_list("state", flat=True)) == ["draft"] * 3
    return financing, [callback for callback in callbacks if not isinstance(callback, UnitOfWorkMarker)]


def test_no_signing_task_exists_until_the_worker_has_issued_the_last_document(world, approved):
    financing, callbacks = approved
    # The flow waits in its rendering step: nobody has a signing task, so nobody opens one to find nothing to sign.
    assert _open_steps(financing) == ["rendering"]
    for user in (world.supplier_user, world.debtor_user, world.ops):
        assert _task_links(_client(user)) == []

    # The approval's contract pack is rendered by one task. Issued one by one (the single-document task, as a
    # broker's older message would), the signing tasks appear with the last, all three at once.
    assert len(callbacks) == 1
    seen = []
    for document in Document.objects.filter(object_id=financing.pk).order_by("pk"):
        render_document(document_id=document.pk)
        issued = Document.objects.filter(object_id=financing.pk, state=Document.State.ISSUED).count()
        seen.append((issued, _open_steps(financing)))
    assert [steps for issued, steps in seen if issued < 3] and all(
        steps == ["rendering"] for issued, steps in seen if issued < 3)
    assert seen[-1] == (3, sorted(SIGN_STEPS))
    process_tasks = Task.objects.filter(process__caseprocess__reference=financing.reference)
    assert process_tasks.filter(flow_task=FactoringFlow.rendering, status="DONE").count() == 1
    # Each signer finds the documents issued when the task is opened.
    for user in (world.supplier_user, world.debtor_user, world.ops):
        [url] = _task_links(_client(user))
        assert _client(user).get(url).status_code == 200
    assert all(document.pdf for document in Document.objects.filter(object_id=financing.pk))


def test_the_approval_renders_its_contract_pack_in_one_task_that_starts_the_signing(world, approved):
    financing, callbacks = approved
    with CaptureQueriesContext(connection) as queries:
        [run] = callbacks
        run()
    assert sorted(Document.objects.filter(object_id=financing.pk).values_list("state", flat=True)) == ["issued"] * 3
    assert _open_steps(financing) == sorted(SIGN_STEPS)
    # The financing read (and locked) once for the three documents, its receivables once.
    sql = [query["sql"] for query in queries.captured_queries]
    assert sum('FROM "factoring_receivable"' in q for q in sql) == 1
    assert sum('FROM "factoring_factoringfinancing"' in q for q in sql) == 1


def test_the_case_page_says_the_documents_are_being_prepared_and_refreshes(world, approved):
    financing, callbacks = approved
    detail = reverse("factoring:financing-detail", args=[financing.pk])
    page = _client(world.supplier_user).get(detail).content.decode()
    assert "Preparing the documents…" in page and "data-refresh-seconds" in page
    page = _client(world.supplier_user, "zh-hans").get(detail).content.decode()
    assert "正在生成文件…" in page and "本页面将自动刷新。" in page

    for run in callbacks:
        run()
    page = _client(world.supplier_user).get(detail).content.decode()
    assert "Preparing the documents…" not in page and "data-refresh-seconds" not in page


def test_the_progress_stepper_shows_no_human_step_while_the_documents_are_prepared(world, approved):
    financing, callbacks = approved
    steps = {step.name: step.state for step in case_progress(financing).steps}
    assert "rendering" not in steps and "sealing" not in steps
    assert steps["review"] == DONE
    assert [steps[name] for name in SIGN_STEPS] == [UPCOMING] * 3
    assert CURRENT not in steps.values()

    for run in callbacks:
        run()
    steps = {step.name: step.state for step in case_progress(financing).steps}
    assert [steps[name] for name in SIGN_STEPS] == [CURRENT] * 3


def test_a_party_that_signed_before_the_last_document_was_issued_has_its_task_finished(world, approved):
    """The lender signs the agreement from the document's own page while the debtor's letter is still rendering."""
    financing, _callbacks = approved
    documents = {d.kind: d for d in Document.objects.filter(object_id=financing.pk)}
    render_document(document_id=documents["factoring_agreement"].pk)
    documents_sign(documents=documents_to_sign(financing, world.lender), organization=world.lender, signer=world.ops,
                   password=PASSWORD, ip_address=None, user_agent="pytest")
    assert _open_steps(financing) == ["rendering"]

    for kind in ("notice_of_assignment", "debtor_confirmation_letter"):
        render_document(document_id=documents[kind].pk)
    # The lender's task was made and finished at once, by the lender's signatory; the other two wait (and the join
    # that the lender's task reached).
    assert _open_steps(financing) == ["sign_debtor", "sign_supplier", "signed"]
    lender_task = Task.objects.get(process__caseprocess__reference=financing.reference,
                                   flow_task=FactoringFlow.sign_lender)
    assert (lender_task.status, lender_task.owner) == ("DONE", world.ops)


def test_an_issue_run_twice_moves_the_flow_once(world, approved):
    """A worker's retry or a duplicate delivery of the last rendering changes nothing the second time."""
    financing, callbacks = approved
    for run in callbacks:
        run()
    for document in Document.objects.filter(object_id=financing.pk):
        assert render_document(document_id=document.pk) == "issued"
    process_tasks = Task.objects.filter(process__caseprocess__reference=financing.reference)
    assert process_tasks.filter(flow_task=FactoringFlow.rendering).count() == 1
    assert sorted(t.flow_task.name for t in process_tasks.filter(flow_task__in=[
        FactoringFlow.sign_supplier, FactoringFlow.sign_debtor, FactoringFlow.sign_lender])) == sorted(SIGN_STEPS)
