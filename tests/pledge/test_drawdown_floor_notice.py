"""A dynamic pledge's floor value notice goes to the warehouse after every change of exposure by a loan.

r 0.60, no lender's minimum (tests/pledge/drawdown_setup.py). A loan of 400,000.00 paid: E 400,000.00,
F = 400,000.00 / 0.60 = 666,666.666… → rounded up 666,666.67. On 2026-04-01 102,166.67 repays interest
2,166.67 and principal 100,000.00: E 300,000.00, F = 500,000.00. Interest alone leaves E and F as they were.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess

import pytest

from documents.models import Document
from workflows.pledge import drawdowns
from workflows.pledge.models import PledgeAgreement

from .drawdown_setup import *  # noqa: F403  (the fixtures dw, today)
from .drawdown_setup import D

pytestmark = pytest.mark.django_db


def notices(dw):
    return Document.objects.filter(kind="pledge_floor_notice", object_id=dw.agreement.pk).order_by("version")


def pdf_text(document: Document) -> str:
    field = document.final_pdf or document.pdf
    with field.open("rb") as handle:
        data = handle.read()
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()
    return re.sub(r"\s+", "", text)


def disbursed(dw, capture):
    drawdown = drawdowns.drawdown_request(agreement=dw.agreement, amount=D("400000.00"), acting_user=dw.pledgor_user)
    drawdowns.drawdown_approve(drawdown=drawdown, approver=dw.officer)
    with capture(execute=True):
        return drawdowns.drawdown_disburse(drawdown=drawdown, acting_user=dw.ops)


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext)")
def test_disbursement_and_each_principal_repayment_send_a_new_floor_notice(dw, today,
                                                                            django_capture_on_commit_callbacks):
    assert not notices(dw).exists()
    drawdown = disbursed(dw, django_capture_on_commit_callbacks)
    (first,) = notices(dw)
    assert first.created_by is None and first.language == dw.warehouse.preferred_language
    text = pdf_text(first)
    assert "666,666.67" in text and "400,000.00" in text
    today.move_to(datetime.datetime(2026, 4, 20, 10, 0, tzinfo=datetime.UTC), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        drawdowns.drawdown_repay(drawdown=drawdown, amount=D("102166.67"), bank_reference="B-1",
                                 on=datetime.date(2026, 4, 1), acting_user=dw.ops)
    assert notices(dw).count() == 2
    current = notices(dw).last()
    assert current.state == Document.State.SIGNED
    text = pdf_text(current)
    assert "500,000.00" in text and "300,000.00" in text
    assert current.version == 2 and current.number == first.number  # a new version of the agreement's notice
    # 10 days on 300,000.00 = 541.67 of interest: 500.00 pays interest only, the exposure stays, no new notice.
    drawdowns.drawdown_repay(drawdown=drawdown, amount=D("500.00"), bank_reference="B-2",
                             on=datetime.date(2026, 4, 11), acting_user=dw.ops)
    assert notices(dw).count() == 2


def test_a_static_pledge_has_no_floor_notice(dw, django_capture_on_commit_callbacks):
    PledgeAgreement.objects.filter(pk=dw.agreement.pk).update(kind=PledgeAgreement.Kind.STATIC)
    dw.agreement.refresh_from_db()
    drawdown = disbursed(dw, django_capture_on_commit_callbacks)
    assert drawdown.state == drawdown.State.DISBURSED
    assert not notices(dw).exists()
