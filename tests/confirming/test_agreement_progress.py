"""A confirming-warehouse agreement's page shows where it stands; a three-party one needs no warehouse signature."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from workflows.confirming import agreements
from workflows.inbox.progress import CURRENT, DONE, SKIPPED, UPCOMING, case_progress

from .agreement_setup import *  # noqa: F403
from .agreement_setup import approve_all, prepare, sign_all

pytestmark = pytest.mark.django_db

SIGNATURES = ["sign_distributor", "sign_seller", "sign_warehouse", "sign_lender"]


def _states(agreement):
    return [(step.name, step.state) for step in case_progress(agreement).steps]


def _page(user, agreement, language="en") -> str:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client.get(reverse("confirming:agreement-detail", kwargs={"cw_agreement_pk": agreement.pk}),
                      HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_a_three_party_agreement_reads_the_warehouse_signature_as_not_needed_from_the_start(cw):
    agreement = prepare(cw)
    assert case_progress(agreement) is None and '<ol class="stepper">' not in _page(cw.officer, agreement)
    agreements.agreement_submit(agreement=agreement, acting_user=cw.officer)
    assert _states(agreement) == [("review", CURRENT), ("sign_distributor", UPCOMING), ("sign_seller", UPCOMING),
                                  ("sign_warehouse", SKIPPED), ("sign_lender", UPCOMING), ("close", UPCOMING)]
    html = _page(cw.distributor_user, agreement)
    stepper = html.split('<ol class="stepper">', 1)[1].split("</ol>", 1)[0]
    current = stepper.split('aria-current="step"', 1)[1].split("</li>", 1)[0]
    assert "Credit review of the confirming-warehouse agreement" in current
    assert "Waiting for Staff of 测试银行 who may: Decide approval cases as a credit officer" in current
    warehouse = stepper.split("Sign the four-party agreement as the warehouse", 1)[1].split("</li>", 1)[0]
    assert "Not needed" in warehouse


def test_a_four_party_agreement_waits_for_four_signatures_then_closes_when_operations_close_it(
        cw, django_capture_on_commit_callbacks):
    cw.risk2.first_name, cw.risk2.last_name = "Min", "Zhao"
    cw.risk2.save()
    with django_capture_on_commit_callbacks(execute=True):
        agreement = approve_all(cw, prepare(cw, four_party=True))
    progress = case_progress(agreement)
    assert [(s.name, s.state) for s in progress.steps] == [("review", DONE)] + [
        (name, CURRENT) for name in SIGNATURES] + [("close", UPCOMING)]
    assert progress.steps[0].done_by == "Min Zhao"
    assert progress.steps[3].actor == f"A signatory of {cw.warehouse.legal_name}"

    with django_capture_on_commit_callbacks(execute=True):
        sign_all(cw, agreement)
    assert _states(agreement) == [("review", DONE)] + [(name, DONE) for name in SIGNATURES] + [("close", UPCOMING)]
    html = _page(cw.seller_user, agreement, "zh-hans")
    stepper = html.split('<ol class="stepper">', 1)[1].split("</ol>", 1)[0]
    assert stepper.count("已完成") == 5
    assert "未开始" in stepper.split("关闭保兑仓协议", 1)[1] and 'aria-current="step"' not in stepper
