"""Confirming-warehouse agreements: prepare, review through the routing, contract, signing, cancel, close."""

import pytest
from django.core.exceptions import ValidationError
from viewflow.workflow.models import Task

from documents.models import Document
from scf.audit.models import AuditRecord
from scf.core.exceptions import ActionNotPermitted
from scf.facilities.exceptions import FacilityLimitExceeded
from scf.facilities.models import FacilityReservation, Product
from scf.facilities.services import facility_reserve
from scf.parties.exceptions import FourEyesViolation, KycNotVerified
from scf.parties.models import Organization
from tests.factories import FacilityFactory, OrganizationFactory
from workflows.confirming import agreements
from workflows.confirming.exceptions import AgreementClosingBlocked, AgreementStateConflict
from workflows.confirming.models import ConfirmingAgreement, PurchaseOrder
from workflows.inbox.services import process_for

from .agreement_setup import *  # noqa: F403
from .agreement_setup import D, approve_all, prepare, sign_all, terms

pytestmark = pytest.mark.django_db
State = ConfirmingAgreement.State


def _reserved(cw):
    cw.facility.refresh_from_db()
    cw.guarantee.refresh_from_db()
    return cw.facility.reserved_amount, cw.guarantee.reserved_amount


def test_a_draft_takes_both_parties_facilities_and_is_audited(cw):
    agreement = prepare(cw)
    assert agreement.state == State.DRAFT and agreement.reference == "CWA-2026-00001"
    assert agreement.facility == cw.facility and agreement.guarantee_facility == cw.guarantee
    assert agreement.form == "three_party" and agreement.warehouse is None and agreement.currency == "CNY"
    assert AuditRecord.objects.filter(action="confirming.confirmingagreement.create",
                                      object_id=str(agreement.pk)).exists()
    assert _reserved(cw) == (D("0.00"), D("0.00"))  # nothing held before approval


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"limit_amount": D("0.00")}, "limit_amount", "more than zero"),
    ({"margin_ratio": D("1")}, "margin_ratio", "more than 0 and less than 1"),
    ({"margin_ratio": D("0")}, "margin_ratio", "more than 0 and less than 1"),
    ({"release_mode": 4}, "release_mode", "1, 2 or 3"),
    ({"allows_loan": False, "allows_acceptance_bill": False}, "allows_loan", "at least one funding route"),
    ({"end_date": terms()["start_date"]}, "end_date", "after the start date"),
    ({"tenor_days": 0}, "tenor_days", "at least one day"),
    ({"form": "four_party"}, "warehouse", "names the warehouse"),
    # The seller's guarantee line has 4,000,000.00: it does not cover 4,500,000.00.
    ({"limit_amount": D("4500000.00")}, "guarantee_facility", "does not cover the limit"),
], ids=["limit", "margin-1", "margin-0", "mode", "no-route", "term", "tenor", "four-party-no-warehouse",
        "guarantee-line-too-small"])
def test_invalid_terms_are_refused_by_field_and_nothing_is_made(cw, overrides, field, words):
    values = terms(**overrides)
    form = values.pop("form", "three_party")
    with pytest.raises(ValidationError) as refused:
        agreements.agreement_create(lender=cw.lender, seller=cw.seller, distributor=cw.distributor, form=form,
                                    acting_user=cw.officer, **values)
    assert words in " ".join(refused.value.message_dict[field])
    assert not ConfirmingAgreement.objects.exists()


def test_a_warehouse_in_a_three_party_agreement_and_a_seller_buying_from_itself_are_refused(cw):
    with pytest.raises(ValidationError) as refused:
        agreements.agreement_create(lender=cw.lender, seller=cw.seller, distributor=cw.distributor,
                                    warehouse=cw.warehouse, form="three_party", acting_user=cw.officer, **terms())
    assert "names no warehouse" in refused.value.message_dict["warehouse"][0]
    both = OrganizationFactory(is_core=True, is_distributor=True, is_supplier=False)
    FacilityFactory(lender=cw.lender, obligor=both, product=Product.CONFIRMING, limit_amount=D("5000000.00"))
    with pytest.raises(ValidationError) as refused:
        agreements.agreement_create(lender=cw.lender, seller=both, distributor=both, form="three_party",
                                    acting_user=cw.officer, **terms())
    assert refused.value.message_dict["distributor"] == ["The distributor cannot buy from itself."]
    assert not ConfirmingAgreement.objects.exists()


def test_a_facility_of_another_product_or_obligor_is_refused(cw):
    pledge_line = FacilityFactory(lender=cw.lender, obligor=cw.distributor, product=Product.PLEDGE,
                                  limit_amount=D("9000000.00"))
    with pytest.raises(ValidationError) as refused:
        agreements.agreement_create(lender=cw.lender, seller=cw.seller, distributor=cw.distributor,
                                    form="three_party", facility=pledge_line, guarantee_facility=cw.facility,
                                    acting_user=cw.officer, **terms())
    errors = refused.value.message_dict
    assert "not a confirming-warehouse facility of the distributor" in errors["facility"][0]
    assert "not a confirming-warehouse facility of the seller" in errors["guarantee_facility"][0]


