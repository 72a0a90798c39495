"""Confirming-warehouse agreement pages in English and Chinese: list, form, detail, task pages, tenancy."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task

from documents.models import Document
from scf.core.menus import menu_items
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from workflows.confirming import agreements
from workflows.confirming.models import ConfirmingAgreement

from .agreement_setup import *  # noqa: F403
from .agreement_setup import D, approve_all, prepare

pytestmark = pytest.mark.django_db


def logged_in(user, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def get(client: Client, url: str, language: str = "en"):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


FORM = {"form": "four_party", "limit_amount": "3000000.00", "revolving": "on", "margin_ratio": "0.30",
        "release_mode": "2", "tenor_days": "180", "refund_notice_days": "5", "allows_loan": "on",
        "allows_acceptance_bill": "on", "annual_rate": "0.045", "refund_undertaking": "Refund the shortfall.",
        "start_date": "2026-01-05", "end_date": "2027-01-05"}


def test_the_officer_prepares_a_four_party_agreement_on_the_form(cw):
    client = logged_in(cw.officer)
    page = get(client, reverse("confirming:agreement-new")).content.decode()
    assert "Prepare a confirming-warehouse agreement" in page
    assert cw.seller.legal_name in page and cw.distributor.legal_name in page and cw.warehouse.legal_name in page
    response = client.post(reverse("confirming:agreement-new"), {
        **FORM, "seller": cw.seller.pk, "distributor": cw.distributor.pk, "warehouse": cw.warehouse.pk})
    agreement = ConfirmingAgreement.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("confirming:agreement-detail", kwargs={"cw_agreement_pk": agreement.pk})
    assert agreement.form == "four_party" and agreement.warehouse == cw.warehouse and agreement.release_mode == 2
    detail = get(client, response.url).content.decode()
    assert agreement.reference in detail and "Submit for credit review" in detail and "3,000,000.00" in detail
    # The lender's staff see both facilities with their headroom.
    assert cw.facility.reference in detail and cw.guarantee.reference in detail and "Headroom" in detail
    assert "4,000,000.00" in detail and "5,000,000.00" in detail


def test_invalid_terms_come_back_on_the_form_in_chinese_and_nothing_is_stored(cw):
    client = logged_in(cw.officer, "zh-hans")
    response = client.post(reverse("confirming:agreement-new"), {
        **FORM, "seller": cw.seller.pk, "distributor": cw.distributor.pk, "warehouse": "", "margin_ratio": "1.2"},
        HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    page = response.content.decode()
    assert "拟定保兑仓协议" in page and "四方协议须指定代贷款人保管货物的仓库。" in page
    assert "保证金比例" in page
    assert not ConfirmingAgreement.objects.exists()


def test_the_list_filters_by_state_in_both_languages_and_is_in_the_menu(cw):
    draft = prepare(cw)
    submitted = agreements.agreement_submit(agreement=prepare(cw), acting_user=cw.officer)
    client = logged_in(cw.officer)
    page = get(client, reverse("confirming:agreement-list") + "?state=under_review").content.decode()
    assert submitted.reference in page and draft.reference not in page and "Prepare an agreement" in page
    chinese = get(logged_in(cw.officer, "zh-hans"), reverse("confirming:agreement-list"), "zh-hans").content.decode()
    assert "保兑仓协议" in chinese and "审核中" in chinese and draft.reference in chinese
    entry = next(item for item in menu_items() if item.key == "confirming-agreements")
    assert all(entry.visible(user) for user in (cw.officer, cw.seller_user, cw.distributor_user))
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, organization=OrganizationFactory(is_distributor=True, is_supplier=False))
    assert not entry.visible(stranger)


def test_the_parties_see_the_agreement_but_cannot_act_and_others_get_404(cw):
    agreement = prepare(cw, four_party=True)
    url = reverse("confirming:agreement-detail", kwargs={"cw_agreement_pk": agreement.pk})
    for user in (cw.seller_user, cw.distributor_user, cw.warehouse_user):
        page = get(logged_in(user), url).content.decode()
        assert agreement.reference in page and "Margin ratio" in page
        assert "Submit for credit review" not in page and cw.facility.reference not in page
        assert get(logged_in(user), reverse("confirming:agreement-edit",
                                            kwargs={"cw_agreement_pk": agreement.pk})).status_code == 404
    stranger = UserFactory(username="stranger")
    MembershipFactory(user=stranger, organization=OrganizationFactory(is_distributor=True, is_supplier=False))
    client = logged_in(stranger)
    assert get(client, url).status_code == 404
    submit = reverse("confirming:agreement-submit", kwargs={"cw_agreement_pk": agreement.pk})
    assert client.post(submit).status_code == 404
    agreement.refresh_from_db()
    assert agreement.state == "draft"


def test_submit_and_cancel_buttons_then_the_review_task_page_decides(cw):
    agreement = prepare(cw)
    client = logged_in(cw.officer)
    detail = reverse("confirming:agreement-detail", kwargs={"cw_agreement_pk": agreement.pk})
    response = client.post(reverse("confirming:agreement-submit", kwargs={"cw_agreement_pk": agreement.pk}),
                           {"note": "Excavator parts."})
    assert response.status_code == 302 and response.url == detail
    agreement.refresh_from_db()
    assert agreement.state == "under_review"
    task = Task.objects.get(flow_task__endswith="ConfirmingAgreementFlow.review", status="NEW")
    reviewer = logged_in(cw.officer2, "zh-hans")
    page = get(reviewer, reverse("inbox:task", kwargs={"task_pk": task.pk}), "zh-hans").content.decode()
    assert agreement.reference in page and "保证金比例" in page
    # The reviewer sees both facilities with their headroom, and every party's KYC.
    assert cw.facility.reference in page and cw.guarantee.reference in page and "5,000,000.00" in page
    assert cw.seller.legal_name in page and cw.distributor.legal_name in page
    response = reviewer.post(reverse("inbox:task", kwargs={"task_pk": task.pk}),
                             {"decision": "return", "comment": "Lower the limit."})
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.state == "returned"
    # Returned: the preparer cancels it from the page with a reason.
    refused = client.post(reverse("confirming:agreement-cancel", kwargs={"cw_agreement_pk": agreement.pk}),
                          {"note": ""})
    assert refused.status_code == 302
    agreement.refresh_from_db()
    assert agreement.state == "returned"
    client.post(reverse("confirming:agreement-cancel", kwargs={"cw_agreement_pk": agreement.pk}),
                {"note": "The distributor withdrew."})
    agreement.refresh_from_db()
    assert agreement.state == "cancelled"
    cw.facility.refresh_from_db()
    assert cw.facility.reserved_amount == D("0.00")


def test_every_party_signs_on_its_task_page_then_operations_close_on_the_closing_task(
        cw, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        agreement = approve_all(cw, prepare(cw))
    url = reverse("confirming:agreement-detail", kwargs={"cw_agreement_pk": agreement.pk})
    document = Document.objects.get(object_id=agreement.pk, kind="confirming_agreement")
    seller_page = get(logged_in(cw.seller_user), url).content.decode()
    assert document.title in seller_page and "Sign the agreement" in seller_page
    distributor_page = get(logged_in(cw.distributor_user, "zh-hans"), url, "zh-hans").content.decode()
    assert "签署协议" in distributor_page
    assert "Sign the agreement" not in get(logged_in(cw.warehouse_user), url).content.decode()  # three-party
    for user in (cw.distributor_user, cw.seller_user, cw.ops):
        task = next(t for t in Task.objects.filter(flow_task__contains=".sign_", status__in=["NEW", "ASSIGNED"])
                    if logged_in(user).get(reverse("inbox:task", kwargs={"task_pk": t.pk})).status_code == 200)
        with django_capture_on_commit_callbacks(execute=True):
            response = logged_in(user).post(reverse("inbox:task", kwargs={"task_pk": task.pk}),
                                            {"password": "pw-Secret-123"})
        assert response.status_code == 302, response.content.decode()[:2000]
    agreement.refresh_from_db()
    assert agreement.state == ConfirmingAgreement.State.ACTIVE
    # No order open: operations wind it up, and close it on the closing task.
    assert agreements.agreement_wind_up(agreement=agreement, acting_user=cw.ops)
    close = Task.objects.get(flow_task__endswith="ConfirmingAgreementFlow.close", status="NEW")
    ops = logged_in(cw.ops, "zh-hans")
    page = get(ops, reverse("inbox:task", kwargs={"task_pk": close.pk}), "zh-hans").content.decode()
    assert "关闭协议将释放两项授信上占用的额度" in page
    response = ops.post(reverse("inbox:task", kwargs={"task_pk": close.pk}), {"note": "No orders left."})
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.state == ConfirmingAgreement.State.CLOSED
    cw.facility.refresh_from_db()
    cw.guarantee.refresh_from_db()
    assert cw.facility.reserved_amount == D("0.00") and cw.guarantee.reserved_amount == D("0.00")
