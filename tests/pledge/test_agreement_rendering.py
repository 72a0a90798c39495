"""The pledge agreement's signing tasks appear only once the worker has issued all three contracts.

The approval enqueues the contracts' rendering on commit; the callbacks are captured without running
them, as when no worker has picked them up yet, then run one by one as the worker would.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task

from documents.models import Document
from workflows.inbox.services import process_for
from workflows.pledge import agreements
from workflows.pledge.flows import PledgeAgreementFlow

from .agreement_setup import *  # noqa: F403
from .agreement_setup import approve_all, prepare, sign_all

pytestmark = pytest.mark.django_db
OPEN = ("NEW", "ASSIGNED", "STARTED")


def _open_steps(agreement) -> list[str]:
    return sorted(t.flow_task.name for t in Task.objects.filter(process=process_for(agreement), status__in=OPEN))


def test_the_signing_tasks_appear_once_the_worker_has_issued_the_last_contract(aw, django_capture_on_commit_callbacks):
    agreement = prepare(aw)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        approve_all(aw, agreement)
    documents = Document.objects.filter(object_id=agreement.pk, kind__in=agreements.CONTRACT_KINDS)
    assert sorted(documents.values_list("state", flat=True)) == ["draft"] * 3
    assert _open_steps(agreement) == ["rendering"]
    client = Client()
    client.force_login(aw.pledgor_user)
    page = client.get(reverse("pledge:agreement-detail", args=[agreement.pk])).content.decode()
    assert "Preparing the documents…" in page and "data-refresh-seconds" in page

    seen = []
    for run in callbacks:
        run()
        seen.append((documents.filter(state=Document.State.ISSUED).count(), _open_steps(agreement)))
    assert all(steps == ["rendering"] for issued, steps in seen if issued < 3)
    assert seen[-1] == (3, ["sign_lender", "sign_pledgor", "sign_warehouse"])
    assert Task.objects.filter(process=process_for(agreement), flow_task=PledgeAgreementFlow.rendering,
                               status="DONE").count() == 1
    page = client.get(reverse("pledge:agreement-detail", args=[agreement.pk])).content.decode()
    assert "data-refresh-seconds" not in page

    with django_capture_on_commit_callbacks(execute=True):
        sign_all(aw, agreement)
    agreement.refresh_from_db()
    assert agreement.state == agreement.State.ACTIVE
    assert _open_steps(agreement) == ["register"]