def test_only_the_lenders_credit_staff_prepare_and_kyc_of_every_party_is_checked(cw):
    with pytest.raises(ActionNotPermitted):
        agreements.agreement_create(lender=cw.lender, seller=cw.seller, distributor=cw.distributor,
                                    form="three_party", acting_user=cw.ops, **terms())
    Organization.objects.filter(pk=cw.warehouse.pk).update(kyc_state=Organization.KycState.SUBMITTED)
    cw.warehouse.refresh_from_db()
    with pytest.raises(KycNotVerified):
        prepare(cw, four_party=True)
    assert not ConfirmingAgreement.objects.exists()


def test_submit_opens_the_routing_for_the_limit_with_every_client_party(cw):
    agreement = agreements.agreement_submit(agreement=prepare(cw, four_party=True), acting_user=cw.officer)
    assert agreement.state == State.UNDER_REVIEW
    case = agreement.approval_case
    assert case.product == Product.CONFIRMING and case.amount == D("3000000.00")
    assert case.applicant == cw.distributor
    assert set(case.parties.values_list("pk", flat=True)) >= {cw.distributor.pk, cw.seller.pk, cw.warehouse.pk}
    assert Task.objects.filter(flow_task__endswith="ConfirmingAgreementFlow.review", status="NEW").count() == 1
    with pytest.raises(AgreementStateConflict):
        agreements.agreement_submit(agreement=agreement, acting_user=cw.officer)
    with pytest.raises(FourEyesViolation):  # the preparer never decides their own case
        agreements.agreement_review_decide(agreement=agreement, approver=cw.officer, decision="approve")


def test_return_revise_and_resubmit_then_reject_holds_nothing(cw):
    agreement = agreements.agreement_submit(agreement=prepare(cw), acting_user=cw.officer)
    agreements.agreement_review_decide(agreement=agreement, approver=cw.officer2, decision="return",
                                       comment="Lower the limit.")
    agreement.refresh_from_db()
    assert agreement.state == State.RETURNED
    revise = Task.objects.get(flow_task__endswith="ConfirmingAgreementFlow.revise", status__in=["NEW", "ASSIGNED"])
    assert revise.owner == cw.officer
    agreements.agreement_update(agreement=agreement, acting_user=cw.officer, limit_amount=D("2000000.00"))
    agreement = agreements.agreement_submit(agreement=agreement, acting_user=cw.officer)
    assert agreement.state == State.UNDER_REVIEW and agreement.approval_case.amount == D("2000000.00")
    assert process_for(agreement).amount == D("2000000.00")
    agreements.agreement_review_decide(agreement=agreement, approver=cw.officer2, decision="reject",
                                       comment="Concentration on the seller.")
    agreement.refresh_from_db()
    assert agreement.state == State.REJECTED
    assert _reserved(cw) == (D("0.00"), D("0.00"))
    assert not Task.objects.filter(process=process_for(agreement), status__in=["NEW", "ASSIGNED"]).exists()


def test_edit_only_while_draft_or_returned(cw):
    agreement = prepare(cw)
    agreements.agreement_update(agreement=agreement, acting_user=cw.officer, margin_ratio=D("0.25"))
    agreement.refresh_from_db()
    assert agreement.margin_ratio == D("0.25")
    with pytest.raises(ValidationError) as refused:
        agreements.agreement_update(agreement=agreement, acting_user=cw.officer, margin_ratio=D("1.5"))
    assert "margin_ratio" in refused.value.message_dict
    agreements.agreement_submit(agreement=agreement, acting_user=cw.officer)
    with pytest.raises(AgreementStateConflict):
        agreements.agreement_update(agreement=agreement, acting_user=cw.officer, margin_ratio=D("0.20"))


