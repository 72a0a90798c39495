"""A pledge loan's stepper: the same shared selector on another product's flow."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from workflows.inbox.progress import CURRENT, DONE, UPCOMING, case_progress
from workflows.pledge import drawdowns

from .drawdown_setup import *  # noqa: F403  (the fixtures dw, today)
from .drawdown_setup import D

pytestmark = pytest.mark.django_db


def test_a_pledge_loan_goes_from_review_to_disbursement_on_the_stepper(dw):
    drawdown = drawdowns.drawdown_request(agreement=dw.agreement, amount=D("400000.00"), acting_user=dw.pledgor_user)
    progress = case_progress(drawdown)
    assert [(s.name, s.state) for s in progress.steps] == [("review", CURRENT), ("disburse", UPCOMING)]
    assert progress.steps[0].actor.endswith("who may: Decide approval cases as a credit officer")
    drawdowns.drawdown_approve(drawdown=drawdown, approver=dw.officer)
    assert [(s.name, s.state) for s in case_progress(drawdown).steps] == [("review", DONE), ("disburse", CURRENT)]

    client = Client()
    client.force_login(dw.pledgor_user)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("pledge:drawdown-detail", kwargs={"drawdown_pk": drawdown.pk})).content.decode()
    current = html.split('aria-current="step"', 1)[1].split("</li>", 1)[0]
    assert "当前步骤" in current and "已完成" in html.split('<ol class="stepper">', 1)[1]
