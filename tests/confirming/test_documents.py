"""The confirming-warehouse documents rendered to real PDFs and read back with poppler, with numbers worked by hand.

The worked order (DESIGN §5), four-party agreement, m = 0.30, release mode 2:
  lines   螺纹钢 HRB400  250.000 t × 3,856.50 = 964,125.00
          线材 Q235      120.500 t × 3,712.35 = 447,338.175 → 447,338.18 (each line rounded half up)
  P  = 964,125.00 + 447,338.18               = 1,411,463.18
  M0 = round(1,411,463.18 × 0.30) = round(423,438.954) = 423,438.95
  margin paid: 423,438.95 (2026-03-02, the initial margin) + 141,146.33 (2026-04-10) → M = 564,585.28
  mode 2 allowance = round_down((M − M0) / (1 − m)) = round_down(141,146.33 / 0.70)
                   = round_down(201,637.614285…) = 201,637.61
  (mode 1 would allow M = 564,585.28; mode 3, M − M0 = 141,146.33)
  releases: RL-1 50,000.00 (noticed) then RL-2 120,000.00: cumulative 170,000.00 ≤ 201,637.61
  shortfall S = P − M = 1,411,463.18 − 564,585.28 = 846,877.90

Amounts in Chinese capitals by the PBOC rules, first form where they give a choice (as scf.money does):
  5,000,000.00  人民币伍佰万元整
  1,411,463.18  人民币壹佰肆拾壹万壹仟肆佰陆拾叁元壹角捌分
  846,877.90    the 分 is 0: 角 then 整: 人民币捌拾肆万陆仟捌佰柒拾柒元玖角整
  141,146.33    人民币壹拾肆万壹仟壹佰肆拾陆元叁角叁分
  564,585.28    人民币伍拾陆万肆仟伍佰捌拾伍元贰角捌分
  201,637.61    the 万 digit is 0 and the 仟 digit is not: no 零 after 万: 人民币贰拾万壹仟陆佰叁拾柒元陆角壹分
  120,000.00    人民币壹拾贰万元整
  170,000.00    人民币壹拾柒万元整
"""

from __future__ import annotations

import datetime
import io
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.core.management import call_command

from documents import registry
from documents.issuing import build_context
from documents.models import Document
from documents.rendering import html_to_pdf, render_html
from documents.services import document_generate, document_title
from scf.parties.demo import seed_demo
from scf.parties.models import Organization, SettlementAccount
from workflows.confirming.documents import SAMPLES
from workflows.confirming.models import (
    ConfirmingAgreement,
    MarginPayment,
    OrderLine,
    PurchaseOrder,
    RefundDemand,
    ReleaseLine,
    ReleaseRequest,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext)"),
]

D = Decimal
VERSION = 2
KINDS = {
    "confirming_agreement": "CWC", "confirming_release_notice": "CWRN", "confirming_delivery_notice": "CWDN",
    "confirming_refund_notice": "CWRF", "confirming_margin_receipt": "CWMR",
}
LENDER = ("测试银行", "Test Bank")
SELLER = ("华东测试钢铁集团有限公司", "East China Test Steel Group Co., Ltd.")
DISTRIBUTOR = ("苏州测试钢材贸易有限公司", "Suzhou Test Steel Trading Co., Ltd.")
WAREHOUSE = ("上海测试仓储物流有限公司", "Shanghai Test Warehousing Logistics Co., Ltd.")
LENDER_ACCOUNT = ("测试银行保兑仓保证金专户", "测试银行上海分行营业部", "3101 2026 0000 0001 88")


# --- the world, built row by row ---------------------------------------------------------------------

def _name(org: Organization, names: tuple[str, str]) -> None:
    Organization.objects.filter(pk=org.pk).update(legal_name=names[0], legal_name_en=names[1])


