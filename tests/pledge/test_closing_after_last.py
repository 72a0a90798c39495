"""The last repayment or release opens the closing task; an executed release restates a dynamic pledge's floor.

Figures by hand: 100.000 t of copper at 10,000.00 (receipts WR-C1 60.000 t and WR-C2 40.000 t),
V 1,000,000.00, r 0.60. A loan of 300,000.00 paid out: E 300,000.00, F = 300,000.00 / 0.60 = 500,000.00,
so WR-C2 (400,000.00) may go: V − F = 500,000.00 releasable. The loan is repaid on the day it was paid,
so no interest: 300,000.00 repays it all.
"""

from __future__ import annotations

import datetime

import pytest
from viewflow.workflow.models import Task

from documents.models import Document
from tests.factories import SettlementAccountFactory
from tests.pledge.collateral_helpers import approve_price
from tests.pledge.release_helpers import pledge_goods
from workflows.pledge import agreements, drawdowns
from workflows.pledge import pledge_releases as releases
from workflows.pledge.models import PledgeAgreement, PledgedItem
from workflows.pledge.pledge_releases import ReleaseRequestLine

from .agreement_setup import *  # noqa: F403
from .agreement_setup import D, approve_all, pdf, prepare, sign_all

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 2)
OPEN = ["NEW", "ASSIGNED", "STARTED"]


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC), tick=False)


def _closing_task_open() -> bool:
    return Task.objects.filter(flow_task__endswith=".close", status__in=OPEN).exists()


def _notices(agreement) -> list[Document]:
    return list(Document.objects.filter(kind="pledge_floor_notice", object_id=agreement.pk).order_by("version"))


@pytest.fixture
def registered(aw, django_capture_on_commit_callbacks):
    """An active dynamic agreement through its flow, registered, with two receipts pledged and a loan paid out."""
    with django_capture_on_commit_callbacks(execute=True):
        agreement = approve_all(aw, prepare(aw))
    with django_capture_on_commit_callbacks(execute=True):
        sign_all(aw, agreement)
    agreement.refresh_from_db()
    assert agreement.state == PledgeAgreement.State.ACTIVE and agreement.kind == PledgeAgreement.Kind.DYNAMIC
    agreements.registration_record(agreement=agreement, number="04123456000123456789",
                                   registered_on=datetime.date(2026, 2, 27), expires_on=datetime.date(2027, 2, 27),
                                   evidence=pdf(), acting_user=aw.ops)
    approve_price(aw, aw.copper, "10000.00", on=TODAY)
    items = pledge_goods(aw, agreement, receipts=[("WR-C1", "60.000"), ("WR-C2", "40.000")])
    SettlementAccountFactory(organization=aw.pledgor, account_name=aw.pledgor.legal_name)
    drawdown = drawdowns.drawdown_request(agreement=agreement, amount=D("300000.00"), acting_user=aw.pledgor_user)
    drawdowns.drawdown_approve(drawdown=drawdown, approver=aw.officer2)
    with django_capture_on_commit_callbacks(execute=True):
        drawdown = drawdowns.drawdown_disburse(drawdown=drawdown, acting_user=aw.ops)
    return agreement, drawdown, items


def _release(aw, agreement, item, capture):
    release = releases.release_request(agreement=agreement, lines=[ReleaseRequestLine(item)],
                                       acting_user=aw.pledgor_user)
    releases.release_order_issue(release=release, acting_user=aw.ops)
    with capture(execute=True):
        return releases.release_execute(release=release, acting_user=aw.warehouse_user)


def test_an_executed_release_restates_the_floor_and_the_last_one_opens_the_closing_task(
        aw, registered, django_capture_on_commit_callbacks):
    agreement, drawdown, (wr_c1, wr_c2) = registered
    assert len(_notices(agreement)) == 1  # the disbursement's: F 500,000.00
    _release(aw, agreement, wr_c2, django_capture_on_commit_callbacks)  # 400,000.00 ≤ 500,000.00 releasable
    notices = _notices(agreement)
    assert len(notices) == 2 and notices[-1].version == 2 and notices[-1].number == notices[0].number
    assert notices[-1].created_by is None
    assert not _closing_task_open()

    # Repaid: nothing owed, but WR-C1 is still pledged, so the file stays open.
    with django_capture_on_commit_callbacks(execute=True):
        drawdowns.drawdown_repay(drawdown=drawdown, amount=D("300000.00"), bank_reference="B-CLOSE-1", on=TODAY,
                                 acting_user=aw.ops)
    agreement.refresh_from_db()
    assert agreement.principal_outstanding == D("0.00")
    assert not _closing_task_open()
    count = len(_notices(agreement))  # the repayment's notice, F 0.00

    # The last goods go out: the closing task opens, and no floor notice is sent for goods no longer held.
    _release(aw, agreement, wr_c1, django_capture_on_commit_callbacks)
    assert _closing_task_open()
    assert len(_notices(agreement)) == count
    agreements.registration_deregister(agreement=agreement, deregistered_on=TODAY, evidence=pdf("d.pdf"),
                                       acting_user=aw.ops)
    closed = agreements.agreement_close(agreement=agreement, acting_user=aw.ops, note="file complete")
    assert closed.state == PledgeAgreement.State.CLOSED
    assert not Task.objects.filter(status__in=OPEN).exists()


def test_the_last_repayment_opens_the_closing_task_when_no_goods_are_held(
        aw, registered, django_capture_on_commit_callbacks):
    agreement, drawdown, _items = registered
    with django_capture_on_commit_callbacks(execute=True):
        drawdowns.drawdown_repay(drawdown=drawdown, amount=D("100000.00"), bank_reference="B-PART", on=TODAY,
                                 acting_user=aw.ops)
    assert not _closing_task_open()  # 200,000.00 still owed
    # The goods are gone before the last repayment (with 200,000.00 owed against nothing, a revaluation
    # would find the agreement in liquidation: the goods leave here without one).
    PledgedItem.objects.filter(agreement=agreement).update(status=PledgedItem.Status.RELEASED)
    with django_capture_on_commit_callbacks(execute=True):
        drawdowns.drawdown_repay(drawdown=drawdown, amount=D("200000.00"), bank_reference="B-LAST", on=TODAY,
                                 acting_user=aw.ops)
    assert _closing_task_open()


def test_a_static_pledge_gets_no_floor_notice_after_a_release(aw, registered, django_capture_on_commit_callbacks):
    agreement, _drawdown, (_wr_c1, wr_c2) = registered
    PledgeAgreement.objects.filter(pk=agreement.pk).update(kind=PledgeAgreement.Kind.STATIC)
    agreement.refresh_from_db()
    before = len(_notices(agreement))
    _release(aw, agreement, wr_c2, django_capture_on_commit_callbacks)
    assert len(_notices(agreement)) == before
