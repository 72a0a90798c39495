"""The demo's confirming-warehouse agreements: dist1 ← core1 active (three-party), dist2 ← core2 four-party in review."""

import pytest
from viewflow.workflow.models import Task

from documents.models import Document
from scf.facilities.models import CreditFacility, Product
from scf.parties.demo import seed_demo
from scf.parties.models import User
from workflows.confirming.models import ConfirmingAgreement
from workflows.inbox.assignment import can_act

pytestmark = pytest.mark.django_db
D = __import__("decimal").Decimal


def test_the_demo_has_an_active_three_party_agreement_and_a_four_party_one_under_review(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(password="Demo-Pass-1")
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(password="Demo-Pass-1")  # safe to run again: nothing doubles
    agreements = {a.state: a for a in ConfirmingAgreement.objects.select_related("seller", "distributor", "warehouse")}
    assert set(agreements) == {"active", "under_review"}
    active, waiting = agreements["active"], agreements["under_review"]
    assert active.form == "three_party" and active.warehouse is None
    assert active.distributor.legal_name_en.startswith("Hangzhou Lianhua")
    assert active.seller.legal_name_en.startswith("East China Heavy")
    document = Document.objects.get(object_id=active.pk, kind="confirming_agreement")
    assert document.state == Document.State.SIGNED
    assert waiting.form == "four_party" and waiting.warehouse.legal_name_en.startswith("Shanghai Gangchu")
    assert waiting.distributor.legal_name_en.startswith("Hefei Shunda")
    assert waiting.seller.legal_name_en.startswith("Southern Electric")
    # The active agreement holds 8,000,000.00 on dist1's confirming line and on core1's guarantee line.
    for obligor in (active.distributor, active.seller):
        facility = CreditFacility.objects.get(obligor=obligor, product=Product.CONFIRMING)
        assert facility.reservations.get(reference=active.reference).amount == D("8000000.00")
    assert not CreditFacility.objects.filter(reservations__reference=waiting.reference).exists()
    review = Task.objects.get(flow_task__endswith="ConfirmingAgreementFlow.review", status="NEW")
    assert review.process.coerced.artifact_object_id == waiting.pk
    assert can_act(User.objects.get(username="officer2"), review)
    assert Task.objects.filter(flow_task__endswith="ConfirmingAgreementFlow.active", status="NEW").count() == 1
