"""The order's PDFs: a margin deposit receipt for each margin payment, the disbursement advice when funded."""

import re
import shutil
import subprocess

import pytest

from documents.models import Document
from workflows.confirming import orders

from .order_setup import *  # noqa: F403
from .order_setup import DAY, D, approved

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext)")]


def pdf_text(document: Document) -> str:
    field = document.final_pdf or document.pdf
    with field.open("rb") as handle:
        data = handle.read()
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()
    return re.sub(r"\s+", "", text)


def issued(kind: str, obj) -> Document:
    return Document.objects.get(kind=kind, object_id=obj.pk, state__in=[Document.State.ISSUED, Document.State.SIGNED])


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_loan_order_gets_its_margin_receipt_and_disbursement_advice(ow, language,
                                                                       django_capture_on_commit_callbacks):
    ow.distributor.preferred_language = language
    ow.distributor.save(update_fields=["preferred_language"])
    order = approved(ow, "loan")
    with django_capture_on_commit_callbacks(execute=True):
        payment = orders.order_margin_apply(order=order, amount=D("151148.10"), received_on=DAY,
                                            bank_reference="M-1", acting_user=ow.ops)
        order = orders.order_fund(order=order, acting_user=ow.ops)
    receipt = pdf_text(issued("confirming_margin_receipt", payment))
    advice = pdf_text(issued("confirming_disbursement_advice", order))
    assert "151,148.10" in receipt and "M-1" in receipt
    for figure in ("503,827.00", "151,148.10", "352,678.90", "2026-08-29", order.reference):
        assert figure in advice
    if language == "zh-hans":
        assert "放款通知书" in advice and "叁拾伍万贰仟陆佰柒拾捌元玖角整" in advice
    else:
        assert "DISBURSEMENTADVICE" in advice


def test_a_bill_order_advice_names_the_bill_and_the_margin_frozen(ow, django_capture_on_commit_callbacks):
    ow.distributor.preferred_language = "en"
    ow.distributor.save(update_fields=["preferred_language"])
    order = approved(ow, "acceptance_bill")
    with django_capture_on_commit_callbacks(execute=True):
        orders.order_margin_apply(order=order, amount=D("151148.10"), received_on=DAY, bank_reference="M-1",
                                  acting_user=ow.ops)
        order = orders.order_fund(order=order, acting_user=ow.ops, bill_number="BAC-7")
    advice = pdf_text(issued("confirming_disbursement_advice", order))
    assert "BAC-7" in advice and "Marginfrozen" in advice and "503,827.00" in advice and "2026-08-29" in advice