@pytest.fixture
def case(world):
    _name(world.seller, SELLER)
    _name(world.distributor, DISTRIBUTOR)
    _name(world.warehouse, WAREHOUSE)
    SettlementAccount.objects.filter(organization=world.lender).update(
        bank_name=LENDER_ACCOUNT[1], branch="", account_name=LENDER_ACCOUNT[0], account_number="310120260000000188")
    agreement = world.agreement
    order = PurchaseOrder.objects.create(
        agreement=agreement, reference="CWO-2026-0007", seller_order_number="SO-88021",
        route=PurchaseOrder.Route.ACCEPTANCE_BILL, order_amount=D("1411463.18"), initial_margin=D("423438.95"),
        margin_paid=D("564585.28"), allowed_value=D("201637.61"), released_value=D("170000.00"),
        funded_on=datetime.date(2026, 3, 3), maturity_date=datetime.date(2026, 8, 30), bill_number="BA-2026-5531",
        prepared_by=world.ops, state=PurchaseOrder.State.FUNDED)
    OrderLine.objects.create(order=order, description="螺纹钢 HRB400 Φ20", unit="吨", quantity=D("250.000"),
                             unit_price=D("3856.50"), amount=D("964125.00"))
    OrderLine.objects.create(order=order, description="线材 Q235 Φ6.5", unit="吨", quantity=D("120.500"),
                             unit_price=D("3712.35"), amount=D("447338.18"), delivered_quantity=D("10.000"))
    first = MarginPayment.objects.create(order=order, amount=D("423438.95"), received_on=datetime.date(2026, 3, 2),
                                         bank_reference="MG-0302-01", recorded_by=world.ops)
    second = MarginPayment.objects.create(order=order, amount=D("141146.33"), received_on=datetime.date(2026, 4, 10),
                                          bank_reference="MG-0410-07", recorded_by=world.ops)
    ReleaseRequest.objects.create(order=order, reference="CWO-2026-0007-RL-1", value=D("50000.00"),
                                  requested_by=world.distributor_user, noticed_by=world.ops,
                                  state=ReleaseRequest.State.DELIVERED)
    release = ReleaseRequest.objects.create(order=order, reference="CWO-2026-0007-RL-2", value=D("120000.00"),
                                            requested_by=world.distributor_user, noticed_by=world.ops,
                                            state=ReleaseRequest.State.NOTICE_ISSUED)
    demand = RefundDemand.objects.create(order=order, amount=D("846877.90"), notice_date=datetime.date(2026, 8, 21),
                                         due_date=datetime.date(2026, 8, 30))
    return {"world": world, "agreement": agreement, "order": order, "first_margin": first, "margin": second,
            "release": release, "refund": demand}


@pytest.fixture
def three_party(case):
    world = case["world"]
    return ConfirmingAgreement.objects.create(
        reference="CWA-TEST-3", form=ConfirmingAgreement.Form.THREE_PARTY, lender=world.lender, seller=world.seller,
        distributor=world.distributor, facility=world.agreement.facility,
        guarantee_facility=world.agreement.guarantee_facility, limit_amount=D("5000000.00"), revolving=False,
        release_mode=1, annual_rate=D("0.045"), start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2027, 1, 1), prepared_by=world.ops, state=ConfirmingAgreement.State.ACTIVE)


def _object(case, kind_code):
    return {"confirming_agreement": case["agreement"], "confirming_release_notice": case["release"],
            "confirming_delivery_notice": case["release"], "confirming_refund_notice": case["refund"],
            "confirming_margin_receipt": case["margin"]}[kind_code]


def _meta(kind_code: str, language: str) -> dict:
    kind = registry.get(kind_code)
    return {"number": f"{kind.prefix}-2099-000042", "version": VERSION, "title": str(kind.title),
            "language": language, "issued_date": datetime.date(2026, 8, 21), "kind": kind_code}


def _fresh(obj):
    return type(obj)._default_manager.get(pk=obj.pk)


def _context(obj, kind_code, language="en"):
    return build_context(registry.get(kind_code), _fresh(obj), _meta(kind_code, language))


