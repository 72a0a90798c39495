"""Two workers issuing a financing's last two drafts at once: the signing tasks still appear, once (PostgreSQL)."""

import hashlib
import threading

import pytest
from django.db import connection
from viewflow.workflow.models import Task

from documents import issuing, tasks
from documents.models import Document
from documents.rendering import RenderedPdf
from workflows.factoring import services
from workflows.factoring.flows import FactoringFlow

from .conftest import TODAY
from .test_financing_lifecycle import _receivable

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real row locks: set DATABASE_URL=postgres://user@host:5432/name")


def test_the_last_two_drafts_issued_at_once_still_start_the_signing_once(on_postgres, world, monkeypatch):
    enqueued: list[int] = []
    # No worker yet: what the approval enqueues is kept, to be run by the two threads below.
    monkeypatch.setattr(tasks, "render_after_commit", enqueued.extend)

    financing = services.financing_request_create(supplier=world.supplier, receivables=[_receivable(world)],
                                                  value_date=TODAY, acting_user=world.supplier_user)
    services.receivable_confirm(receivable=financing.receivables.get(), amount=financing.receivables.get().face_amount,
                                note="", acting_user=world.debtor_user)
    services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    kinds = dict(Document.objects.filter(pk__in=enqueued).values_list("pk", "kind"))
    assert sorted(kinds.values()) == ["debtor_confirmation_letter", "factoring_agreement", "notice_of_assignment"]
    process_tasks = Task.objects.filter(process__caseprocess__reference=financing.reference)
    agreement = next(pk for pk, kind in kinds.items() if kind == "factoring_agreement")
    issuing.document_issue(document_id=agreement)
    assert process_tasks.filter(flow_task=FactoringFlow.rendering, status="NEW").count() == 1
    last_two = [pk for pk in enqueued if pk != agreement]

    # Both workers hold their document's lock before either goes on: each would find the other's document still a
    # draft if nothing else held them apart. The race is about locks, not layout: a cheap stand-in for the renderer.
    barrier = threading.Barrier(2)
    document_lock = issuing.document_lock

    def locked_together(pk):
        document = document_lock(pk)
        barrier.wait(timeout=30)
        return document

    def html_to_pdf(html, **kwargs):
        data = b"%PDF-1.7 " + hashlib.sha256(html.encode()).hexdigest().encode()
        return RenderedPdf(data, hashlib.sha256(data).hexdigest(), 1)

    monkeypatch.setattr(issuing, "document_lock", locked_together)
    monkeypatch.setattr(issuing, "html_to_pdf", html_to_pdf)
    errors: list[BaseException] = []

    def issue(document_id: int) -> None:
        try:
            issuing.document_issue(document_id=document_id)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(pk,)) for pk in last_two]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert set(Document.objects.filter(pk__in=enqueued).values_list("state", flat=True)) == {"issued"}
    assert process_tasks.filter(flow_task=FactoringFlow.rendering, status="DONE").count() == 1
    assert process_tasks.filter(flow_task=FactoringFlow.rendering).exclude(status="DONE").count() == 0
    for node in (FactoringFlow.sign_supplier, FactoringFlow.sign_debtor, FactoringFlow.sign_lender):
        assert process_tasks.filter(flow_task=node, status="NEW").count() == 1, node.name
