"""The confirming-warehouse agreement's signing tasks appear only once the worker has issued it.

The approval enqueues the agreement's rendering on commit; the callbacks are captured without running
them, as when no worker has picked them up yet, then run as the worker would.
"""

import pytest
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task

from documents.models import Document
from workflows.confirming.flows import ConfirmingAgreementFlow
from workflows.inbox.services import process_for

from .agreement_setup import *  # noqa: F403
from .agreement_setup import approve_all, prepare, sign_all

pytestmark = pytest.mark.django_db
OPEN = ("NEW", "ASSIGNED", "STARTED")


def _open_steps(agreement) -> list[str]:
    return sorted(t.flow_task.name for t in Task.objects.filter(process=process_for(agreement), status__in=OPEN))


def test_the_four_signing_tasks_appear_once_the_worker_has_issued_the_agreement(
        cw, django_capture_on_commit_callbacks):
    agreement = prepare(cw, four_party=True)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        approve_all(cw, agreement)
    document = Document.objects.get(object_id=agreement.pk, kind="confirming_agreement")
    assert document.state == Document.State.DRAFT
    assert _open_steps(agreement) == ["rendering"]
    client = Client()
    client.force_login(cw.distributor_user)
    detail = reverse("confirming:agreement-detail", args=[agreement.pk])
    client.cookies["django_language"] = "zh-hans"
    page = client.get(detail).content.decode()
    assert "正在生成文件…" in page and "data-refresh-seconds" in page

    for run in callbacks:
        run()
    document.refresh_from_db()
    assert document.state == Document.State.ISSUED
    assert _open_steps(agreement) == ["sign_distributor", "sign_lender", "sign_seller", "sign_warehouse"]
    assert Task.objects.filter(process=process_for(agreement), flow_task=ConfirmingAgreementFlow.rendering,
                               status="DONE").count() == 1
    assert "data-refresh-seconds" not in client.get(detail).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        sign_all(cw, agreement)
    agreement.refresh_from_db()
    assert agreement.state == agreement.State.ACTIVE
    assert _open_steps(agreement) == ["active"]
