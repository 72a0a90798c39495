"""The agreement's three contracts, rendered to PDF and read back.

Worked amount: maximum 3,040,500.50.
  English: Renminbi Three Million Forty Thousand Five Hundred Yuan and Fifty Fen Only
  Chinese capitals (PBOC rules): 叁佰零肆万 (the 拾万 digit 0 between 佰万 and 万: one 零), the 仟 digit 0: 零伍佰,
  the yuan digit 0 and the 角 not: 零 after 元 → 人民币叁佰零肆万零伍佰元零伍角整
Lines 0.65 / 0.70 / 0.80 and rate 0.60 print as percentages: 65.00%, 70.00%, 80.00%, 60.00%; 5.5% a year.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from decimal import Decimal

import pytest

from documents import registry
from documents.issuing import build_context
from documents.rendering import html_to_pdf, render_html
from workflows.pledge.agreements import CONTRACT_KINDS
from workflows.pledge.models import PledgeAgreement

pytestmark = pytest.mark.django_db

WORDS_EN = "Renminbi Three Million Forty Thousand Five Hundred Yuan and Fifty Fen Only"
WORDS_ZH = "人民币叁佰零肆万零伍佰元零伍角整"


@pytest.fixture
def agreement(world, active_agreement):
    PledgeAgreement.objects.filter(pk=active_agreement.pk).update(maximum_amount=Decimal("3040500.50"),
                                                                  floor_value_minimum=Decimal("500000.00"))
    for organization, address in ((world.pledgor, "上海市浦东新区测试路 8 号"), (world.warehouse, "江苏省太仓市港区仓储路 1 号")):
        organization.registered_address = address
        organization.save(update_fields=["registered_address"])
    return PledgeAgreement.objects.select_related("lender", "pledgor", "warehouse", "facility").get(
        pk=active_agreement.pk)


def _html(agreement, kind_code: str, language: str) -> str:
    kind = registry.get(kind_code)
    meta = {"number": f"{kind.prefix}-2099-000003", "version": 1, "title": str(kind.title), "language": language,
            "issued_date": datetime.date(2026, 1, 5), "kind": kind_code}
    return render_html(kind.template_name(language), build_context(kind, agreement, meta), language)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", " ", text))


def test_the_kinds_are_registered_with_their_signers(world, agreement):
    roles = {code: [(p.role, p.must_sign) for p in registry.get(code).parties(agreement)] for code in CONTRACT_KINDS}
    assert roles == {
        "pledge_loan_agreement": [("lender", True), ("pledgor", True)],
        "pledge_contract": [("lender", True), ("pledgor", True)],
        "pledge_supervision_agreement": [("lender", True), ("pledgor", True), ("warehouse", True)],
    }


@pytest.mark.parametrize("kind_code", CONTRACT_KINDS)
def test_each_contract_prints_the_terms_in_both_languages(agreement, kind_code):
    english = _compact(_html(agreement, kind_code, "en"))
    chinese = _compact(_html(agreement, kind_code, "zh-hans"))
    for text in (english, chinese):
        assert "PLA-TEST-0001" in text and "3,040,500.50" in text
        assert agreement.pledgor.uscc in text and agreement.lender.uscc in text
        assert "60.00%" in text
    assert _compact(WORDS_EN) in english and WORDS_ZH in chinese
    if kind_code != "pledge_loan_agreement":
        assert "人民币伍拾万元整" in chinese  # the lender's minimum floor value in a dynamic pledge
    if kind_code == "pledge_supervision_agreement":
        assert agreement.warehouse.uscc in english and "凭甲方出库通知放货" in chinese
        assert "onlyagainstarelease" in english.replace("Only", "only")
    else:
        for line in ("65.00%", "70.00%", "80.00%"):
            assert line in english and line in chinese


def test_a_static_pledge_says_the_goods_stay_unchanged(agreement):
    PledgeAgreement.objects.filter(pk=agreement.pk).update(kind=PledgeAgreement.Kind.STATIC)
    agreement.refresh_from_db()
    assert "静态质押" in _compact(_html(agreement, "pledge_contract", "zh-hans"))
    english = _html(agreement, "pledge_contract", "en")
    assert "This is a static pledge" in english and "floor value" not in english


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
@pytest.mark.parametrize("kind_code", CONTRACT_KINDS)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_each_contract_renders_to_a_pdf_with_the_amount_in_words(agreement, tmp_path, kind_code, language):
    pdf = html_to_pdf(_html(agreement, kind_code, language))
    path = tmp_path / f"{kind_code}.{language}.pdf"
    path.write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    compact = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", WORDS_EN if language == "en" else WORDS_ZH) in compact
    assert f"{registry.get(kind_code).prefix}-2099-000003" in compact
    assert pdf.page_count >= 2
