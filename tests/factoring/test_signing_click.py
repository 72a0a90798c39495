"""Signing without waiting: one password check per click, sealing in a worker, the next task only once sealed.

The signing click commits the signatures and enqueues the sealing (on commit); here the enqueued
callbacks are captured without running them, as when a worker has not picked them up yet, and run
afterwards, as the worker would.
"""

import re

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task

from documents.models import Document, Signature
from scf.audit.services import UnitOfWorkMarker
from workflows.factoring import services
from workflows.factoring.flows import FactoringFlow
from workflows.factoring.models import FactoringFinancing

from .conftest import TODAY
from .test_financing_lifecycle import _receivable

PASSWORD = "pw-Secret-123"
OPEN = ("NEW", "ASSIGNED", "STARTED")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _task_links(client) -> list[str]:
    page = client.get(reverse("inbox:list")).content.decode()
    return [reverse("inbox:task", kwargs={"task_pk": int(pk)}) for pk in re.findall(r'href="/inbox/(\d+)/"', page)]


def _open(financing, node) -> bool:
    return Task.objects.filter(process__caseprocess__reference=financing.reference, flow_task=node,
                               status__in=OPEN).exists()


@pytest.fixture
def issued(world, django_capture_on_commit_callbacks):
    """A financing approved, its three contracts rendered and issued for signing."""
    receivable = _receivable(world)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                  value_date=TODAY,
                                                  acting_user=world.supplier_user)
    services.receivable_confirm(receivable=receivable, amount=receivable.face_amount, note="",
                                acting_user=world.debtor_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    financing.refresh_from_db()
    assert financing.state == FactoringFinancing.State.CONTRACT_ISSUED
    assert set(Document.objects.filter(object_id=financing.pk).values_list("state", flat=True)) == {"issued"}
    return financing


def test_one_click_checks_the_password_once_whatever_the_number_of_documents(world, issued, monkeypatch):
    """The debtor signs the notice and the confirmation letter in one click: one slow hash, not two."""
    verified = []
    real_verify = MD5PasswordHasher.verify
    monkeypatch.setattr(MD5PasswordHasher, "verify",
                        lambda self, password, encoded: verified.append(password) or real_verify(self, password, encoded))
    core = _client(world.debtor_user)
    [url] = _task_links(core)
    assert core.post(url, {"password": PASSWORD}).status_code == 302
    signed = Signature.objects.filter(organization=world.debtor).values_list("document__kind", flat=True)
    assert sorted(signed) == ["debtor_confirmation_letter", "notice_of_assignment"]
    assert verified == [PASSWORD]


def test_the_next_task_appears_only_once_the_worker_has_sealed_the_documents(
        world, issued, django_capture_on_commit_callbacks):
    enqueued = []
    for user in (world.supplier_user, world.ops, world.debtor_user):
        client = _client(user)
        [url] = _task_links(client)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert client.post(url, {"password": PASSWORD}).status_code == 302
        enqueued += [callback for callback in callbacks if not isinstance(callback, UnitOfWorkMarker)]

    # Every party has signed; no worker has sealed anything yet.
    issued.refresh_from_db()
    assert issued.state == FactoringFinancing.State.CONTRACT_ISSUED
    assert set(Document.objects.filter(object_id=issued.pk).values_list("state", flat=True)) == {"issued"}
    assert _open(issued, FactoringFlow.sealing)
    # No disbursement task exists, so nobody can click it early: operations' inbox is empty.
    assert not Task.objects.filter(flow_task=FactoringFlow.disburse).exists()
    assert _task_links(_client(world.ops)) == []
    # The case page says the documents are being sealed and refreshes itself.
    detail = reverse("factoring:financing-detail", args=[issued.pk])
    page = _client(world.ops).get(detail).content.decode()
    assert "Sealing the signed documents…" in page and "data-refresh-seconds" in page
    assert page.count("Sealing…</span>") == 3

    # The worker seals what each click completed, in one task a click: the agreement after the lender's, the notice
    # and the letter together after the debtor's.
    assert len(enqueued) == 2
    enqueued[0]()
    assert sorted(Document.objects.filter(object_id=issued.pk).values_list("kind", "state")) == [
        ("debtor_confirmation_letter", "issued"), ("factoring_agreement", "signed"), ("notice_of_assignment", "issued")]
    issued.refresh_from_db()
    assert issued.state == FactoringFinancing.State.CONTRACT_ISSUED and _open(issued, FactoringFlow.sealing)
    enqueued[1]()
    issued.refresh_from_db()
    assert issued.state == FactoringFinancing.State.SIGNED
    assert set(Document.objects.filter(object_id=issued.pk).values_list("state", flat=True)) == {"signed"}
    assert all(document.final_pdf for document in Document.objects.filter(object_id=issued.pk))
    assert not _open(issued, FactoringFlow.sealing)
    assert _open(issued, FactoringFlow.disburse)
    ops = _client(world.ops)
    [url] = _task_links(ops)
    assert "Disburse" in ops.get(url).content.decode()
    page = ops.get(detail).content.decode()
    assert "data-refresh-seconds" not in page and "Sealing…" not in page


def test_the_sealing_state_is_shown_in_chinese(world, issued, django_capture_on_commit_callbacks):
    for user in (world.supplier_user, world.ops, world.debtor_user):
        client = _client(user)
        [url] = _task_links(client)
        with django_capture_on_commit_callbacks(execute=False):
            client.post(url, {"password": PASSWORD})
    client = _client(world.supplier_user)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("factoring:financing-detail", args=[issued.pk])).content.decode()
    assert "正在为已签署的文件加盖电子印章…" in page and "本页面将自动刷新。" in page and "盖章中…" in page