def _pdf(obj, kind_code: str, language: str, folder) -> list[str]:
    """Render the kind to PDF and return its pages as pdftotext reads them, whitespace removed."""
    kind = registry.get(kind_code)
    html = render_html(kind.template_name(language), _context(obj, kind_code, language), language)
    pdf = html_to_pdf(html)
    path = folder / f"{kind_code}.{language}.pdf"
    path.write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    pages = text.split("\f")[:-1]
    assert len(pages) == pdf.page_count >= 1
    return [re.sub(r"\s+", "", page) for page in pages]


def _assert_all(pages: list[str], *phrases: str) -> None:
    whole = "".join(pages)
    for phrase in phrases:
        assert re.sub(r"\s+", "", phrase) in whole, phrase


def _assert_none(pages: list[str], *phrases: str) -> None:
    whole = "".join(pages)
    for phrase in phrases:
        assert re.sub(r"\s+", "", phrase) not in whole, phrase


# --- registration ----------------------------------------------------------------------------------

def test_the_five_kinds_are_registered_with_their_prefixes_and_languages():
    assert {code: registry.get(code).prefix for code in KINDS} == KINDS
    for code in KINDS:
        expected = ("en", "zh-hans", "bilingual") if code == "confirming_agreement" else ("en", "zh-hans")
        assert registry.get(code).languages == expected
        assert registry.get(code).related


def test_every_party_signs_the_agreement_and_the_seller_alone_the_delivery_notice(case, three_party):
    def parties(code, obj):
        return [(p.role, p.organization.pk, p.must_sign) for p in registry.get(code).parties(_fresh(obj))]

    world = case["world"]
    assert parties("confirming_agreement", case["agreement"]) == [
        ("lender", world.lender.pk, True), ("seller", world.seller.pk, True),
        ("distributor", world.distributor.pk, True), ("warehouse", world.warehouse.pk, True)]
    assert parties("confirming_agreement", three_party) == [
        ("lender", world.lender.pk, True), ("seller", world.seller.pk, True),
        ("distributor", world.distributor.pk, True)]
    assert [(role, sign) for role, _, sign in parties("confirming_delivery_notice", case["release"])] == [
        ("lender", False), ("seller", True), ("distributor", False), ("warehouse", False)]
    for code in ("confirming_release_notice", "confirming_refund_notice", "confirming_margin_receipt"):
        assert not any(sign for _, _, sign in parties(code, _object(case, code))), code  # sealed by the lender


def test_demo_samples_find_a_row_and_the_seeded_kinds_have_theirs(case):
    for code in KINDS:
        assert SAMPLES[code]() is not None, code
    # The demo seeds agreements, a release, margin payments and a refund demand (with or without the life
    # cycle): every kind prints from it.
    for code in KINDS:
        assert registry.get(code).sample is SAMPLES[code], code


def test_demo_documents_prints_the_agreement_the_notices_and_the_margin_receipt_from_the_demo(tmp_path):
    seed_demo(password="x", lifecycle=False)
    release = SAMPLES["confirming_delivery_notice"]()
    assert release.lines.count() == 2 and release.order.releasable_value == D("21428.57")  # 171,428.57 − 150,000
    call_command("demo_documents", out=str(tmp_path), stdout=io.StringIO(),
                 kinds=["confirming_agreement", "confirming_release_notice", "confirming_delivery_notice",
                        "confirming_refund_notice", "confirming_margin_receipt", "confirming_settlement_advice"],
                 languages=["en"])
    assert {path.name for path in tmp_path.glob("*.pdf")} == {
        "confirming_agreement.en.pdf", "confirming_release_notice.en.pdf", "confirming_delivery_notice.en.pdf",
        "confirming_refund_notice.en.pdf", "confirming_margin_receipt.en.pdf", "confirming_settlement_advice.en.pdf"}
    text = subprocess.run(["pdftotext", "-raw", str(tmp_path / "confirming_delivery_notice.en.pdf"), "-"],
                          capture_output=True, text=True, check=True, timeout=60).stdout
    assert "Delivered under this notice (CNY) 145,250.00" in text
    # The sample order's refund demand: S = 883,000.00 − 384,900.00 = 498,100.00.
    text = subprocess.run(["pdftotext", "-raw", str(tmp_path / "confirming_refund_notice.en.pdf"), "-"],
                          capture_output=True, text=True, check=True, timeout=60).stdout
    assert "498,100.00" in text
    assert not Document.objects.exists()


