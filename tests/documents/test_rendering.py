"""The document templates rendered to real PDFs: content, footers, metadata, fonts, and demo_documents.

The PDFs are read back with poppler (pdftotext, pdfinfo, pdffonts), as a reader or a court would see them.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from documents import registry, rendering
from documents.issuing import build_context
from documents.models import Document
from documents.rendering import html_to_pdf, render_html
from scf.core.models import NumberSequence
from scf.parties import demo
from scf.parties.demo import seed_demo

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils (pdftotext, pdfinfo)")

KINDS = ["factoring_agreement", "notice_of_assignment"]
LANGUAGES = ["en", "zh-hans"]
CASES = [(kind, language) for kind in KINDS for language in LANGUAGES]
VERSION = 3
TITLES = {
    ("factoring_agreement", "en"): "Factoring Agreement",
    ("factoring_agreement", "zh-hans"): "国内保理业务合同",
    ("notice_of_assignment", "en"): "Notice of Assignment",
    ("notice_of_assignment", "zh-hans"): "应收账款债权转让通知书",
}

# The demo financing (scf.parties.demo → workflows.factoring.demo): confirmed 450,000.00 + 360,000.00 +
# 620,500.50 = 1,430,500.50; advance = 80 % = 1,144,400.40, written by hand under the PBOC rules. The
# units digit of the yuan is 0 and the 角 is not, so a 零 is written after 元 (the rules' first form, which
# scf.money.to_chinese_capital follows: ¥1,680.32 → 壹仟陆佰捌拾元零叁角贰分).
ADVANCE_ZH = "人民币壹佰壹拾肆万肆仟肆佰元零肆角整"
ADVANCE_EN = "Renminbi One Million One Hundred Forty-Four Thousand Four Hundred Yuan and Forty Fen Only"
ADVANCE_FIGURES = "1,144,400.40"

LENDER = ("海川银行股份有限公司", "Haichuan Bank Co., Ltd.")
SUPPLIER = ("苏州精密零件有限公司", "Suzhou Precision Parts Co., Ltd.")
DEBTOR = ("华东重工集团有限公司", "East China Heavy Industries Group Co., Ltd.")
USCC = (demo.LENDER.uscc, *(org.uscc for key in ("supplier1", "core1") for org in demo.ORGS if org.key == key))


def _number(kind: registry.DocumentKind) -> str:
    return f"{kind.prefix}-2099-000042"


def _meta(kind: registry.DocumentKind, language: str) -> dict:
    return {"number": _number(kind), "version": VERSION, "title": str(kind.title), "language": language,
            "issued_date": timezone.localdate(), "kind": kind.code}


def _run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout


def _flat(text: str) -> str:
    """`pdftotext -raw` output as one line; a word broken after its hyphen at a line end is joined again."""
    return re.sub(r"\s+", " ", re.sub(r"-\s*\n\s*", "-", text))


def _no_space(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def rendered(django_db_setup, django_db_blocker, tmp_path_factory):
    """Render every kind and language once for the module, from the demo data; the data is rolled back."""
    folder = tmp_path_factory.mktemp("rendered")
    results = {}
    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo(password="x", lifecycle=False)
        for kind_code, language in CASES:
            kind = registry.get(kind_code)
            context = build_context(kind, kind.sample(), _meta(kind, language))
            html = render_html(kind.template_name(language), context, language)
            logger = logging.getLogger("weasyprint")
            records: list[logging.LogRecord] = []
            handler = logging.Handler(level=logging.WARNING)
            handler.emit = records.append
            logger.addHandler(handler)
            try:
                pdf = html_to_pdf(html)
            finally:
                logger.removeHandler(handler)
            path = folder / f"{kind_code}.{language}.pdf"
            path.write_bytes(pdf.data)
            results[kind_code, language] = SimpleNamespace(
                kind=kind, html=html, pdf=pdf, path=path, warnings=[r.getMessage() for r in records],
                pages=_run("pdftotext", "-raw", "-enc", "UTF-8", str(path), "-").split("\f")[:-1],
            )
        transaction.set_rollback(True)
    return results


@pytest.mark.parametrize("kind_code,language", CASES)
def test_html_declares_language_and_pdf_metadata(rendered, kind_code, language):
    html = rendered[kind_code, language].html
    assert f'<html lang="{"zh-Hans" if language == "zh-hans" else "en"}"' in html
    for name in ("author", "description", "dcterms.created"):
        assert f'<meta name="{name}" content="' in html
    assert '<meta name="description" content="">' not in html
    assert f'content="{timezone.localdate():%Y-%m-%d}"' in html


@pytest.mark.parametrize("kind_code,language", CASES)
def test_pdf_is_a4_with_title_and_author(rendered, kind_code, language):
    result = rendered[kind_code, language]
    assert result.pdf.data.startswith(b"%PDF-")
    info = dict(line.split(":", 1) for line in _run("pdfinfo", "-enc", "UTF-8", str(result.path)).splitlines()
                if ":" in line)
    info = {key.strip(): value.strip() for key, value in info.items()}
    assert int(info["Pages"]) == result.pdf.page_count == len(result.pages)
    assert "(A4)" in info["Page size"]
    assert _number(result.kind) in info["Title"] and f"v{VERSION}" in info["Title"]
    assert info["Title"].startswith(TITLES[kind_code, language])
    assert info["Author"] == (LENDER[1] if language == "en" else LENDER[0])
    assert info["Subject"]
    assert info["CreationDate"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_agreement_has_at_least_three_pages(rendered, language):
    assert rendered["factoring_agreement", language].pdf.page_count >= 3


@pytest.mark.parametrize("kind_code,language", CASES)
def test_every_footer_has_number_version_and_page_of_pages(rendered, kind_code, language):
    result = rendered[kind_code, language]
    total = len(result.pages)
    for index, page in enumerate(result.pages, start=1):
        text = _flat(page)
        assert f"{_number(result.kind)} v{VERSION}" in text, f"page {index}"
        if language == "en":
            assert f"Page {index} of {total}" in text, f"page {index}"
        else:
            assert f"第{index}页共{total}页" in _no_space(text), f"page {index}"  # "第 2 页 共 5 页"


@pytest.mark.parametrize("kind_code,language", CASES)
def test_parties_names_and_credit_codes(rendered, kind_code, language):
    text = _flat("".join(rendered[kind_code, language].pages))
    chinese = _no_space(text)
    for (zh_name, en_name), code in zip((LENDER, SUPPLIER, DEBTOR), USCC, strict=True):
        assert zh_name in chinese  # the English versions give the Chinese name in brackets
        if language == "en":
            assert en_name in text
        assert code in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_agreement_amounts_in_figures_and_words(rendered, language):
    text = _flat("".join(rendered["factoring_agreement", language].pages))
    assert ADVANCE_FIGURES in text
    if language == "zh-hans":
        assert ADVANCE_ZH in _no_space(text)
        assert "Renminbi" not in text
    else:
        assert ADVANCE_EN in text
    # The rates and the schedule
    for figure in ("80.00%", "6.50%", "0.50%", "8.6155%", "9.75%", "INV-2026-0815", "INV-2026-0822",
                   "INV-2026-0901", "1,430,500.50", "1,112,452.56"):
        assert figure in text, figure


def test_english_agreement_is_with_recourse_and_names_the_court(rendered):
    text = _flat("".join(rendered["factoring_agreement", "en"].pages))
    assert "factoring with recourse" in text
    assert "people's court having jurisdiction where the Factor is domiciled" in text
    assert "Schedule 1" in text


def test_chinese_agreement_clauses(rendered):
    text = _no_space("".join(rendered["factoring_agreement", "zh-hans"].pages))
    for phrase in ("国内保理业务合同", "有追索权保理", "应收账款转让", "甲方住所地有管辖权的人民法院", "以下无正文",
                   "附件一应收账款转让清单", "法定代表人或授权代表"):
        assert phrase in text, phrase


def test_notice_tells_the_debtor_to_pay_the_lender_and_has_a_receipt(rendered):
    zh = _no_space("".join(rendered["notice_of_assignment", "zh-hans"].pages))
    assert "致：华东重工集团有限公司" in zh and "回执" in zh
    assert "仅支付至保理商海川银行股份有限公司的以下回款账户" in zh
    assert "账号310100008866" in zh  # the lender's collection account is named, not left to a later letter
    en = _flat("".join(rendered["notice_of_assignment", "en"].pages))
    assert "ACKNOWLEDGEMENT OF RECEIPT" in en
    assert "only into the collection account of the Factor" in en
    assert "account number 3101 0000 8866 2026 001" in en


@pytest.mark.parametrize("kind_code,language", CASES)
def test_cjk_font_embedded_and_no_fallback_glyphs(rendered, kind_code, language):
    result = rendered[kind_code, language]
    fonts = _run("pdffonts", str(result.path)).splitlines()[2:]
    assert any("Noto-Serif-CJK-SC" in line and " yes yes " in line for line in fonts), fonts
    assert not any("Type 3" in line for line in fonts), fonts  # bitmap fallback
    assert not re.search(r"CJK-(JP|KR|TC|HK)", "\n".join(fonts)), fonts  # a fallback with Japanese/Korean glyph forms
    assert all(" yes " in line for line in fonts), fonts  # every font embedded
    assert not [w for w in result.warnings if ".notdef" in w or "tofu" in w.lower()], result.warnings


def test_stylesheet_is_parsed_once_and_an_older_one_still_applies(rendered):
    html = rendered["notice_of_assignment", "en"].html
    css_text, _ = rendering._print_stylesheet()
    assert css_text and css_text in html  # base.html inlines exactly the stylesheet the renderer reuses
    # The HTML of a document issued under another stylesheet keeps its own rules.
    older = html.replace("size: A4;", "size: A5;", 1)
    assert older != html
    pdf = html_to_pdf(older)
    path = rendered["notice_of_assignment", "en"].path.with_name("older.pdf")
    path.write_bytes(pdf.data)
    assert "419.528 x 595.276 pts" in _run("pdfinfo", str(path))  # A5


def test_speed_ups_apply_to_the_pinned_weasyprint():
    import weasyprint

    rendering._weasy()
    if weasyprint.__version__.startswith(rendering.TESTED_WEASYPRINT):
        assert len(rendering.SPEEDUPS) == 3, rendering.SPEEDUPS
    else:  # an upgrade: re-check the internals the speed-ups rely on, then add the version
        assert rendering.SPEEDUPS == []


def _certificate_context(language: str, issued_sha: str) -> dict:
    org = lambda zh, en, code: SimpleNamespace(legal_name=zh, legal_name_en=en, uscc=code)  # noqa: E731
    lender = org(*LENDER, "91310000100000001A")
    supplier = org(*SUPPLIER, "91320500300000001Y")
    now = timezone.now()
    document = SimpleNamespace(
        number="FAC-2099-000042", version=VERSION, sha256=issued_sha, issued_at=now,
        document_parties=SimpleNamespace(all=lambda: [SimpleNamespace(role="supplier", organization=supplier),
                                                     SimpleNamespace(role="lender", organization=lender)]),
    )
    signatures = [
        SimpleNamespace(organization=supplier, signer_name="王晓东", signed_at=now, ip_address="203.0.113.7",
                        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0", sha256=issued_sha),
        SimpleNamespace(organization=lender, signer_name="Li Na", signed_at=now, ip_address=None,
                        user_agent="", sha256=issued_sha),
    ]
    doc = {"number": document.number, "version": VERSION, "title": "Factoring Agreement", "language": language,
           "issued_date": now.date(), "kind": "factoring_agreement"}
    # The parties as document_finalize passes them (already read, with their organizations).
    return {"doc": doc, "document": document, "signatures": signatures, "parties": document.document_parties.all()}


@pytest.mark.parametrize("language", LANGUAGES)
def test_signature_certificate_is_appended_and_explains_hashes_and_seal(rendered, language, tmp_path):
    agreement = rendered["factoring_agreement", language]
    certificate = render_html("documents/signature_certificate.html",
                              _certificate_context(language, agreement.pdf.sha256), language)
    pdf = html_to_pdf(agreement.html, extra_pages_html=certificate)
    assert pdf.page_count == agreement.pdf.page_count + 1
    path = tmp_path / "final.pdf"
    path.write_bytes(pdf.data)
    fonts = _run("pdffonts", str(path))
    assert "Noto-Serif-CJK-SC" in fonts and not re.search(r"CJK-(JP|KR|TC|HK)", fonts), fonts
    last = _run("pdftotext", "-raw", "-enc", "UTF-8", str(path), "-").split("\f")[-2]
    flat, compact = _flat(last), _no_space(last)
    assert agreement.pdf.sha256 in compact
    assert "王晓东" in compact and "91320500300000001Y" in compact and "203.0.113.7" in flat
    if language == "en":
        assert "SIGNATURE CERTIFICATE" in flat and "fingerprint" in flat and "digital seal" in flat
        assert "Haichuan Bank Co., Ltd." in flat and "matches the issued PDF" in flat
        assert "Certificate page 1 of 1" in flat
    else:
        assert "电子签署证书" in compact and "数字指纹" in compact and "电子印章" in compact
        assert "海川银行股份有限公司的电子印章" in compact and "与签发文件一致" in compact
        assert "证书第1页共1页" in compact


@pytest.mark.django_db
def test_demo_documents_writes_every_kind_and_language_and_issues_nothing(tmp_path):
    seed_demo(password="x", lifecycle=False)
    out = tmp_path / "docs"
    call_command("demo_documents", out=str(out), stdout=io.StringIO())
    expected = {f"{kind}.{language}.{ext}" for kind, language in CASES for ext in ("pdf", "html")}
    assert {path.name for path in out.iterdir()} >= expected
    for kind, language in CASES:
        assert Path(out, f"{kind}.{language}.pdf").read_bytes().startswith(b"%PDF-")
        html = Path(out, f"{kind}.{language}.html").read_text(encoding="utf-8")
        assert registry.get(kind).prefix + "-DRAFT" in html
    assert not Document.objects.exists()
    assert not NumberSequence.objects.filter(key__in=[kind.code for kind in registry.all_kinds()]).exists()


@pytest.mark.django_db
def test_demo_documents_one_kind(tmp_path):
    seed_demo(password="x", lifecycle=False)
    call_command("demo_documents", out=str(tmp_path), kinds=["notice_of_assignment"], stdout=io.StringIO())
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "notice_of_assignment.en.html", "notice_of_assignment.en.pdf",
        "notice_of_assignment.zh-hans.html", "notice_of_assignment.zh-hans.pdf",
    ]


@pytest.mark.django_db
def test_demo_documents_without_demo_data_says_what_to_do(tmp_path):
    with pytest.raises(CommandError, match="run manage.py seed_demo first"):
        call_command("demo_documents", out=str(tmp_path), kinds=["factoring_agreement"])
    with pytest.raises(CommandError, match="Unknown kind"):
        call_command("demo_documents", out=str(tmp_path), kinds=["no_such_kind"])
