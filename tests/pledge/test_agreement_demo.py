"""The demo's pledge agreements: dist1 ↔ warehouse1, one active with its registration, one under review."""

import pytest
from django.utils import timezone
from viewflow.workflow.models import Task

from documents.models import Document
from scf.parties.demo import seed_demo
from scf.parties.models import User
from workflows.inbox.assignment import can_act
from workflows.pledge.agreements import CONTRACT_KINDS
from workflows.pledge.models import PledgeAgreement
from workflows.pledge.selectors import registration_in_force

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_active_registered_agreement_and_one_under_review(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(password="Demo-Pass-1")
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(password="Demo-Pass-1")  # safe to run again: nothing doubles
    agreements = {a.state: a for a in PledgeAgreement.objects.select_related("pledgor", "warehouse")}
    assert set(agreements) == {"active", "under_review"}
    active, waiting = agreements["active"], agreements["under_review"]
    assert active.kind == "dynamic" and active.pledgor.legal_name_en.startswith("Hangzhou Lianhua")
    assert active.warehouse.legal_name_en.startswith("Shanghai Gangchu")
    assert registration_in_force(active, timezone.localdate())
    assert not Document.objects.filter(object_id=active.pk, kind__in=CONTRACT_KINDS).exclude(
        state=Document.State.SIGNED).exists()
    review = Task.objects.get(flow_task__endswith="PledgeAgreementFlow.review", status="NEW")
    assert review.process.coerced.artifact_object_id == waiting.pk
    assert can_act(User.objects.get(username="officer2"), review)
    assert Task.objects.filter(flow_task__endswith="PledgeAgreementFlow.repaid", status="NEW").count() == 1