def test_titles_in_chinese():
    assert [document_title(registry.get(code), "zh-hans") for code in KINDS] == [
        "保兑仓业务合作协议", "提货通知书", "发货通知书", "差额退款通知书", "保证金缴存回单"]


@pytest.fixture
def seal_settings(settings, tmp_path):
    settings.SEAL_PKCS12_FILE = str(tmp_path / "seal.p12")
    settings.SEAL_PKCS12_PASSWORD = "test-seal"
    return settings


def test_the_engine_issues_the_agreement_for_four_signatures_and_seals_a_notice_at_once(
        case, seal_settings, django_capture_on_commit_callbacks):
    ops = case["world"].ops
    with django_capture_on_commit_callbacks(execute=True):
        agreement = document_generate(obj=case["agreement"], kind_code="confirming_agreement", language="zh-hans",
                                      acting_user=ops)
        notice = document_generate(obj=case["release"], kind_code="confirming_release_notice", language="en",
                                   acting_user=ops)
    agreement.refresh_from_db()
    notice.refresh_from_db()
    assert agreement.state == Document.State.ISSUED and agreement.number.startswith("CWC-")
    assert sorted(agreement.document_parties.filter(must_sign=True).values_list("role", flat=True)) == [
        "distributor", "lender", "seller", "warehouse"]
    assert notice.state == Document.State.SIGNED and notice.number.startswith("CWRN-")  # sealed by the lender
    assert notice.final_pdf and not notice.document_parties.filter(must_sign=True).exists()


# --- the agreement ---------------------------------------------------------------------------------

def test_four_party_agreement_in_english(case, tmp_path):
    pages = _pdf(case["agreement"], "confirming_agreement", "en", tmp_path)
    _assert_all(pages, "CONFIRMING-WAREHOUSE FINANCING AGREEMENT", "Four-Party Agreement", "CWC-2099-000042",
                *LENDER[1:], SELLER[1], DISTRIBUTOR[1], WAREHOUSE[1],
                "CNY 5,000,000.00 (in words: Renminbi Five Million Yuan Only)", "revolving",
                "30.00% of the Order Amount", "Mode 2: proportional release",
                "allowance = (M − M0) ÷ (1 − m) = (M − M0) ÷ 70.00%, rounded down to 0.01",
                "5 Business Days before the Maturity Date", "bank acceptance bill", "Article 552", "Article 70",
                "buys back", "advance", "6.75% per annum (the interest rate of 4.50% × 1.5)", "The Warehouse:")
    _assert_none(pages, "Mode 1", "Mode 3", "keeps, as its own")


def test_four_party_agreement_in_chinese(case, tmp_path):
    pages = _pdf(case["agreement"], "confirming_agreement", "zh-hans", tmp_path)
    _assert_all(pages, "保兑仓业务四方合作协议", LENDER[0], SELLER[0], DISTRIBUTOR[0], WAREHOUSE[0],
                "人民币伍佰万元整（小写：¥5,000,000.00）", "可循环使用", "订单金额的30.00%",
                "方式二：首笔后期按比例提货", "可提货额度＝（M－M0）÷（1－m）＝（M－M0）÷70.00%，计算结果向下保留至分",
                "到期日前5个工作日", "差额退款通知书", "第五百五十二条", "第七十条", "第九百零四条", "垫款", "回购",
                "年利率6.75%（即贷款利率4.50%×1.5）", "丁方（仓储方）：" + WAREHOUSE[0])


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_three_party_agreement_names_no_warehouse(three_party, tmp_path, language):
    pages = _pdf(three_party, "confirming_agreement", language, tmp_path)
    if language == "en":
        _assert_all(pages, "Three-Party Agreement", SELLER[1], DISTRIBUTOR[1], "non-revolving",
                    "Mode 1: full release", "allowance = M.", "keeps, as its own")
        _assert_none(pages, "Warehouse", "(M − M0) ÷")
    else:
        _assert_all(pages, "保兑仓业务三方合作协议", SELLER[0], DISTRIBUTOR[0], "不可循环使用",
                    "方式一：首笔可全额提货", "可提货额度＝M。", "归乙方所有")
        _assert_none(pages, "丁方", "仓储方")
    _assert_none(pages, WAREHOUSE[0], WAREHOUSE[1])