def test_a_sealing_run_twice_moves_the_flow_once(world, issued, django_capture_on_commit_callbacks):
    """A worker's retry or a duplicate delivery of the last sealing changes nothing the second time."""
    from documents.tasks import finalize_document

    for user in (world.supplier_user, world.ops, world.debtor_user):
        client = _client(user)
        [url] = _task_links(client)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, {"password": PASSWORD})
    issued.refresh_from_db()
    assert issued.state == FactoringFinancing.State.SIGNED
    agreement = Document.objects.get(object_id=issued.pk, kind="factoring_agreement")
    final = agreement.final_sha256
    with django_capture_on_commit_callbacks(execute=True):
        assert finalize_document(document_id=agreement.pk) == "signed"
    agreement.refresh_from_db()
    assert agreement.final_sha256 == final
    tasks = Task.objects.filter(process__caseprocess__reference=issued.reference)
    assert tasks.filter(flow_task=FactoringFlow.sealing).count() == 1
    assert tasks.filter(flow_task=FactoringFlow.disburse).count() == 1


def test_sealing_reads_each_documents_parties_and_their_signatures_together_as_they_are(world, issued):
    """What the signature blocks and the certificate print: the parties in their order, the signatures in the order
    given, each with its party's organization; one statement for all the documents."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from documents.issuing import _parties_with_signatures
    from documents.models import DocumentParty
    from documents.services import documents_sign

    notice = Document.objects.get(object_id=issued.pk, kind="notice_of_assignment")
    agreement = Document.objects.get(object_id=issued.pk, kind="factoring_agreement")
    documents_sign(documents=[notice], organization=world.debtor, signer=world.debtor_user, password=PASSWORD,
                   ip_address="203.0.113.9", user_agent="pytest-debtor")
    documents_sign(documents=[notice, agreement], organization=world.supplier, signer=world.supplier_user,
                   password=PASSWORD, ip_address=None, user_agent="pytest-supplier")
    with CaptureQueriesContext(connection) as queries:
        parties, signatures = _parties_with_signatures([notice.pk, agreement.pk])
        printed = [(s.organization.legal_name, s.signer_name, s.ip_address, s.user_agent, s.sha256, s.signer_id)
                   for s in signatures[notice.pk]]
        party_names = [(p.role, p.organization.legal_name) for p in parties[notice.pk]]
    assert len(queries) == 1
    stored = Signature.objects.filter(document=notice).select_related("organization")  # by signed_at, id
    assert printed == [(s.organization.legal_name, s.signer_name, s.ip_address, s.user_agent, s.sha256, s.signer_id)
                       for s in stored]
    assert [s.organization_id for s in signatures[notice.pk]] == [world.debtor.pk, world.supplier.pk]
    assert [(s.pk, s.signed_at) for s in signatures[notice.pk]] == [(s.pk, s.signed_at) for s in stored]
    assert party_names == [(p.role, p.organization.legal_name)
                           for p in DocumentParty.objects.filter(document=notice).select_related("organization")]
    assert [s.organization_id for s in signatures[agreement.pk]] == [world.supplier.pk]
