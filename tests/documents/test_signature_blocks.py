"""The final PDF's signature blocks show who signed and when, and the lender's seal; advices are sealed.

The PDFs are read back with poppler's pdftotext, as a reader would see them.
"""

import datetime
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.utils import timezone

from documents import services
from documents.models import Document
from documents.rendering import html_to_pdf
from documents.sealing import validate_seal
from documents.signature_blocks import FilledBlock, fill_signature_blocks, seal_data_uri, seal_svg
from workflows.factoring.services import financing_generate_contracts

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

BLOCKS_HTML = (
    '<p>Before</p><div class="sig"><div class="seal" data-sig-seal="A1">Company seal</div>'
    '<p>Signatory: <span class="sigfill" data-sig-signer="A1">____</span></p>'
    '<p>Date: <span class="sigfill" data-sig-time="A1">____</span></p></div>'
    '<div class="sig"><div class="seal" data-sig-seal="B2">Company seal</div>'
    '<p>Signatory: <span class="sigfill" data-sig-signer="B2">____</span></p>'
    '<p>Date: <span class="sigfill" data-sig-time="B2">____</span></p></div><p>After</p>'
)
# 2026-11-25 02:30 UTC is 10:30 in Beijing.
SIGNED_AT = datetime.datetime(2026, 11, 25, 2, 30, tzinfo=datetime.UTC)


def _pdf_text(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout


def test_a_signed_block_shows_the_signer_and_the_beijing_time_and_the_rest_is_untouched():
    html = fill_signature_blocks(BLOCKS_HTML, [FilledBlock(uscc="A1", organization="Seller", signer_name="Wang Li",
                                                            signed_at=SIGNED_AT)], "en")
    assert '<span class="sigfill" data-sig-signer="A1">Wang Li (signed electronically)</span>' in html
    assert '<span class="sigfill" data-sig-time="A1">2026-11-25 10:30 (Beijing time)</span>' in html
    assert '<div class="seal signed" data-sig-seal="A1">Signed electronically</div>' in html
    # The other party's block is left blank, and everything outside the blocks is as issued.
    assert '<span class="sigfill" data-sig-signer="B2">____</span>' in html
    assert html.startswith("<p>Before</p>") and html.endswith("<p>After</p>")


def test_the_lenders_block_takes_its_seal_image_and_chinese_times_are_in_chinese():
    seal = seal_data_uri("海川银行股份有限公司")
    html = fill_signature_blocks(BLOCKS_HTML, [FilledBlock(uscc="B2", organization="海川银行股份有限公司",
                                                            signer_name="周明远", signed_at=SIGNED_AT,
                                                            seal_image=seal)], "zh-hans")
    assert f'<img class="seal-img" src="{seal}" alt="海川银行股份有限公司">' in html
    assert 'data-sig-seal="B2">Company seal' not in html
    assert "周明远（电子签名）" in html and "2026-11-25 10:30（北京时间）" in html


def test_the_seal_carries_the_lenders_name_around_a_star():
    svg = seal_svg("海川银行")
    for char in "海川银行":
        assert f">{char}</text>" in svg
    assert "<circle" in svg and "<polygon" in svg and "电子合同专用章" in svg


def test_the_seal_image_renders_in_a_pdf():
    rendered = html_to_pdf(f'<html><body><p>x</p><img style="width:40mm;height:40mm" '
                           f'src="{seal_data_uri("海川银行股份有限公司")}"></body></html>')
    assert rendered.page_count == 1
    assert "海" in _pdf_text(rendered.data)  # the name is drawn as text along the rim


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")
def test_the_final_pdf_of_the_agreement_shows_both_signatories_and_the_issued_pdf_stays_blank(
        demo, django_capture_on_commit_callbacks, time_machine):
    time_machine.move_to(SIGNED_AT, tick=False)
    financing = demo["financing"]
    with django_capture_on_commit_callbacks(execute=True):
        financing_generate_contracts(financing=financing, language="bilingual", acting_user=demo["supplier"])
    agreement = Document.objects.get(kind="factoring_agreement", state="issued")
    assert agreement.language == "bilingual"
    demo["supplier"].first_name, demo["supplier"].last_name = "Wang", "Li"
    demo["supplier"].save()
    with django_capture_on_commit_callbacks(execute=True):
        for user, organization in ((demo["supplier"], financing.supplier), (demo["ops"], financing.lender)):
            services.document_sign(document=agreement, organization=organization, signer=user, password=PASSWORD,
                                   ip_address="203.0.113.9", user_agent="pytest")
    agreement.refresh_from_db()
    assert agreement.state == Document.State.SIGNED
    with agreement.final_pdf.open("rb") as handle:
        final = handle.read()
    with agreement.pdf.open("rb") as handle:
        issued = handle.read()
    text = "".join(_pdf_text(final).split())
    ops_name = demo["ops"].get_full_name() or demo["ops"].get_username()
    assert "WangLi（电子签名/signedelectronically）" in text
    assert f"{''.join(ops_name.split())}（电子签名/signedelectronically）" in text
    assert text.count("2026-11-2510:30（北京时间BeijingTime）".replace("Time", "time")) >= 2
    assert "电子合同专用章" in text  # the lender's seal, drawn in its block
    issued_text = "".join(_pdf_text(issued).split())
    assert "WangLi" not in issued_text and "电子合同专用章" not in issued_text  # what was signed is unchanged
    assert validate_seal(final).ok


def test_an_advice_is_sealed_as_soon_as_it_is_issued(demo, django_capture_on_commit_callbacks):
    financing = demo["financing"]
    with django_capture_on_commit_callbacks(execute=True):
        advice = services.document_generate(obj=financing, kind_code="disbursement_advice", language="zh-hans",
                                            acting_user=None)
    advice.refresh_from_db()
    assert advice.state == Document.State.SIGNED and advice.final_pdf and advice.number.startswith("DA")
    assert not advice.signatures.exists()
    with advice.final_pdf.open("rb") as handle:
        final = handle.read()
    assert validate_seal(final).ok
    text = "".join(_pdf_text(final).split())
    assert "电子合同专用章" in text and "（通知人盖章）" not in text
    assert "签署证书" not in text  # nobody signs an advice: no signature certificate page
    assert advice.signed_at is not None and advice.signed_at <= timezone.now()