def test_bilingual_agreement_is_parallel_text_and_the_chinese_governs(case, three_party, tmp_path):
    pages = _pdf(case["agreement"], "confirming_agreement", "bilingual", tmp_path)
    _assert_all(pages, "保兑仓业务四方合作协议", "CONFIRMING-WAREHOUSE FINANCING AGREEMENT", "以中文文本为准",
                "the Chinese text governs", WAREHOUSE[0], WAREHOUSE[1], "人民币伍佰万元整",
                "Renminbi Five Million Yuan Only", "（M－M0）÷70.00%", "(M − M0) ÷ 70.00%", "丁方（仓储方）",
                "The Warehouse: " + WAREHOUSE[1])
    pages = _pdf(three_party, "confirming_agreement", "bilingual", tmp_path)
    _assert_all(pages, "保兑仓业务三方合作协议", "Three-Party Agreement", "归乙方所有", "keeps, as its own")
    _assert_none(pages, "丁方", "Warehouse", WAREHOUSE[0])


def test_initial_margin_last_mode_is_explained(three_party, tmp_path):
    ConfirmingAgreement.objects.filter(pk=three_party.pk).update(release_mode=3)
    _assert_all(_pdf(three_party, "confirming_agreement", "en", tmp_path),
                "Mode 3: initial margin released last", "allowance = M − M0 while M < P, and P once M = P")
    _assert_all(_pdf(three_party, "confirming_agreement", "zh-hans", tmp_path),
                "方式三：首笔最后提货", "M＜P时，可提货额度＝M－M0；M＝P时，可提货额度＝P")


# --- missing values ----------------------------------------------------------------------------------

def _blank_seller_code(case):
    Organization.objects.filter(pk=case["world"].seller.pk).update(uscc="")


def _blank_warehouse_code(case):
    Organization.objects.filter(pk=case["world"].warehouse.pk).update(uscc="")


def _withdraw(case):
    ReleaseRequest.objects.filter(pk=case["release"].pk).update(state=ReleaseRequest.State.WITHDRAWN)


def _no_lines(case):
    OrderLine.objects.filter(order=case["order"]).delete()


def _no_lender_account(case):
    SettlementAccount.objects.filter(organization=case["world"].lender).delete()


def _blank_bank_reference(case):
    MarginPayment.objects.filter(pk=case["margin"].pk).update(bank_reference=" ")


@pytest.mark.parametrize("kind_code,spoil,field", [
    ("confirming_agreement", _blank_seller_code, "seller.uscc"),
    ("confirming_agreement", _blank_warehouse_code, "custodian.uscc"),
    ("confirming_release_notice", _withdraw, "release.live"),
    ("confirming_delivery_notice", _no_lines, "lines"),
    ("confirming_refund_notice", _no_lender_account, "lender_account.bank"),
    ("confirming_margin_receipt", _blank_bank_reference, "receipt.bank_reference"),
])
def test_a_missing_value_stops_generation_naming_it(case, kind_code, spoil, field):
    spoil(case)
    with pytest.raises(registry.MissingContext) as error:
        _context(_object(case, kind_code), kind_code)
    assert error.value.field_path == field
    assert field in str(error.value.message)


# --- the release notice (提货通知书) --------------------------------------------------------------------

