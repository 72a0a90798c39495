"""The pledged goods list and the notice of pledge, rendered to PDF in both languages and read back."""

import re
import shutil
import subprocess

import pytest

from documents.models import Document
from tests.pledge.collateral_helpers import (
    approve_price,
    approve_warehouse,
    current,
    declare,
    lot_line,
    make_effective,
    receipt_line,
)

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext)")]


def pdf_text(field) -> str:
    with field.open("rb") as handle:
        data = handle.read()
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()
    return re.sub(r"\s+", "", text)


@pytest.fixture
def effective(world, active_agreement, django_capture_on_commit_callbacks, request):
    world.warehouse.preferred_language = request.param
    world.warehouse.save()
    approve_warehouse(world)
    approve_price(world, world.copper, "68250.00")
    approve_price(world, world.batteries, "12800.00")
    intake = declare(world, active_agreement, receipt_line("WR-2026-0815", commodity=world.copper),
                     lot_line("LOT-B-07", commodity=world.batteries, quantity="40"))
    return make_effective(world, active_agreement, intake, django_capture_on_commit_callbacks)


@pytest.mark.parametrize("effective", ["zh-hans"], indirect=True)
def test_the_chinese_goods_list_and_notice_read_back(effective, world):
    goods_list = current(effective, "pledged_goods_list")
    notice = current(effective, "pledge_notice")
    assert goods_list.state == notice.state == Document.State.SIGNED
    text = pdf_text(goods_list.final_pdf)
    for expected in ["质物清单", "仓单WR-2026-0815", "电解铜", "120.500", "吨", "批次LOT-B-07", "动力电池包", "40件",
                     "Shanghaibondedzone,shed3", "监管人（仓储方）", world.warehouse.legal_name, "PLA-TEST-0001",
                     effective.reference, goods_list.number]:
        assert expected.replace(" ", "") in text, expected
    text = pdf_text(notice.final_pdf)
    for expected in ["出质通知书", "回执", "最高额质押合同", "人民币叁佰万元整", "第四百二十五条", "最低控货价值",
                     world.lender.legal_name, world.warehouse.legal_name, "电解铜", "120.500", notice.number]:
        assert expected in text, expected


@pytest.mark.parametrize("effective", ["en"], indirect=True)
def test_the_english_goods_list_and_notice_read_back(effective, world):
    text = pdf_text(current(effective, "pledged_goods_list").final_pdf)
    for expected in ["PLEDGEDGOODSLIST", "ReceiptWR-2026-0815", "Coppercathode", "120.500", "LotLOT-B-07",
                     "EVbatterypack", "40pcs", "TheWarehouse(Supervisor)"]:
        assert expected in text, expected
    text = pdf_text(current(effective, "pledge_notice").final_pdf)
    for expected in ["NOTICEOFPLEDGE", "ACKNOWLEDGEMENTOFRECEIPT", "Articles425and429", "3,000,000.00",
                     "floorvalue", "ThePledgee"]:
        assert expected in text, expected
