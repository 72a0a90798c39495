import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image

from scf.parties.demo import MINIMAL_PDF
from scf.parties.validators import inspect_upload, validate_uscc

# 91310000MA1FL8XQ30 is not used: codes here are built from a known-good one.
VALID = "91110000600037341L"  # a real, published code whose check character is L


def test_validate_uscc_accepts_a_valid_code():
    validate_uscc(VALID)


def test_validate_uscc_names_the_expected_check_character():
    wrong = VALID[:-1] + "M"
    with pytest.raises(ValidationError) as error:
        validate_uscc(wrong)
    assert error.value.code == "uscc_checksum"
    assert "(expected L)" in error.value.messages[0]


def test_validate_uscc_reports_the_length():
    with pytest.raises(ValidationError) as error:
        validate_uscc(VALID[:17])
    assert error.value.code == "uscc_length"
    assert "18" in error.value.messages[0] and "17" in error.value.messages[0]


@pytest.mark.parametrize("bad", ["91110000600037341I", "9111000060003734OL", "91110000600037341l!"])
def test_validate_uscc_rejects_characters_outside_the_alphabet(bad):
    with pytest.raises(ValidationError) as error:
        validate_uscc(bad)
    assert error.value.code in {"uscc_format", "uscc_length"}


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def test_inspect_upload_recognises_pdf_by_content_not_name():
    upload = SimpleUploadedFile("licence.txt", MINIMAL_PDF)
    content_type, digest, size = inspect_upload(upload)
    assert content_type == "application/pdf"
    assert size == len(MINIMAL_PDF)
    assert len(digest) == 64


def test_inspect_upload_accepts_a_real_png():
    assert inspect_upload(SimpleUploadedFile("scan.png", _png_bytes()))[0] == "image/png"


def test_inspect_upload_rejects_a_disguised_executable():
    upload = SimpleUploadedFile("licence.pdf", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/pdf")
    with pytest.raises(ValidationError) as error:
        inspect_upload(upload)
    assert error.value.code == "file_type"


def test_inspect_upload_rejects_a_png_header_on_garbage():
    upload = SimpleUploadedFile("scan.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20)
    with pytest.raises(ValidationError) as error:
        inspect_upload(upload)
    assert error.value.code == "file_damaged"


def test_inspect_upload_rejects_a_truncated_pdf():
    with pytest.raises(ValidationError) as error:
        inspect_upload(SimpleUploadedFile("x.pdf", MINIMAL_PDF[:60]))
    assert error.value.code == "file_damaged"


@override_settings(KYC_UPLOAD_MAX_BYTES=1000)
def test_inspect_upload_rejects_files_over_the_cap_with_both_sizes():
    upload = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 2000 + b"%%EOF")
    with pytest.raises(ValidationError) as error:
        inspect_upload(upload)
    assert error.value.code == "file_too_large"
    assert "1000" in error.value.messages[0] or "1,000" in error.value.messages[0] or "KB" in error.value.messages[0]


def test_inspect_upload_rejects_an_empty_file():
    with pytest.raises(ValidationError) as error:
        inspect_upload(SimpleUploadedFile("empty.pdf", b""))
    assert error.value.code == "file_empty"