def test_release_notice_in_english(case, tmp_path):
    pages = _pdf(case["release"], "confirming_release_notice", "en", tmp_path)
    _assert_all(pages, "RELEASE NOTICE", "CWRN-2099-000042", "To (the Warehouse): " + WAREHOUSE[1],
                "Copy to (the Seller): " + SELLER[1], "Deliver to (the Distributor): " + DISTRIBUTOR[1],
                "order CWO-2026-0007 (Seller's order no. SO-88021)", "release CWO-2026-0007-RL-2",
                "CNY 120,000.00 (in words: Renminbi One Hundred Twenty Thousand Yuan Only)",
                "Order amount (P) CNY 1,411,463.18", "CNY 423,438.95 (30.00% of P)", "Margin paid (M) CNY 564,585.28",
                "(564,585.28 − 423,438.95) ÷ 70.00% = 141,146.33 ÷ 70.00%, rounded down to 0.01 = 201,637.61",
                "Released under earlier notices CNY 50,000.00",
                "CNY 170,000.00 (in words: Renminbi One Hundred Seventy Thousand Yuan Only)",
                "Allowance left CNY 31,637.61", "Seal of the Lender")


def test_release_notice_in_chinese(case, tmp_path):
    pages = _pdf(case["release"], "confirming_release_notice", "zh-hans", tmp_path)
    _assert_all(pages, "提货通知书", "致：" + WAREHOUSE[0] + "（仓储方", "抄送：" + SELLER[0],
                "提货人（买方）：" + DISTRIBUTOR[0], "人民币壹拾贰万元整（小写：¥120,000.00）",
                "人民币壹佰肆拾壹万壹仟肆佰陆拾叁元壹角捌分", "人民币伍拾陆万肆仟伍佰捌拾伍元贰角捌分",
                "（564,585.28－423,438.95）÷70.00%＝141,146.33÷70.00%，向下保留至分＝201,637.61",
                "此前通知已提货价值50,000.00", "人民币壹拾柒万元整（小写：¥170,000.00）", "剩余可提货价值31,637.61",
                "发货通知书", "（通知人盖章）")


def test_three_party_release_notice_goes_to_the_seller(case, three_party, tmp_path):
    PurchaseOrder.objects.filter(pk=case["order"].pk).update(agreement=three_party)
    pages = _pdf(case["release"], "confirming_release_notice", "en", tmp_path)
    _assert_all(pages, "To (the Seller): " + SELLER[1], "Mode 1, full release: allowance = M = 564,585.28")
    _assert_none(pages, "Warehouse", "Copy to")


# --- the delivery notice (发货通知书) -------------------------------------------------------------------

def test_delivery_notice_in_english_lists_the_lines(case, tmp_path):
    pages = _pdf(case["release"], "confirming_delivery_notice", "en", tmp_path)
    _assert_all(pages, "DELIVERY NOTICE", "CWDN-2099-000042", "To (the Lender): Test Bank",
                "From (the Seller): " + SELLER[1], "Copy to (the Warehouse): " + WAREHOUSE[1],
                "release CWO-2026-0007-RL-2", "out of the Warehouse",
                "1 螺纹钢 HRB400 Φ20 250 吨 3,856.50 964,125.00 0",
                "2 线材 Q235 Φ6.5 120.5 吨 3,712.35 447,338.18 10", "1,411,463.18",
                "CNY 120,000.00 (in words: Renminbi One Hundred Twenty Thousand Yuan Only)",
                "CNY 170,000.00 (in words: Renminbi One Hundred Seventy Thousand Yuan Only)", "The Seller:")


def test_delivery_notice_in_chinese(case, tmp_path):
    pages = _pdf(case["release"], "confirming_delivery_notice", "zh-hans", tmp_path)
    _assert_all(pages, "发货通知书", "通知人（卖方）：" + SELLER[0], "抄送：" + DISTRIBUTOR[0],
                "抄送：" + WAREHOUSE[0], "提货编号：CWO-2026-0007-RL-2", "由仓储方出库",
                "螺纹钢HRB400Φ20250吨3,856.50964,125.000", "线材Q235Φ6.5120.5吨3,712.35447,338.1810",
                "人民币壹拾贰万元整（小写：¥120,000.00）", "人民币壹拾柒万元整（小写：¥170,000.00）", "（盖章）")


