"""The debtor's confirmation letter, the disbursement advice and the settlement advice, with numbers worked by hand.

The worked financing (DESIGN §5), interest in advance, ACT/360:
  receivables  INV-A-0101  face 600,000.00  confirmed 600,000.00
               INV-A-0102  face 420,500.50  confirmed 405,000.50 (15,500.00 less: the debtor's note)
  C = 1,005,000.50; value date 2026-03-02, due date 2026-06-30:
      30 (2 Mar–1 Apr) + 30 (to 1 May) + 31 (to 1 Jun) + 29 (to 30 Jun) = 120 days
  A = 1,005,000.50 × 0.80                = 804,000.40
  I = 804,000.40 × 0.06 × 120 / 360      = 16,080.008   → 16,080.01
  F = 1,005,000.50 × 0.005               = 5,025.0025   → 5,025.00
  net = A − I − F                        = 782,895.39
  all-in = 21,105.01 / 782,895.39 × 3    = 0.0808731…   → 0.080873 (8.0873%)
  rebate at full payment = C − A         = 201,000.10
  In arrears: net = A − F = 798,975.40; rebate = C − A − I = 184,920.09.

Settlement (grace 3 days: overdue from 2026-07-04; penalty rate 6 % × 1.5 = 9 %):
  1. 2026-06-30  500,000.00 → advance 500,000.00                      (advance left 304,000.40)
  2. 2026-07-10  505,000.50 → penalty 304,000.40 × 0.09 / 360 × 6 days = 456.0006 → 456.00,
                              advance 304,000.40, rebate 505,000.50 − 456.00 − 304,000.40 = 200,544.10
  3. 2026-07-13    1,200.00 → nothing owed: suspense 1,200.00
  totals 1,006,200.50 = 456.00 + 804,000.40 + 200,544.10 + 1,200.00; rebate paid 200,544.10 (= C − A − penalty).

Amounts in Chinese capitals, by the PBOC rules (《正确填写票据和结算凭证的基本规定》), first form where the rules
give a choice, as scf.money does:
  1,005,000.50: the 万 digit is 0 but the 仟 digit is not, so no 零 after 万 (the rules' ¥107,000.53 →
                壹拾万柒仟元零伍角叁分); the yuan digit is 0 and the 角 is not, so 零 after 元:
                人民币壹佰万伍仟元零伍角整
  782,895.39:   人民币柒拾捌万贰仟捌佰玖拾伍元叁角玖分
  201,000.10:   人民币贰拾万壹仟元零壹角整
  184,920.09:   the 角 is 0 and the 分 is not: 零 before the 分: 人民币壹拾捌万肆仟玖佰贰拾元零玖分
  200,544.10:   the 万 and 仟 digits are both 0 (zeros in a row): one 零: 人民币贰拾万零伍佰肆拾肆元壹角整
  456.00:       人民币肆佰伍拾陆元整
  12,345.60:    人民币壹万贰仟叁佰肆拾伍元陆角整
"""

from __future__ import annotations

import datetime
import importlib
import re
import shutil
import subprocess
from decimal import Decimal

import pytest

import workflows.factoring.advices as advices
from documents import registry
from documents.rendering import html_to_pdf, render_html
from documents.issuing import build_context
from scf.collections.models import Receipt
from scf.ledger.models import JournalEntry
from scf.parties.models import SettlementAccount
from tests.factories import FacilityFactory, LenderFactory, OrganizationFactory, UserFactory
from workflows.factoring.models import FactoringFinancing, Receivable

pytestmark = pytest.mark.django_db

D = Decimal
KINDS = ["debtor_confirmation_letter", "disbursement_advice", "settlement_advice"]
LANGUAGES = ["en", "zh-hans"]
VERSION = 2

