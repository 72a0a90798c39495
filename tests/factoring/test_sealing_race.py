"""Two workers sealing a financing's last two documents at once: the flow still moves on, once (PostgreSQL)."""

import hashlib
import threading

import pytest
from django.db import connection
from viewflow.workflow.models import Task

from documents import issuing, sealing, tasks
from documents.models import Document
from documents.rendering import RenderedPdf
from documents.selectors import documents_to_sign
from documents.services import documents_sign
from workflows.factoring import services
from workflows.factoring.flows import FactoringFlow
from workflows.factoring.models import FactoringFinancing

from .conftest import TODAY
from .test_financing_lifecycle import _receivable

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "pw-Secret-123"


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real row locks: set DATABASE_URL=postgres://user@host:5432/name")


def test_the_last_two_documents_sealed_at_once_still_sign_the_financing(on_postgres, world, monkeypatch):
    # The race is about locks, not layout: cheap stand-ins for the renderer and the seal.
    def html_to_pdf(html, **kwargs):
        data = b"%PDF-1.7 " + hashlib.sha256(html.encode()).hexdigest().encode()
        return RenderedPdf(data, hashlib.sha256(data).hexdigest(), 1)

    monkeypatch.setattr(issuing, "html_to_pdf", html_to_pdf)
    monkeypatch.setattr(sealing, "seal_pdf", lambda data, **kwargs: data)
    enqueued: list[int] = []
    # No worker yet: what the signatures enqueue is kept, to be run by the two threads below.
    monkeypatch.setattr(tasks, "finalize_after_commit", enqueued.extend)

    financing = services.financing_request_create(supplier=world.supplier, receivables=[_receivable(world)],
                                                  value_date=TODAY, acting_user=world.supplier_user)
    services.receivable_confirm(receivable=financing.receivables.get(), amount=financing.receivables.get().face_amount,
                                note="", acting_user=world.debtor_user)
    services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    for organization, user in ((world.supplier, world.supplier_user), (world.lender, world.ops),
                               (world.debtor, world.debtor_user)):
        documents_sign(documents=documents_to_sign(financing, organization), organization=organization, signer=user,
                       password=PASSWORD, ip_address=None, user_agent="pytest")
    kinds = dict(Document.objects.filter(pk__in=enqueued).values_list("pk", "kind"))
    assert sorted(kinds.values()) == ["debtor_confirmation_letter", "factoring_agreement", "notice_of_assignment"]
    agreement = next(pk for pk, kind in kinds.items() if kind == "factoring_agreement")
    issuing.document_finalize(document_id=agreement)
    last_two = [pk for pk in enqueued if pk != agreement]

    # Both workers have sealed before either commits: each sees the other's document still issued.
    barrier = threading.Barrier(2)

    def seal_pdf(data, **kwargs):
        barrier.wait(timeout=30)
        return data

    monkeypatch.setattr(sealing, "seal_pdf", seal_pdf)
    errors: list[BaseException] = []

    def finalize(document_id: int) -> None:
        try:
            issuing.document_finalize(document_id=document_id)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=finalize, args=(pk,)) for pk in last_two]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    financing.refresh_from_db()
    assert financing.state == FactoringFinancing.State.SIGNED
    process_tasks = Task.objects.filter(process__caseprocess__reference=financing.reference)
    assert process_tasks.filter(flow_task=FactoringFlow.sealing, status="DONE").count() == 1
    assert process_tasks.filter(flow_task=FactoringFlow.disburse, status="NEW").count() == 1
