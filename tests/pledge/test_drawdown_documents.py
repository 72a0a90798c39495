"""The loan's advices to the pledgor, rendered to PDF in English and Chinese and read back.

Worked by hand (tests/pledge/drawdown_setup.py): a loan of 400,000.00 paid on 2026-03-02 at 6.5%,
ACT/360. On 2026-04-01 (30 days) 102,166.67 comes in: interest 400,000.00 × 0.065 × 30 / 360 =
2,166.67, principal 100,000.00, principal left 300,000.00. On 2026-05-01 (30 more days) 301,625.00:
interest 300,000.00 × 0.065 × 30 / 360 = 1,625.00, principal 300,000.00, nothing left.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess

import pytest

from documents.models import Document
from workflows.pledge import drawdowns
from workflows.pledge.drawdown_documents import principal_left_after
from workflows.pledge.models import PledgeDrawdownRepayment

from .drawdown_setup import *  # noqa: F403  (the fixtures dw, today)
from .drawdown_setup import D

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext)")]


def pdf_text(document: Document) -> str:
    field = document.final_pdf or document.pdf
    with field.open("rb") as handle:
        data = handle.read()
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()
    return re.sub(r"\s+", "", text)


def advice(kind: str, obj) -> Document:
    return Document.objects.get(kind=kind, object_id=obj.pk, state__in=[Document.State.ISSUED,
                                                                          Document.State.SIGNED])


def lifecycle(dw, today, capture, language: str):
    dw.pledgor.preferred_language = language
    dw.pledgor.save(update_fields=["preferred_language"])
    with capture(execute=True):
        drawdown = drawdowns.drawdown_request(agreement=dw.agreement, amount=D("400000.00"),
                                              acting_user=dw.pledgor_user)
        drawdowns.drawdown_approve(drawdown=drawdown, approver=dw.officer)
        drawdown = drawdowns.drawdown_disburse(drawdown=drawdown, acting_user=dw.ops)
    today.move_to(datetime.datetime(2026, 5, 2, 10, 0, tzinfo=datetime.UTC), tick=False)
    with capture(execute=True):
        first = drawdowns.drawdown_repay(drawdown=drawdown, amount=D("102166.67"), bank_reference="B-1",
                                         on=datetime.date(2026, 4, 1), acting_user=dw.ops)
    with capture(execute=True):
        last = drawdowns.drawdown_repay(drawdown=drawdown, amount=D("301625.00"), bank_reference="B-2",
                                        on=datetime.date(2026, 5, 1), acting_user=dw.ops)
    return drawdown, first, last


def test_the_chinese_advices_carry_the_worked_figures(dw, today, django_capture_on_commit_callbacks):
    drawdown, first, last = lifecycle(dw, today, django_capture_on_commit_callbacks, "zh-hans")
    assert (first.interest_part, first.principal_part) == (D("2166.67"), D("100000.00"))
    assert (last.interest_part, last.principal_part) == (D("1625.00"), D("300000.00"))
    paid = advice("pledge_disbursement_advice", drawdown)
    assert paid.language == "zh-hans" and paid.number.startswith("PDA-2026-")
    text = pdf_text(paid)
    for expected in ["放款通知书", drawdown.reference, "PLA-TEST-0001", "人民币肆拾万元整", "400,000.00", "2026-03-02",
                     "2027-01-05", "6.50%", "ACT/360", dw.pledgor.legal_name, paid.number]:
        assert expected in text, expected
    text = pdf_text(advice("pledge_repayment_advice", first))
    for expected in ["还款通知书", drawdown.reference, "102,166.67", "其中：利息CNY2,166.67", "其中：本金CNY100,000.00",
                     "人民币叁拾万元整", "300,000.00", "2026-04-01", "B-1", "剩余本金于2027-01-05到期"]:
        assert expected in text, expected
    text = pdf_text(advice("pledge_repayment_advice", last))
    for expected in ["301,625.00", "其中：利息CNY1,625.00", "其中：本金CNY300,000.00", "2026-05-01", "本笔贷款已全部还清"]:
        assert expected in text, expected


def test_the_english_advices_carry_the_worked_figures(dw, today, django_capture_on_commit_callbacks):
    drawdown, first, last = lifecycle(dw, today, django_capture_on_commit_callbacks, "en")
    text = pdf_text(advice("pledge_disbursement_advice", drawdown))
    for expected in ["LOANDISBURSEMENTADVICE", drawdown.reference, "CNY400,000.00", "2026-03-02", "6.50%perannum",
                     "Accountnumber"]:
        assert expected in text, expected
    text = pdf_text(advice("pledge_repayment_advice", first))
    for expected in ["LOANREPAYMENTADVICE", "AmountreceivedCNY102,166.67", "InterestpartCNY2,166.67",
                     "PrincipalpartCNY100,000.00", "PrincipalleftCNY300,000.00", "2026-04-01"]:
        assert expected in text, expected
    text = pdf_text(advice("pledge_repayment_advice", last))
    for expected in ["InterestpartCNY1,625.00", "PrincipalpartCNY300,000.00", "PrincipalleftCNY0.00",
                     "Theloanisrepaidinfull"]:
        assert expected in text, expected


def test_each_repayment_has_its_own_advice_and_principal_left(dw, today, django_capture_on_commit_callbacks):
    drawdown, first, last = lifecycle(dw, today, django_capture_on_commit_callbacks, "en")
    assert Document.objects.filter(kind="pledge_repayment_advice").count() == 2
    assert Document.objects.filter(kind="pledge_disbursement_advice").count() == 1
    assert [principal_left_after(r) for r in PledgeDrawdownRepayment.objects.select_related("drawdown")] == [
        D("300000.00"), D("0.00")]
    # The same bank line again answers the first repayment: no second advice.
    drawdowns.drawdown_repay(drawdown=drawdown, amount=D("102166.67"), bank_reference="B-1",
                             on=datetime.date(2026, 4, 1), acting_user=dw.ops)
    assert Document.objects.filter(kind="pledge_repayment_advice").count() == 2
