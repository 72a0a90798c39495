"""Pledge agreement pages in English and Chinese: list, form, detail with registration, task pages, tenancy."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task

from documents.models import Document
from workflows.pledge import agreements
from workflows.pledge.models import PledgeAgreement, PledgeRegistration

from .agreement_setup import *  # noqa: F403
from .agreement_setup import approve_all, pdf, prepare

pytestmark = pytest.mark.django_db


def logged_in(user, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def get(client: Client, url: str, language: str = "en"):
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


FORM = {"pledgor": None, "warehouse": None, "kind": "dynamic", "maximum_amount": "3000000.00", "pledge_rate": "0.60",
        "warning_ltv": "0.65", "call_ltv": "0.70", "liquidation_ltv": "0.80", "cure_days": "3",
        "price_max_age_days": "5", "floor_value_minimum": "0", "annual_rate": "0.055", "day_count": "ACT/360",
        "start_date": "2026-01-05", "end_date": "2027-01-05"}


def test_the_officer_prepares_an_agreement_on_the_form(aw):
    client = logged_in(aw.officer)
    page = get(client, reverse("pledge:agreement-new")).content.decode()
    assert "Prepare a pledge agreement" in page and aw.pledgor.legal_name in page and aw.warehouse.legal_name in page
    response = client.post(reverse("pledge:agreement-new"),
                           {**FORM, "pledgor": aw.pledgor.pk, "warehouse": aw.warehouse.pk})
    agreement = PledgeAgreement.objects.get()
    assert response.status_code == 302 and response.url == reverse("pledge:agreement-detail", args=[agreement.pk])
    detail = get(client, response.url).content.decode()
    assert agreement.reference in detail and "Submit for credit review" in detail and "3,000,000.00" in detail


def test_invalid_terms_come_back_on_the_form_in_chinese_and_nothing_is_stored(aw):
    client = logged_in(aw.officer, "zh-hans")
    response = client.post(reverse("pledge:agreement-new"), {**FORM, "pledgor": aw.pledgor.pk,
                                                             "warehouse": aw.warehouse.pk, "call_ltv": "0.85"},
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    page = response.content.decode()
    assert "处置线不能低于补仓线" in page and "拟定质押协议" in page
    assert not PledgeAgreement.objects.exists()


def test_the_list_filters_by_state_in_both_languages(aw):
    draft = prepare(aw)
    submitted = agreements.agreement_submit(agreement=prepare(aw), acting_user=aw.officer)
    client = logged_in(aw.officer)
    page = get(client, reverse("pledge:agreement-list") + "?state=under_review").content.decode()
    assert submitted.reference in page and draft.reference not in page and "Under review" in page
    chinese = get(logged_in(aw.officer, "zh-hans"), reverse("pledge:agreement-list"), "zh-hans").content.decode()
    assert "质押协议" in chinese and "审核中" in chinese and "草稿" in chinese and draft.reference in chinese


def test_the_pledgor_and_the_warehouse_see_the_agreement_but_cannot_edit(aw):
    agreement = prepare(aw)
    for user in (aw.pledgor_user, aw.warehouse_user):
        page = get(logged_in(user), reverse("pledge:agreement-detail", args=[agreement.pk])).content.decode()
        assert agreement.reference in page
        assert "Submit for credit review" not in page and "Pledge rate" in page
        assert get(logged_in(user), reverse("pledge:agreement-edit", args=[agreement.pk])).status_code == 404


def test_another_lenders_staff_get_404(aw, other_lender_world):
    agreement = prepare(aw)
    _other, stranger = other_lender_world
    client = logged_in(stranger)
    assert get(client, reverse("pledge:agreement-detail", args=[agreement.pk])).status_code == 404
    assert client.post(reverse("pledge:agreement-submit", args=[agreement.pk])).status_code == 404
    assert agreement.reference not in get(client, reverse("pledge:agreement-list")).content.decode()


def test_submit_from_the_page_and_a_second_submit_is_refused_with_a_message(aw):
    agreement = prepare(aw)
    client = logged_in(aw.officer)
    url = reverse("pledge:agreement-submit", args=[agreement.pk])
    assert client.post(url, {"note": "ready"}).status_code == 302
    agreement.refresh_from_db()
    assert agreement.state == PledgeAgreement.State.UNDER_REVIEW
    page = client.post(url, follow=True).content.decode()
    assert "it cannot be submitted" in page
    chinese = logged_in(aw.officer, "zh-hans").post(url, follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "不能提交" in chinese.content.decode()


def test_the_approver_decides_on_the_task_page(aw):
    agreement = agreements.agreement_submit(agreement=prepare(aw), acting_user=aw.officer)
    task = Task.objects.get(flow_task__endswith=".review", status="NEW")
    client = logged_in(aw.officer2, "zh-hans")
    url = reverse("inbox:task", args=[task.pk])
    page = get(client, url, "zh-hans").content.decode()
    assert "质押协议授信审查" in page and agreement.reference in page and "质押率" in page
    response = client.post(url, {"decision": "approve", "comment": ""}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.approval_case.decisions.count() == 1


def test_operations_record_the_registration_on_the_detail_page(world, active_agreement, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC), tick=False)
    client = logged_in(world.ops)
    url = reverse("pledge:agreement-detail", args=[active_agreement.pk])
    page = get(client, url).content.decode()
    assert "Record the registration" in page and "No registration is recorded yet" in page
    response = client.post(reverse("pledge:agreement-register", args=[active_agreement.pk]), {
        "number": "04123456000123456789", "registered_on": "2026-02-27", "expires_on": "2027-02-27",
        "evidence": pdf()}, follow=True)
    page = response.content.decode()
    assert PledgeRegistration.objects.filter(agreement=active_agreement).exists()
    assert "04123456000123456789" in page and "In force" in page and "Record the deregistration" in page
    chinese = get(logged_in(world.ops, "zh-hans"), url, "zh-hans").content.decode()
    assert "登记编号" in chinese and "有效" in chinese and "注销登记" in chinese
    # The closing card names what is missing: the registration not cancelled yet.
    assert "registration 04123456000123456789 is not deregistered" in page


def test_a_refused_registration_shows_the_reason_and_stores_nothing(world, active_agreement):
    client = logged_in(world.ops)
    page = client.post(reverse("pledge:agreement-register", args=[active_agreement.pk]), {
        "number": "R-1", "registered_on": "2026-02-27", "expires_on": "2026-02-01", "evidence": pdf()},
        follow=True).content.decode()
    assert "The expiry date must be after the registration date." in page
    assert not PledgeRegistration.objects.exists()
    assert logged_in(world.pledgor_user).post(reverse("pledge:agreement-register", args=[active_agreement.pk]), {
        "number": "R-1", "registered_on": "2026-02-27", "expires_on": "2027-02-01", "evidence": pdf()}
    ).status_code == 302
    assert not PledgeRegistration.objects.exists()


def test_each_party_sees_its_contracts_and_signs_them_on_its_task_page(aw, django_capture_on_commit_callbacks,
                                                                        time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        agreement = approve_all(aw, prepare(aw))
    url = reverse("pledge:agreement-detail", args=[agreement.pk])
    pledgor_page = get(logged_in(aw.pledgor_user), url).content.decode()
    contracts = {d.kind: d for d in Document.objects.filter(object_id=agreement.pk)}
    assert len(contracts) == 3 and all(d.title in pledgor_page for d in contracts.values())
    assert "Sign the contracts" in pledgor_page
    warehouse_page = get(logged_in(aw.warehouse_user, "zh-hans"), url, "zh-hans").content.decode()
    # The contracts card (the stepper above it names the pledgor's step "…最高额质押合同…").
    warehouse_contracts = warehouse_page.split('id="documents"', 1)[1]
    assert contracts["pledge_supervision_agreement"].title in warehouse_contracts
    assert contracts["pledge_contract"].title not in warehouse_contracts
    assert "签署合同" in warehouse_page
    for user in (aw.pledgor_user, aw.warehouse_user, aw.ops):
        task = next(t for t in Task.objects.filter(flow_task__contains=".sign_", status__in=["NEW", "ASSIGNED"])
                    if logged_in(user).get(reverse("inbox:task", args=[t.pk])).status_code == 200)
        client = logged_in(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("inbox:task", args=[task.pk]), {"password": "pw-Secret-123"})
        assert response.status_code == 302, response.content.decode()[:2000]
    agreement.refresh_from_db()
    assert agreement.state == PledgeAgreement.State.ACTIVE
    # Once active, each party finds the collateral and releases from the agreement's page.
    collateral = reverse("pledge:agreement-collateral", args=[agreement.pk])
    for user in (aw.pledgor_user, aw.warehouse_user, aw.ops):
        page = get(logged_in(user), reverse("pledge:agreement-detail", args=[agreement.pk])).content.decode()
        assert f'href="{collateral}"' in page and "Collateral and releases" in page
    register = Task.objects.get(flow_task__endswith=".register", status="NEW")
    ops = logged_in(aw.ops, "zh-hans")
    page = get(ops, reverse("inbox:task", args=[register.pk]), "zh-hans").content.decode()
    assert "录入质押登记" in page and "中登网" in page
    response = ops.post(reverse("inbox:task", args=[register.pk]), {
        "number": "04123456000123456789", "registered_on": "2026-03-02", "expires_on": "2027-03-02",
        "evidence": pdf()}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 302
    assert PledgeRegistration.objects.get(agreement=agreement).number == "04123456000123456789"
    # Nothing drawn, nothing pledged: operations open the closing task, deregister and close on it.
    assert logged_in(aw.ops).post(reverse("pledge:agreement-wind-up", args=[agreement.pk])).status_code == 302
    close = Task.objects.get(flow_task__endswith=".close", status="NEW")
    refused = logged_in(aw.ops).post(reverse("inbox:task", args=[close.pk]), {"note": "file complete"})
    assert refused.status_code == 400 and "Enter the deregistration date." in refused.content.decode()
    response = logged_in(aw.ops).post(reverse("inbox:task", args=[close.pk]), {
        "deregistered_on": "2026-03-02", "evidence": pdf("dereg.pdf"), "note": "file complete"})
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.state == PledgeAgreement.State.CLOSED


def test_the_menu_offers_pledge_agreements_to_the_parties_of_one_only(aw, corporate):
    menu = reverse("pledge:agreement-list")
    assert f'href="{menu}"' not in get(logged_in(aw.pledgor_user), "/").content.decode()
    prepare(aw)
    for user in (aw.pledgor_user, aw.warehouse_user, aw.officer):
        assert f'href="{menu}"' in get(logged_in(user), "/").content.decode()
    _org, stranger = corporate("no-pledge")
    assert f'href="{menu}"' not in get(logged_in(stranger), "/").content.decode()