def test_four_party_approval_reserves_both_facilities_issues_the_agreement_and_all_signatures_activate(
        cw, django_capture_on_commit_callbacks):
    agreement = prepare(cw, four_party=True)
    with django_capture_on_commit_callbacks(execute=True):
        agreement = approve_all(cw, agreement)
    agreement.refresh_from_db()
    assert agreement.state == State.CONTRACT_ISSUED
    # 3,000,000.00 held on the distributor's 5,000,000.00 facility and on the seller's 4,000,000.00 line.
    assert _reserved(cw) == (D("3000000.00"), D("3000000.00"))
    assert cw.facility.available_amount == D("2000000.00") and cw.guarantee.available_amount == D("1000000.00")
    document = Document.objects.get(object_id=agreement.pk, kind="confirming_agreement")
    assert document.state == Document.State.ISSUED and document.language == "zh-hans"  # the distributor's
    assert set(document.document_parties.filter(must_sign=True).values_list("organization_id", flat=True)) == {
        cw.lender.pk, cw.seller.pk, cw.distributor.pk, cw.warehouse.pk}
    sign_tasks = Task.objects.filter(process=process_for(agreement), flow_task__contains="sign_", status="NEW")
    assert sorted(t.flow_task.name for t in sign_tasks) == [
        "sign_distributor", "sign_lender", "sign_seller", "sign_warehouse"]

    with django_capture_on_commit_callbacks(execute=True):
        sign_all(cw, agreement, skip={cw.warehouse.pk})
    agreement.refresh_from_db()
    assert agreement.state == State.CONTRACT_ISSUED  # the warehouse has not signed yet
    with django_capture_on_commit_callbacks(execute=True):
        sign_all(cw, agreement)
    agreement.refresh_from_db()
    assert agreement.state == State.ACTIVE and agreement.activated_at is not None
    assert Task.objects.filter(process=process_for(agreement), flow_task__endswith=".active",
                               status="NEW").count() == 1
    assert AuditRecord.objects.filter(action="confirming.confirmingagreement.activate",
                                      object_id=str(agreement.pk)).exists()

    # Closing: refused while an order is open, then the limit goes back to both facilities.
    order = PurchaseOrder.objects.create(agreement=agreement, reference="CWO-T-1", route="loan",
                                         order_amount=D("100000.00"), initial_margin=D("30000.00"),
                                         prepared_by=cw.officer)
    with pytest.raises(AgreementClosingBlocked) as blocked:
        agreements.agreement_close(agreement=agreement, acting_user=cw.ops)
    assert "1 order(s) are still open" in blocked.value.message
    with pytest.raises(ActionNotPermitted):
        agreements.agreement_close(agreement=agreement, acting_user=cw.officer)
    PurchaseOrder.objects.filter(pk=order.pk).update(state=PurchaseOrder.State.CLOSED)
    agreement = agreements.agreement_close(agreement=agreement, acting_user=cw.ops, note="all orders closed")
    assert agreement.state == State.CLOSED and agreement.closed_at is not None
    assert _reserved(cw) == (D("0.00"), D("0.00"))
    assert process_for(agreement).status == "DONE"


def test_cancel_needs_a_reason_releases_both_facilities_and_voids_the_agreement(cw, django_capture_on_commit_callbacks):
    agreement = prepare(cw)
    with django_capture_on_commit_callbacks(execute=True):
        agreement = approve_all(cw, agreement)
    assert _reserved(cw) == (D("3000000.00"), D("3000000.00"))
    sign_tasks = Task.objects.filter(process=process_for(agreement), flow_task__contains="sign_", status="NEW")
    assert sorted(t.flow_task.name for t in sign_tasks) == [
        "sign_distributor", "sign_lender", "sign_seller"]  # three-party: no warehouse signs
    with pytest.raises(ValidationError):
        agreements.agreement_cancel(agreement=agreement, acting_user=cw.officer, note="  ")
    agreement = agreements.agreement_cancel(agreement=agreement, acting_user=cw.officer, note="client withdrew")
    assert agreement.state == State.CANCELLED
    assert _reserved(cw) == (D("0.00"), D("0.00"))
    assert set(FacilityReservation.objects.filter(reference=agreement.reference).values_list("status", flat=True)) \
        == {FacilityReservation.Status.RELEASED}
    assert Document.objects.get(object_id=agreement.pk, kind="confirming_agreement").state == Document.State.VOID
    assert process_for(agreement).status == "CANCELED"
    with pytest.raises(AgreementStateConflict):
        agreements.agreement_cancel(agreement=agreement, acting_user=cw.officer, note="again")


def test_the_final_approval_is_refused_when_the_guarantee_line_no_longer_covers_the_limit(cw):
    agreement = agreements.agreement_submit(agreement=prepare(cw), acting_user=cw.officer)
    agreements.agreement_review_decide(agreement=agreement, approver=cw.officer2, decision="approve")
    # Meanwhile 1,500,000.00 of the seller's 4,000,000.00 line goes to another case: 2,500,000.00 is left.
    facility_reserve(facility=cw.guarantee, amount=D("1500000.00"), reference="OTHER-CASE", acting_user=cw.officer)
    with pytest.raises(FacilityLimitExceeded):
        agreements.agreement_review_decide(agreement=agreement, approver=cw.risk2, decision="approve")
    agreement.refresh_from_db()
    assert agreement.state == State.UNDER_REVIEW
    assert agreement.approval_case.decisions.count() == 1  # the risk manager's approval was not kept
    assert _reserved(cw) == (D("0.00"), D("1500000.00"))  # nothing held for the agreement on either
