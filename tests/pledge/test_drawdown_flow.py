"""A drawdown's flow: the credit reviewer's task, then operations' "Disburse" task, driven through the inbox.

Amounts from tests/pledge/drawdown_setup.py: max loan 600,000.00; a request of 400,000.00 needs one
credit officer (≤ 1,000,000.00 in the default matrix).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS

from scf.facilities.models import CreditFacility, FacilityReservation
from tests.pledge.collateral_helpers import approve_price
from tests.releasing import release_pending
from workflows.approval.models import ApprovalCase
from workflows.inbox.services import process_for
from workflows.pledge import drawdowns
from workflows.pledge.exceptions import DrawdownAboveAvailable
from workflows.pledge.models import PledgeDrawdown

from .drawdown_setup import *  # noqa: F403  (the fixtures dw, today)
from .drawdown_setup import TODAY, D


def collateral_price(dw, price):
    approve_price(dw.world, dw.copper, price, on=TODAY)

pytestmark = pytest.mark.django_db


def logged_in(user, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def request(dw, amount="400000.00"):
    return drawdowns.drawdown_request(agreement=dw.agreement, amount=D(amount), acting_user=dw.pledgor_user)


def open_tasks(step: str):
    return Task.objects.filter(flow_task__endswith=f"PledgeDrawdownFlow.{step}", status__in=["NEW", "ASSIGNED"])


def test_a_request_opens_the_credit_review_task_and_approval_opens_disbursement(dw):
    drawdown = request(dw)
    assert open_tasks("review").count() == 1
    drawdowns.drawdown_approve(drawdown=drawdown, approver=dw.officer)
    assert open_tasks("review").count() == 0 and open_tasks("disburse").count() == 1
    drawdowns.drawdown_disburse(drawdown=drawdown, acting_user=dw.ops)
    assert open_tasks("disburse").count() == 0
    assert process_for(drawdown).status == PROCESS.DONE


def test_a_rejection_ends_the_flow(dw):
    drawdown = request(dw)
    drawdowns.drawdown_reject(drawdown=drawdown, approver=dw.officer, comment="Collateral too concentrated")
    assert not Task.objects.filter(flow_task__contains="PledgeDrawdownFlow", status__in=["NEW", "ASSIGNED"]).exists()
    assert process_for(drawdown).status == PROCESS.DONE


def test_a_withdrawal_takes_the_task_out_of_the_inbox(dw):
    drawdown = request(dw)
    drawdowns.drawdown_withdraw(drawdown=drawdown, acting_user=dw.pledgor_user)
    assert open_tasks("review").count() == 0
    assert process_for(drawdown).status == PROCESS.CANCELED


def test_the_officer_decides_and_operations_disburse_on_the_task_pages_in_chinese(dw):
    drawdown = request(dw)
    task = open_tasks("review").get()
    officer = logged_in(dw.officer, "zh-hans")
    url = reverse("inbox:task", args=[task.pk])
    page = officer.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "贷款授信审查" in page and drawdown.reference in page and "400,000.00" in page
    assert 'value="return"' in page  # approve, reject or return for revision
    # A rejection without a comment comes back on the form; nothing changes.
    response = officer.post(url, {"decision": "reject", "comment": ""}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert PledgeDrawdown.objects.get().state == PledgeDrawdown.State.REQUESTED
    response = officer.post(url, {"decision": "approve", "comment": ""}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 302
    assert PledgeDrawdown.objects.get().state == PledgeDrawdown.State.APPROVED
    disburse = open_tasks("disburse").get()
    # The pledgor's user may not open operations' task.
    assert logged_in(dw.pledgor_user).get(reverse("inbox:task", args=[disburse.pk])).status_code in (403, 404)
    ops = logged_in(dw.ops)
    url = reverse("inbox:task", args=[disburse.pk])
    page = ops.get(url).content.decode()
    assert "Disburse the loan" in page and "400,000.00" in page
    response = ops.post(url, {"confirm": "on"})
    assert response.status_code == 302
    assert PledgeDrawdown.objects.get().state == PledgeDrawdown.State.APPROVED  # prepared, not yet paid
    assert open_tasks("disburse").count() == 1
    release_pending(dw.ops2)
    drawdown.refresh_from_db()
    assert drawdown.state == PledgeDrawdown.State.DISBURSED and drawdown.principal_outstanding == D("400000.00")
    assert CreditFacility.objects.get(pk=dw.agreement.facility_id).outstanding_amount == D("400000.00")


def test_a_return_sends_the_request_to_the_pledgor_who_resubmits_it_on_the_task_page(dw):
    drawdown = request(dw)
    with pytest.raises(ValidationError):  # a return needs a comment
        drawdowns.drawdown_return(drawdown=drawdown, approver=dw.officer, comment="")
    drawdowns.drawdown_return(drawdown=drawdown, approver=dw.officer, comment="Attach the sales contract")
    drawdown.refresh_from_db()
    assert drawdown.state == PledgeDrawdown.State.RETURNED
    assert FacilityReservation.objects.get(reference=drawdown.reference).amount == D("400000.00")  # still reserved
    # Still counted against what may be drawn: 600,000.00 − 400,000.00.
    assert drawdowns.drawdown_availability(dw.agreement).available == D("200000.00")
    task = open_tasks("revise").get()
    assert logged_in(dw.ops).get(reverse("inbox:task", args=[task.pk])).status_code in (403, 404)
    client = logged_in(dw.pledgor_user, "zh-hans")
    url = reverse("inbox:task", args=[task.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Attach the sales contract" in page and "退回修改" in page
    response = client.post(url, {"action": "resubmit", "note": "Contract attached"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 302
    drawdown.refresh_from_db()
    assert drawdown.state == PledgeDrawdown.State.REQUESTED
    assert ApprovalCase.objects.get(pk=drawdown.approval_case_id).round == 2
    assert open_tasks("revise").count() == 0 and open_tasks("review").count() == 1
    drawdowns.drawdown_approve(drawdown=drawdown, approver=dw.officer)  # the same officer decides the new round
    assert open_tasks("disburse").count() == 1


def test_a_returned_request_may_be_withdrawn_and_its_reservation_goes_back(dw):
    drawdown = request(dw)
    drawdowns.drawdown_return(drawdown=drawdown, approver=dw.officer, comment="Too large for now")
    drawdowns.drawdown_withdraw(drawdown=drawdown, acting_user=dw.pledgor_user, note="Will ask again")
    drawdown.refresh_from_db()
    assert drawdown.state == PledgeDrawdown.State.WITHDRAWN
    assert CreditFacility.objects.get(pk=dw.agreement.facility_id).reserved_amount == 0
    assert open_tasks("revise").count() == 0
    assert process_for(drawdown).status == PROCESS.CANCELED


def test_a_resubmission_must_still_fit_what_is_available(dw):
    drawdown = request(dw)
    drawdowns.drawdown_return(drawdown=drawdown, approver=dw.officer, comment="Check the price")
    # The price falls to 6,000.00: V 600,000.00, max loan 360,000.00 < 400,000.00.
    collateral_price(dw, "6000.00")
    with pytest.raises(DrawdownAboveAvailable):
        drawdowns.drawdown_resubmit(drawdown=drawdown, acting_user=dw.pledgor_user)
    drawdown.refresh_from_db()
    assert drawdown.state == PledgeDrawdown.State.RETURNED