def _name_goods(case):
    """The seller's delivery notice names 30 t of line 1 and 1 t of line 2 (10 t of it delivered before):
    30 × 3,856.50 = 115,695.00; round(11 × 3,712.35) − round(10 × 3,712.35) = 40,835.85 − 37,123.50 = 3,712.35;
    together 119,407.35 of the release's 120,000.00.
    """
    first, second = case["order"].lines.order_by("id")
    ReleaseLine.objects.create(release=case["release"], order_line=first, quantity=D("30.000"), value=D("115695.00"))
    ReleaseLine.objects.create(release=case["release"], order_line=second, quantity=D("1.000"), value=D("3712.35"))
    ReleaseRequest.objects.filter(pk=case["release"].pk).update(state=ReleaseRequest.State.DELIVERY_NOTIFIED)


def test_delivery_notice_lists_the_goods_it_names_line_by_line(case, tmp_path):
    _name_goods(case)
    pages = _pdf(case["release"], "confirming_delivery_notice", "en", tmp_path)
    _assert_all(pages, "The goods delivered under this notice",
                "1 螺纹钢 HRB400 Φ20 30 吨 3,856.50 115,695.00", "2 线材 Q235 Φ6.5 1 吨 3,712.35 3,712.35",
                "Delivered under this notice (CNY) 119,407.35",
                "CNY 119,407.35 (in words: Renminbi One Hundred Nineteen Thousand Four Hundred Seven Yuan and "
                "Thirty-Five Fen Only)", "of the release notice's CNY 120,000.00")
    pages = _pdf(case["release"], "confirming_delivery_notice", "zh-hans", tmp_path)
    _assert_all(pages, "本次发货明细", "螺纹钢HRB400Φ2030吨3,856.50115,695.00", "线材Q235Φ6.51吨3,712.353,712.35",
                "本次发货合计（人民币元）119,407.35", "人民币壹拾壹万玖仟肆佰零柒元叁角伍分（小写：¥119,407.35）",
                "提货通知书额度120,000.00")


# --- the refund notice (差额退款通知书) -----------------------------------------------------------------

def test_refund_notice_in_english(case, tmp_path):
    pages = _pdf(case["refund"], "confirming_refund_notice", "en", tmp_path)
    _assert_all(pages, "REFUND NOTICE", "CWRF-2099-000042", "To (the Seller): " + SELLER[1],
                f"Copy to: {DISTRIBUTOR[1]} (the Distributor); {WAREHOUSE[1]} (the Warehouse)", "maturing 2026-08-30",
                "Order amount (P) CNY 1,411,463.18", "Margin paid (M) CNY 564,585.28",
                "Shortfall (S = P − M) CNY 846,877.90 (in words: Renminbi Eight Hundred Forty-Six Thousand Eight "
                "Hundred Seventy-Seven Yuan and Ninety Fen Only), being 1,411,463.18 − 564,585.28",
                "Goods not yet released CNY 1,241,463.18", "Due date 2026-08-30",
                *(f"{label} {value}" for label, value in zip(("Account name", "Bank", "Account number"),
                                                             LENDER_ACCOUNT)),
                "you buy back from us the unreleased goods of the order held by the Warehouse",
                "the acceptance bill no. BA-2026-5531 from our own funds (an advance)",
                "penalty interest at 6.75% per annum", "Seal of the Lender")


