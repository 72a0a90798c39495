"""A pledge agreement's page shows where it stands: review, the three signatures, registration, closing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from workflows.inbox.progress import CURRENT, DONE, NOT_REACHED, UPCOMING, case_progress
from workflows.pledge import agreements

from .agreement_setup import *  # noqa: F403
from .agreement_setup import approve_all, prepare, sign_all

pytestmark = pytest.mark.django_db

SIGNATURES = ["sign_pledgor", "sign_warehouse", "sign_lender"]


def _states(agreement):
    return [(step.name, step.state) for step in case_progress(agreement).steps]


def _page(user, agreement, language="en") -> str:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client.get(reverse("pledge:agreement-detail", kwargs={"agreement_pk": agreement.pk}),
                      HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_a_draft_has_no_stepper_and_a_submitted_one_waits_for_credit_review(aw):
    agreement = prepare(aw)
    assert case_progress(agreement) is None and '<ol class="stepper">' not in _page(aw.officer, agreement)
    agreements.agreement_submit(agreement=agreement, acting_user=aw.officer)
    progress = case_progress(agreement)
    assert [(s.name, s.state) for s in progress.steps] == [("review", CURRENT)] + [
        (name, UPCOMING) for name in (*SIGNATURES, "register", "close")]
    assert progress.steps[0].actor == "Staff of 测试银行 who may: Decide approval cases as a credit officer"

    html = _page(aw.officer, agreement)
    current = html.split('aria-current="step"', 1)[1].split("</li>", 1)[0]
    assert "Credit review of the pledge agreement" in current and "Waiting for Staff of 测试银行" in current
    assert html.count('aria-current="step"') == 1


def test_the_stepper_follows_the_agreement_through_approval_signing_and_registration(
        aw, django_capture_on_commit_callbacks):
    aw.risk2.first_name, aw.risk2.last_name = "Min", "Zhao"
    aw.risk2.save()
    with django_capture_on_commit_callbacks(execute=True):
        agreement = approve_all(aw, prepare(aw))
    progress = case_progress(agreement)
    assert [(s.name, s.state) for s in progress.steps] == [("review", DONE)] + [
        (name, CURRENT) for name in SIGNATURES] + [("register", UPCOMING), ("close", UPCOMING)]
    assert progress.steps[0].done_by == "Min Zhao"  # the last approver, by name
    signers = {s.name: s.actor for s in progress.steps if s.state == CURRENT}
    assert signers == {"sign_pledgor": f"A signatory of {aw.pledgor.legal_name}",
                       "sign_warehouse": f"A signatory of {aw.warehouse.legal_name}",
                       "sign_lender": "A signatory of 测试银行"}

    with django_capture_on_commit_callbacks(execute=True):
        sign_all(aw, agreement)
    assert _states(agreement) == [("review", DONE)] + [(name, DONE) for name in SIGNATURES] + [
        ("register", CURRENT), ("close", UPCOMING)]
    html = _page(aw.pledgor_user, agreement, "zh-hans")
    stepper = html.split('<ol class="stepper">', 1)[1].split("</ol>", 1)[0]
    assert stepper.count("已完成") == 4 and "当前步骤" in stepper.split('aria-current="step"', 1)[1]


def test_a_rejected_agreement_never_reaches_the_signatures(aw):
    agreement = prepare(aw)
    agreements.agreement_submit(agreement=agreement, acting_user=aw.officer)
    agreements.agreement_review_decide(agreement=agreement, approver=aw.officer2, decision="reject",
                                       comment="Warehouse too concentrated")
    progress = case_progress(agreement)
    assert [(s.name, s.state) for s in progress.steps] == [("review", DONE)] + [
        (name, NOT_REACHED) for name in (*SIGNATURES, "register", "close")]