LENDER = ("东方测试银行股份有限公司", "Dongfang Test Bank Co., Ltd.")
SUPPLIER = ("苏州测试精密零件有限公司", "Suzhou Test Precision Parts Co., Ltd.")
DEBTOR = ("华东测试重工集团有限公司", "East China Test Heavy Industries Group Co., Ltd.")
COLLECTION = ("东方测试银行股份有限公司保理回款专户", "东方测试银行上海分行营业部", "3101 2026 0000 0001")
SUPPLIER_ACCOUNT = ("苏州测试精密零件有限公司", "中国工商银行苏州工业园区支行", "1102 0201 0900 0123 456")
NOTE = "15,500.00 withheld for a quality claim on lot 12."


def _meta(kind_code: str, language: str) -> dict:
    kind = registry.get(kind_code)
    return {"number": f"{kind.prefix}-2099-000007", "version": VERSION, "title": str(kind.title),
            "language": language, "issued_date": datetime.date(2026, 7, 20), "kind": kind_code}


def _html(financing, kind_code: str, language: str) -> str:
    kind = registry.get(kind_code)
    context = build_context(kind, financing, _meta(kind_code, language))
    return render_html(kind.template_name(language), context, language)


def _text(html: str) -> str:
    """The HTML as a reader sees it: tags dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&")


def _compact(html: str) -> str:
    return re.sub(r"\s+", "", _text(html))


@pytest.fixture
def financing():
    lender = LenderFactory(legal_name=LENDER[0], legal_name_en=LENDER[1], registered_address="上海市浦东新区测试路 1 号",
                           bank_account_name=COLLECTION[0], bank_name=COLLECTION[1], bank_account_number=COLLECTION[2])
    supplier = OrganizationFactory(legal_name=SUPPLIER[0], legal_name_en=SUPPLIER[1],
                                   registered_address="江苏省苏州市吴中区测试路 12 号",
                                   bank_account_name=SUPPLIER_ACCOUNT[0], bank_name=SUPPLIER_ACCOUNT[1],
                                   bank_account_number=SUPPLIER_ACCOUNT[2])
    debtor = OrganizationFactory(legal_name=DEBTOR[0], legal_name_en=DEBTOR[1], registered_address="江苏省苏州市测试街 88 号",
                                 is_supplier=False, is_core=True)
    facility = FacilityFactory(lender=lender, obligor=supplier, grace_days=3, penalty_multiplier=D("1.500"),
                               valid_from=datetime.date(2026, 1, 1), valid_to=datetime.date(2027, 12, 31))
    user = UserFactory()
    due = datetime.date(2026, 6, 30)
    receivables = [
        Receivable.objects.create(supplier=supplier, debtor=debtor, invoice_number="INV-A-0101",
                                  issue_date=datetime.date(2026, 1, 15), due_date=due, face_amount=D("600000.00"),
                                  confirmed_amount=D("600000.00"), confirmation_note="Confirmed in full by AP.",
                                  state=Receivable.State.SETTLED, created_by=user),
        Receivable.objects.create(supplier=supplier, debtor=debtor, invoice_number="INV-A-0102",
                                  issue_date=datetime.date(2026, 2, 10), due_date=due, face_amount=D("420500.50"),
                                  confirmed_amount=D("405000.50"), confirmation_note=NOTE,
                                  state=Receivable.State.SETTLED, created_by=user),
    ]
    financing = FactoringFinancing.objects.create(
        reference="FF-2026-00042", facility=facility, supplier=supplier, debtor=debtor, lender=lender,
        confirmed_amount=D("1005000.50"), advance_rate=D("0.800000"), annual_rate=D("0.060000"),
        fee_rate=D("0.005000"), day_count="ACT/360", interest_mode="advance", value_date=datetime.date(2026, 3, 2),
        due_date=due, advance_amount=D("804000.40"), tenor_days=120, interest_amount=D("16080.01"),
        fee_amount=D("5025.00"), net_disbursement=D("782895.39"), all_in_rate=D("0.080873"), with_recourse=True,
        state=FactoringFinancing.State.SETTLED, prepared_by=user, disbursed_on=datetime.date(2026, 3, 3),
        penalty_accrued=D("456.00"), collected_amount=D("1005000.50"), rebate_due=D("200544.10"),
        rebate_paid=D("200544.10"),
    )
    financing.receivables.set(receivables)
    for day, reference, amount, parts in [
        (datetime.date(2026, 6, 30), "CB20260630-0001", "500000.00", {"applied_advance": "500000.00"}),
        (datetime.date(2026, 7, 10), "CB20260710-0007", "505000.50",
         {"applied_penalty": "456.00", "applied_advance": "304000.40", "rebate": "200544.10"}),
        (datetime.date(2026, 7, 13), "CB20260713-0002", "1200.00", {"suspense": "1200.00"}),
    ]:
        entry = JournalEntry.objects.create(idempotency_key=f"test:{reference}", fingerprint="-", value_date=day,
                                            description=f"receipt {reference}")
        Receipt.objects.create(
            case=financing, case_reference=financing.reference, lender=financing.lender,
            kind=Receipt.Kind.DEBTOR_PAYMENT, payer=debtor, payer_name=debtor.legal_name,
            bank_reference=reference, value_date=day, amount=D(amount), entry=entry, recorded_by=user,
            status=Receipt.Status.SUSPENSE if "suspense" in parts else Receipt.Status.APPLIED,
            **{name: D(value) for name, value in parts.items()},
        )
    return FactoringFinancing.objects.select_related("supplier", "debtor", "lender", "facility").get(pk=financing.pk)


# --- registration ---------------------------------------------------------------------------------

def test_the_three_kinds_are_registered_with_their_prefixes_and_templates():
    assert {code: registry.get(code).prefix for code in KINDS} == {
        "debtor_confirmation_letter": "DCL", "disbursement_advice": "DAV", "settlement_advice": "SAV"}
    for code in KINDS:
        assert registry.get(code).languages == ("en", "zh-hans")


def test_importing_the_module_again_registers_nothing_twice():
    before = [kind.code for kind in registry.all_kinds()]
    importlib.reload(advices)
    assert [kind.code for kind in registry.all_kinds()] == before
    assert sorted(set(before)) == sorted(before)


def test_the_debtor_signs_the_confirmation_and_nobody_signs_an_advice(financing):
    parties = lambda code: [(p.organization, p.role, p.must_sign)  # noqa: E731
                            for p in registry.get(code).parties(financing)]
    assert parties("debtor_confirmation_letter") == [
        (financing.debtor, "debtor", True), (financing.supplier, "supplier", False),
        (financing.lender, "lender", False)]
    for code in ("disbursement_advice", "settlement_advice"):
        assert parties(code) == [(financing.lender, "lender", False), (financing.supplier, "supplier", False)]


@pytest.mark.parametrize("kind_code", KINDS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_version_names_the_parties_with_credit_codes_and_carries_number_and_version(financing, kind_code,
                                                                                          language):
    html = _html(financing, kind_code, language)
    text = _compact(html)
    assert f'<span class="docno">{registry.get(kind_code).prefix}-2099-000007</span>' in html
    assert f'<span class="docver">{VERSION}</span>' in html
    for org, (zh_name, en_name) in ((financing.lender, LENDER), (financing.supplier, SUPPLIER),
                                    (financing.debtor, DEBTOR)):
        assert zh_name in text and org.uscc in text
        if language == "en":
            assert en_name in _text(html)
    assert "FF-2026-00042" in text
    assert '<meta name="description" content="">' not in html


# --- the debtor's confirmation letter -------------------------------------------------------------

def test_confirmation_letter_in_english(financing):
    text = _text(_html(financing, "debtor_confirmation_letter", "en"))
    assert "CONFIRMATION OF RECEIVABLES" in text
    assert ("INV-A-0101 2026-01-15 2026-06-30 600,000.00 600,000.00 —" in text)
    assert (f"INV-A-0102 2026-02-10 2026-06-30 420,500.50 405,000.50 15,500.00 less than face: {NOTE}" in text)
    assert "Confirmed in full by AP." not in text  # a note is printed only where less than face was confirmed
    assert "1,020,500.50 1,005,000.50" in text  # totals of face and confirmed
    assert ("CNY 1,005,000.50 (in words: Renminbi One Million Five Thousand Yuan and Fifty Fen Only)" in text)
    assert "in full on its due date, 2026-06-30, into your collection account" in text
    for value in COLLECTION:
        assert value in text
    assert "Save for the difference between the face amount and the confirmed amount of the Receivable noted" in text
    assert "no right of set-off, counterclaim or defence" in text
    assert "Copy to the Seller" in text


def test_confirmation_letter_in_chinese(financing):
    text = _compact(_html(financing, "debtor_confirmation_letter", "zh-hans"))
    assert "应收账款确认函" in text
    assert "INV-A-0102" in text and f"较票面金额少确认15,500.00：{NOTE.replace(' ', '')}" in text
    assert "Confirmedinfullby" not in text
    assert "合计为人民币壹佰万伍仟元零伍角整（小写：¥1,005,000.50）" in text
    assert "于每笔应收账款的到期日（即2026-06-30）将其确认金额足额支付至贵方的下列回款账户" in text
    for value in COLLECTION:
        assert value.replace(" ", "") in text
    assert "除上表“债务人说明”所载票面金额与确认金额的差额外，我司对上述应收账款不享有任何抵销权" in text
    assert "出具人（债务人）：华东测试重工集团有限公司" in text


def test_confirmation_letter_without_reductions_makes_no_exception(financing):
    Receivable.objects.filter(invoice_number="INV-A-0102").update(face_amount=D("405000.50"))
    en = _text(_html(financing, "debtor_confirmation_letter", "en"))
    assert "less than face" not in en and "Save for" not in en
    assert "5. We have no right of set-off" in en
    zh = _compact(_html(financing, "debtor_confirmation_letter", "zh-hans"))
    assert "较票面金额少确认" not in zh and "五、我司对上述应收账款不享有任何抵销权" in zh


# --- the disbursement advice ----------------------------------------------------------------------

def test_disbursement_advice_in_english_interest_in_advance(financing):
    text = _text(_html(financing, "disbursement_advice", "en"))
    assert "DISBURSEMENT ADVICE" in text
    assert ("on 2026-03-03 we paid you the net disbursement of CNY 782,895.39 (in words: Renminbi Seven Hundred "
            "Eighty-Two Thousand Eight Hundred Ninety-Five Yuan and Thirty-Nine Fen Only)") in text
    assert "Advance rate 80.00% of the confirmed amount" in text
    assert "Advance CNY 804,000.40 (in words: Renminbi Eight Hundred Four Thousand Yuan and Forty Fen Only)" in text
    assert ("6.00% per annum, simple, for 120 days: CNY 16,080.01 (in words: Renminbi Sixteen Thousand Eighty Yuan "
            "and One Fen Only), deducted in advance") in text
    assert "0.50% of the confirmed amount: CNY 5,025.00" in text
    assert "Value date 2026-03-02" in text and "Date of payment 2026-03-03" in text and "Due date 2026-06-30" in text
    assert ("120 days, from the value date (inclusive) to the due date (exclusive); ACT/360, actual days over 360"
            in text)
    assert "All-in annual cost 8.0873% per annum" in text
    assert "net amount paid = 804,000.40 − 16,080.01 − 5,025.00 = 782,895.39" in text
    assert ("Account name 苏州测试精密零件有限公司 Bank 中国工商银行苏州工业园区支行 "
            "Account number 1102 0201 0900 0123 456") in text
    assert ("rebate of CNY 201,000.10 (in words: Renminbi Two Hundred One Thousand Yuan and Ten Fen Only), being "
            "the confirmed amount less the Advance, into") in text


def test_disbursement_advice_in_chinese_interest_in_advance(financing):
    text = _compact(_html(financing, "disbursement_advice", "zh-hans"))
    assert "保理融资放款通知书" in text
    assert "已于2026-03-03将实际发放金额人民币柒拾捌万贰仟捌佰玖拾伍元叁角玖分（小写：¥782,895.39）划付至贵司下列账户" in text
    assert "融资比例确认金额的80.00%" in text
    assert "保理融资款人民币捌拾万肆仟元零肆角整（小写：¥804,000.40）" in text
    assert "年利率6.00%（单利），计息120天，利息为人民币壹万陆仟零捌拾元零壹分（小写：¥16,080.01），已于放款时从保理融资款中预先扣收" in text
    assert "确认金额的0.50%，即人民币伍仟零贰拾伍元整（小写：¥5,025.00）" in text
    assert "起息日2026-03-02" in text and "放款日2026-03-03" in text and "到期日2026-06-30" in text
    assert "ACT/360，按实际天数计息，一年按360天计" in text and "综合年化融资成本8.0873%" in text
    assert "实际发放金额＝804,000.40－16,080.01－5,025.00＝782,895.39" in text
    assert "户名：苏州测试精密零件有限公司开户行：中国工商银行苏州工业园区支行账号：1102020109000123456" in text
    assert "返还余款人民币贰拾万壹仟元零壹角整（小写：¥201,000.10）" in text


def test_disbursement_advice_interest_in_arrears(financing):
    financing.interest_mode = "arrears"
    financing.net_disbursement = D("798975.40")
    financing.all_in_rate = D("0.079245")
    en = _text(_html(financing, "disbursement_advice", "en"))
    assert "payable at maturity, in arrears, on the due date" in en and "deducted in advance" not in en
    assert "net amount paid = 804,000.40 − 5,025.00 = 798,975.40, the interest being payable on the due date" in en
    assert "All-in annual cost 7.9245% per annum" in en
    assert ("rebate of CNY 184,920.09 (in words: Renminbi One Hundred Eighty-Four Thousand Nine Hundred Twenty Yuan "
            "and Nine Fen Only), being the confirmed amount less the Advance and the interest payable at maturity"
            in en)
    zh = _compact(_html(financing, "disbursement_advice", "zh-hans"))
    assert "于到期日后收" in zh and "预先扣收" not in zh
    assert "实际发放金额人民币柒拾玖万捌仟玖佰柒拾伍元肆角整（小写：¥798,975.40）" in zh
    assert "返还余款人民币壹拾捌万肆仟玖佰贰拾元零玖分（小写：¥184,920.09），即确认金额扣除保理融资款及到期应付利息后的余额" in zh


def test_disbursement_advice_dates_the_payment_on_the_value_date_when_no_payment_day_is_recorded(financing):
    financing.disbursed_on = None
    text = _text(_html(financing, "disbursement_advice", "en"))
    assert "on 2026-03-02 we paid you" in text and "Date of payment 2026-03-02" in text


# --- the settlement advice ------------------------------------------------------------------------

def test_settlement_advice_in_english(financing):
    text = _text(_html(financing, "settlement_advice", "en"))
    assert "SETTLEMENT ADVICE" in text
    assert f"1 2026-06-30 {DEBTOR[0]} CB20260630-0001 Payment by the debtor 500,000.00" in text
    assert f"2 2026-07-10 {DEBTOR[0]} CB20260710-0007 Payment by the debtor 505,000.50" in text
    assert "Total (3 receipts) 1,006,200.50" in text
    assert "1 500,000.00 0.00 0.00 0.00 500,000.00 0.00 0.00" in text
    assert "2 505,000.50 456.00 0.00 0.00 304,000.40 200,544.10 0.00" in text
    assert "3 1,200.00 0.00 0.00 0.00 0.00 0.00 1,200.00" in text
    assert "Total 1,006,200.50 456.00 0.00 0.00 804,000.40 200,544.10 1,200.00" in text
    assert ("Penalty interest posted in total CNY 456.00 (in words: Renminbi Four Hundred Fifty-Six Yuan Only)"
            in text)
    assert "at 9.00% per annum on the unpaid Advance" in text
    assert ("We have paid you the rebate of CNY 200,544.10 (in words: Renminbi Two Hundred Thousand Five Hundred "
            "Forty-Four Yuan and Ten Fen Only) into your account named above") in text
    assert SUPPLIER_ACCOUNT[2] in text
    assert "An amount of CNY 1,200.00 (in words: Renminbi One Thousand Two Hundred Yuan Only), received beyond" in text
    assert "the financing is settled" in text
    assert "written off" not in text and "Written off" not in text


def test_settlement_advice_in_chinese(financing):
    text = _compact(_html(financing, "settlement_advice", "zh-hans"))
    assert "保理融资结清通知书" in text
    assert f"12026-06-30{DEBTOR[0]}CB20260630-0001买方付款500,000.00" in text
    assert "合计（共3笔）1,006,200.50" in text
    assert "合计1,006,200.50456.000.000.00804,000.40200,544.101,200.00" in text
    assert "累计计收罚息人民币肆佰伍拾陆元整（小写：¥456.00）" in text
    assert "我方已将余款人民币贰拾万零伍佰肆拾肆元壹角整（小写：¥200,544.10）返还至贵司上述账户" in text
    assert "无法匹配的款项人民币壹仟贰佰元整（小写：¥1,200.00）计入暂收款项" in text
    assert "本笔保理融资已结清" in text
    assert "核销" not in text
    assert "Payment by the debtor" not in text


def test_settlement_advice_states_a_write_off_without_releasing_anyone(financing):
    financing.written_off_amount = D("12345.60")
    en = _text(_html(financing, "settlement_advice", "en"))
    assert ("We have written off CNY 12,345.60 (in words: Renminbi Twelve Thousand Three Hundred Forty-Five Yuan "
            "and Sixty Fen Only)") in en
    assert "does not waive or release any right we have under the Agreement or at law against the Debtor, you" in en
    assert "the financing is settled" not in en
    zh = _compact(_html(financing, "settlement_advice", "zh-hans"))
    assert "核销金额人民币壹万贰仟叁佰肆拾伍元陆角整（小写：¥12,345.60）" in zh
    assert "不构成我方对保理合同项下或依法对买方、贵司或其他任何人所享有权利的放弃或免除" in zh


def test_settlement_advice_after_a_buy_back_reassigns_the_unpaid_receivables(financing):
    Receipt.objects.filter(financing=financing).update(kind=Receipt.Kind.BUY_BACK, payer_name=SUPPLIER[0])
    FactoringFinancing.objects.filter(pk=financing.pk).update(state=FactoringFinancing.State.BOUGHT_BACK)
    financing = FactoringFinancing.objects.get(pk=financing.pk)
    en = _text(_html(financing, "settlement_advice", "en"))
    assert f"{SUPPLIER[0]} CB20260630-0001 Buy-back by the supplier 500,000.00" in en
    assert "You have paid the buy-back price in full" in en and "are reassigned to you" in en
    zh = _compact(_html(financing, "settlement_advice", "zh-hans"))
    assert f"{SUPPLIER[0]}CB20260630-0001贵司回购款500,000.00" in zh
    assert "买方尚未支付的应收账款反转让予贵司" in zh


def test_settlement_advice_without_receipts_says_so(financing):
    Receipt.objects.filter(financing=financing).delete()
    en = _text(_html(financing, "settlement_advice", "en"))
    assert "We have received no payment for the financing" in en and "Total (" not in en
    zh = _compact(_html(financing, "settlement_advice", "zh-hans"))
    assert "我方回款账户未收到本笔融资项下的任何款项" in zh


# --- missing values stop the document ------------------------------------------------------------

def _blank_collection_account(financing):
    SettlementAccount.objects.filter(organization=financing.lender).delete()


def _unconfirm_one(financing):
    Receivable.objects.filter(invoice_number="INV-A-0102").update(confirmed_amount=None)


def _blank_supplier_account(financing):
    # Changed and pending verification: an account that is not verified is never printed.
    SettlementAccount.objects.filter(organization=financing.supplier).update(status="pending")


def _blank_supplier_account_name(financing):
    SettlementAccount.objects.filter(organization=financing.supplier).update(account_name=" ")


def _blank_debtor_code(financing):
    financing.debtor.uscc = ""


def _still_running(financing):
    FactoringFinancing.objects.filter(pk=financing.pk).update(state=FactoringFinancing.State.OVERDUE)
    return FactoringFinancing.objects.get(pk=financing.pk)


@pytest.mark.parametrize("kind_code,spoil,field", [
    ("debtor_confirmation_letter", _blank_collection_account, "collection_account.bank"),
    ("debtor_confirmation_letter", _unconfirm_one, "confirmation.total_confirmed"),
    ("debtor_confirmation_letter", _blank_debtor_code, "debtor.uscc"),
    ("disbursement_advice", _blank_supplier_account, "supplier_account.bank"),
    ("disbursement_advice", _blank_supplier_account_name, "supplier_account.name"),
    ("settlement_advice", _blank_supplier_account, "supplier_account.bank"),
    ("settlement_advice", _blank_debtor_code, "debtor.uscc"),
    ("settlement_advice", _still_running, "settlement.closed"),
])
def test_a_missing_value_is_an_error_naming_it(financing, kind_code, spoil, field):
    financing = spoil(financing) or financing
    with pytest.raises(registry.MissingContext) as error:
        build_context(registry.get(kind_code), financing, _meta(kind_code, "en"))
    assert error.value.field_path == field
    assert field in str(error.value.message)


# --- one PDF per kind, read back with poppler ------------------------------------------------------

@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext, pdffonts)")
@pytest.mark.parametrize("kind_code,language,expected", [
    ("debtor_confirmation_letter", "zh-hans", ["应收账款确认函", "人民币壹佰万伍仟元零伍角整", "INV-A-0102"]),
    ("disbursement_advice", "en", ["DISBURSEMENT ADVICE", "782,895.39", "Renminbi Seven Hundred Eighty-Two Thousand"]),
    ("settlement_advice", "zh-hans", ["保理融资结清通知书", "人民币贰拾万零伍佰肆拾肆元壹角整", "CB20260710-0007"]),
])
def test_pdf_pages_read_back_with_footer_and_embedded_chinese_font(financing, tmp_path, kind_code, language, expected):
    html = _html(financing, kind_code, language)
    pdf = html_to_pdf(html)
    path = tmp_path / f"{kind_code}.{language}.pdf"
    path.write_bytes(pdf.data)
    def run(*args):
        return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout

    pages = run("pdftotext", "-raw", "-enc", "UTF-8", str(path), "-").split("\f")[:-1]
    assert len(pages) == pdf.page_count >= 1
    compact = [re.sub(r"\s+", "", page) for page in pages]
    number = f"{registry.get(kind_code).prefix}-2099-000007v{VERSION}"
    for index, page in enumerate(compact, start=1):
        assert number in page, index
        footer = f"Page{index}of{len(pages)}" if language == "en" else f"第{index}页共{len(pages)}页"
        assert footer in page, index
    whole = "".join(compact)
    for phrase in expected:
        assert re.sub(r"\s+", "", phrase) in whole, phrase
    fonts = run("pdffonts", str(path)).splitlines()[2:]
    assert any("Noto-Serif-CJK-SC" in line for line in fonts), fonts  # the Chinese names, in both languages
    assert not any("Type 3" in line for line in fonts), fonts
    assert not re.search(r"CJK-(JP|KR|TC|HK)", "\n".join(fonts)), fonts


def test_demo_samples_fall_back_to_the_demo_financing_with_a_marked_placeholder_account(financing):
    SettlementAccount.objects.filter(organization=financing.supplier).update(status="pending")
    FactoringFinancing.objects.filter(pk=financing.pk).update(disbursed_on=None)
    sample = registry.get("disbursement_advice").sample()
    assert sample.pk == financing.pk
    assert sample.demo_supplier_account["number"] == advices.DEMO_ACCOUNT["number"]
    assert "demo placeholder" in _text(_html(sample, "disbursement_advice", "en"))
    assert SettlementAccount.objects.get(organization=financing.supplier).status == "pending"  # nothing saved
    assert advices.demo_settled_financing().pk == financing.pk  # settled: ready for a demo settlement advice