def test_refund_notice_in_chinese(case, tmp_path):
    pages = _pdf(case["refund"], "confirming_refund_notice", "zh-hans", tmp_path)
    _assert_all(pages, "差额退款通知书", "致：" + SELLER[0], "抄送：" + WAREHOUSE[0],
                "订单金额（P）1,411,463.18", "人民币伍拾陆万肆仟伍佰捌拾伍元贰角捌分（小写：¥564,585.28）",
                "差额（S＝P－M）人民币捌拾肆万陆仟捌佰柒拾柒元玖角整（小写：¥846,877.90），即1,411,463.18－564,585.28",
                "付款期限2026-08-30前", *(f"{label}：{value}" for label, value in zip(("户名", "开户行", "账号"),
                                                                                LENDER_ACCOUNT)),
                "向我方回购仓储方保管的", "兑付编号为BA-2026-5531的银行承兑汇票（即垫款）", "年利率6.75%计收罚息",
                "连带清偿责任", "（通知人盖章）")


def test_three_party_refund_notice_lets_the_seller_keep_the_goods(case, three_party, tmp_path):
    PurchaseOrder.objects.filter(pk=case["order"].pk).update(agreement=three_party, route=PurchaseOrder.Route.LOAN)
    pages = _pdf(case["refund"], "confirming_refund_notice", "zh-hans", tmp_path)
    _assert_all(pages, "贵司代我方保管的", "归贵司所有", "清偿该订单届时应付款项（即垫款）")
    _assert_none(pages, "仓储方", WAREHOUSE[0], "回购")


# --- the margin deposit receipt (保证金缴存回单) ----------------------------------------------------------

def test_margin_receipt_in_english(case, tmp_path):
    pages = _pdf(case["margin"], "confirming_margin_receipt", "en", tmp_path)
    _assert_all(pages, "MARGIN DEPOSIT RECEIPT", "CWMR-2099-000042", "To (the Distributor): " + DISTRIBUTOR[1],
                "following further margin",
                "CNY 141,146.33 (in words: Renminbi One Hundred Forty-One Thousand One Hundred Forty-Six Yuan and "
                "Thirty-Three Fen Only)", "Received on 2026-04-10; bank reference MG-0410-07",
                "CNY 564,585.28 (in words: Renminbi Five Hundred Sixty-Four Thousand Five Hundred Eighty-Five Yuan "
                "and Twenty-Eight Fen Only)", "Initial margin (M0) CNY 423,438.95 (30.00% of P)",
                "(564,585.28 − 423,438.95) ÷ 70.00% = 141,146.33 ÷ 70.00%, rounded down to 0.01 = 201,637.61",
                "Exposure after this payment (P − M) CNY 846,877.90", LENDER_ACCOUNT[2], "Seal of the Lender")


def test_margin_receipt_in_chinese(case, tmp_path):
    pages = _pdf(case["margin"], "confirming_margin_receipt", "zh-hans", tmp_path)
    _assert_all(pages, "保证金缴存回单", "致：" + DISTRIBUTOR[0], "追加保证金",
                "人民币壹拾肆万壹仟壹佰肆拾陆元叁角叁分（小写：¥141,146.33）", "银行流水号MG-0410-07",
                "人民币伍拾陆万肆仟伍佰捌拾伍元贰角捌分（小写：¥564,585.28）",
                "（564,585.28－423,438.95）÷70.00%＝141,146.33÷70.00%，向下保留至分＝201,637.61",
                "本笔缴存后敞口（P－M）846,877.90", "（出具人盖章）")


def test_the_initial_margin_receipt_counts_only_what_was_paid_by_then(case, tmp_path):
    """The first receipt, printed after the second payment, still says M = M0 and, under mode 2, 0.00 let out."""
    pages = _pdf(case["first_margin"], "confirming_margin_receipt", "en", tmp_path)
    _assert_all(pages, "following initial margin", "Once the initial margin is paid in full the order may be funded",
                "(in words: Renminbi Four Hundred Twenty-Three Thousand Four Hundred Thirty-Eight Yuan and "
                "Ninety-Five Fen Only)",
                "(423,438.95 − 423,438.95) ÷ 70.00% = 0.00 ÷ 70.00%, rounded down to 0.01 = 0.00",
                "Exposure after this payment (P − M) CNY 988,024.23")
