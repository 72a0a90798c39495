"""The lender's PAdES seal: made, checked, broken by tampering (no database, no network)."""

import io
import re
import shutil
import stat
import subprocess

import pytest

from documents import sealing


@pytest.fixture(scope="module")
def unsigned_pdf():
    import weasyprint

    return weasyprint.HTML(string="<h1>保理合同 Factoring agreement</h1><p>Contract FAC-2026-000001</p>").write_pdf()


_demo_blobs = {}


def _reused_demo_pkcs12(password):
    """One RSA-3072 key per test module (generating one takes ~0.5 s)."""
    if password not in _demo_blobs:
        _demo_blobs[password] = _real_make_demo_pkcs12(password)
    return _demo_blobs[password]


_real_make_demo_pkcs12 = sealing._make_demo_pkcs12


@pytest.fixture
def seal_file(settings, tmp_path, monkeypatch):
    """A certificate in this test's tmp dir: tests never touch var/."""
    monkeypatch.setattr(sealing, "_make_demo_pkcs12", _reused_demo_pkcs12)
    settings.SEAL_PKCS12_FILE = str(tmp_path / "seal" / "lender.p12")
    settings.SEAL_PKCS12_PASSWORD = "test-seal-password"
    settings.SEAL_DEMO_AUTOCREATE = False
    return sealing.ensure_seal_certificate()


@pytest.fixture
def sealed_pdf(seal_file, unsigned_pdf):
    return sealing.seal_pdf(unsigned_pdf, reason="FAC-2026-000001 v1", location="Shanghai")


def _signed_range_end(data: bytes) -> int:
    """End of the first signed byte range (everything before the signature's /Contents)."""
    match = re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
    assert match, "no /ByteRange in the sealed file"
    return int(match.group(1))


def test_certificate_is_made_once_with_mode_0600(seal_file, settings):
    assert seal_file.exists()
    assert stat.S_IMODE(seal_file.stat().st_mode) == 0o600
    first = seal_file.read_bytes()
    assert sealing.ensure_seal_certificate() == seal_file
    assert seal_file.read_bytes() == first  # idempotent: the same key and certificate
    cert = sealing.seal_certificate()
    assert cert.subject.native["common_name"] == "Demo Lender Seal"
    assert cert.subject.native["organization_name"] == "海川银行股份有限公司 (demo)"
    assert cert.subject.native["country_name"] == "CN"
    assert set(cert.key_usage_value.native) == {"digital_signature", "non_repudiation"}
    assert cert.ca is False
    assert (cert.not_valid_after - cert.not_valid_before).days >= 3649
    assert not list(seal_file.parent.glob(".seal-*"))  # no temporary files left behind


def test_force_replaces_the_certificate(seal_file, monkeypatch):
    monkeypatch.undo()  # a fresh key this time
    first = seal_file.read_bytes()
    sealing.ensure_seal_certificate(force=True)
    assert seal_file.read_bytes() != first
    assert stat.S_IMODE(seal_file.stat().st_mode) == 0o600


def test_sealed_pdf_is_intact_trusted_and_covers_the_whole_file(sealed_pdf, unsigned_pdf):
    assert sealed_pdf.startswith(unsigned_pdf)  # an incremental update: the original bytes are kept
    status = sealing.validate_seal(sealed_pdf)
    assert status.sealed and status.intact and status.trusted
    assert status.covers_whole_file and not status.modified_after
    assert status.ok
    assert "Demo Lender Seal" in status.signer
    assert status.signed_at is not None
    assert b"/ETSI.CAdES.detached" in sealed_pdf  # PAdES


def test_seal_has_reason_location_and_forbids_changes(sealed_pdf):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import MDPPerm

    reader = PdfFileReader(io.BytesIO(sealed_pdf))
    (embedded,) = reader.embedded_signatures
    assert embedded.field_name == "LenderSeal"
    assert embedded.sig_object["/Reason"] == "FAC-2026-000001 v1"
    assert embedded.sig_object["/Location"] == "Shanghai"
    assert embedded.docmdp_level == MDPPerm.NO_CHANGES


def test_one_flipped_byte_breaks_the_seal(sealed_pdf):
    end = _signed_range_end(sealed_pdf)
    start = sealed_pdf.index(b"stream", 0, end) + 40  # inside the first content stream
    assert start < end
    tampered = bytearray(sealed_pdf)
    tampered[start] ^= 0x01
    status = sealing.validate_seal(bytes(tampered))
    assert status.sealed
    assert not status.intact and not status.ok


def test_changed_metadata_text_breaks_the_seal(sealed_pdf):
    end = _signed_range_end(sealed_pdf)
    position = sealed_pdf.index(b"/Producer", 0, end)
    tampered = sealed_pdf[:position] + b"/Producex" + sealed_pdf[position + len(b"/Producer"):]
    status = sealing.validate_seal(tampered)
    assert not status.intact and not status.ok


def test_an_incremental_update_after_sealing_is_reported(sealed_pdf):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(sealed_pdf))
    stream = generic.StreamObject(stream_data=b"BT /F1 48 Tf 100 400 Td (PAID) Tj ET")
    writer.add_stream_to_page(0, writer.add_object(stream))
    out = io.BytesIO()
    writer.write(out)
    modified = out.getvalue()
    assert modified.startswith(sealed_pdf)

    status = sealing.validate_seal(modified)
    assert status.sealed
    assert status.intact  # the sealed revision itself is unchanged...
    assert not status.covers_whole_file and status.modified_after  # ...but the file is not
    assert not status.ok
    assert "changed after sealing" in status.summary


def test_a_changed_document_title_is_reported_too(sealed_pdf):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    from pyhanko.pdf_utils import generic

    writer = IncrementalPdfFileWriter(io.BytesIO(sealed_pdf))
    info = generic.DictionaryObject({generic.NameObject("/Title"): generic.TextStringObject("Something else")})
    writer.set_info(info)
    out = io.BytesIO()
    writer.write(out)
    status = sealing.validate_seal(out.getvalue())
    assert status.modified_after and not status.covers_whole_file and not status.ok


def test_unsigned_pdf_is_not_sealed(seal_file, unsigned_pdf):
    status = sealing.validate_seal(unsigned_pdf)
    assert not status.sealed and not status.intact and not status.ok


def test_garbage_is_reported_not_raised(seal_file):
    status = sealing.validate_seal(b"%PDF-1.7\n this is not a PDF /ByteRange")
    assert not status.intact and not status.ok
    assert not sealing.validate_seal(b"").sealed


def test_seal_by_another_certificate_is_not_trusted(seal_file, unsigned_pdf, settings, tmp_path, monkeypatch):
    sealed_by_us = sealing.seal_pdf(unsigned_pdf, reason="ours")
    monkeypatch.undo()  # the other certificate gets its own key
    settings.SEAL_PKCS12_FILE = str(tmp_path / "other" / "other.p12")
    sealing.ensure_seal_certificate()
    status = sealing.validate_seal(sealed_by_us)
    assert status.sealed and status.intact
    assert not status.trusted and not status.ok


def test_missing_certificate_fails_unless_demo_autocreate(settings, tmp_path, unsigned_pdf, monkeypatch):
    monkeypatch.setattr(sealing, "_make_demo_pkcs12", _reused_demo_pkcs12)
    settings.SEAL_PKCS12_FILE = str(tmp_path / "missing.p12")
    settings.SEAL_DEMO_AUTOCREATE = False
    with pytest.raises(sealing.SealingError, match="make_seal_certificate"):
        sealing.seal_pdf(unsigned_pdf, reason="x")
    settings.SEAL_DEMO_AUTOCREATE = True
    assert sealing.validate_seal(sealing.seal_pdf(unsigned_pdf, reason="x")).ok
    assert (tmp_path / "missing.p12").exists()


def test_wrong_password_is_a_clear_error(seal_file, settings, unsigned_pdf):
    settings.SEAL_PKCS12_PASSWORD = "not-the-password"
    with pytest.raises(sealing.SealingError, match="SEAL_PKCS12_PASSWORD"):
        sealing.seal_pdf(unsigned_pdf, reason="x")


def test_not_a_pdf_cannot_be_sealed(seal_file):
    with pytest.raises(sealing.SealingError):
        sealing.seal_pdf(b"hello", reason="x")


def test_signer_is_loaded_once_per_process(seal_file, unsigned_pdf):
    sealing._load_signer.cache_clear()
    sealing.seal_pdf(unsigned_pdf, reason="a")
    sealing.seal_pdf(unsigned_pdf, reason="b")
    info = sealing._load_signer.cache_info()
    assert info.misses == 1 and info.hits >= 1


def test_make_seal_certificate_command(settings, tmp_path):
    from django.core.management import call_command

    settings.SEAL_PKCS12_FILE = str(tmp_path / "cmd" / "seal.p12")
    out = io.StringIO()
    call_command("make_seal_certificate", stdout=out)
    text = out.getvalue()
    assert str(tmp_path / "cmd" / "seal.p12") in text
    assert "Demo Lender Seal" in text
    assert re.search(r"SHA-256: ([0-9A-F]{2}:){31}[0-9A-F]{2}", text)
    before = (tmp_path / "cmd" / "seal.p12").read_bytes()
    call_command("make_seal_certificate", stdout=io.StringIO())
    assert (tmp_path / "cmd" / "seal.p12").read_bytes() == before
    call_command("make_seal_certificate", "--force", stdout=io.StringIO())
    assert (tmp_path / "cmd" / "seal.p12").read_bytes() != before


def test_pdfsig_sees_the_seal(sealed_pdf, tmp_path):
    pdfsig = shutil.which("pdfsig")
    if pdfsig is None:
        pytest.skip("pdfsig (poppler-utils) is not installed")
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed_pdf)
    result = subprocess.run([pdfsig, str(path)], capture_output=True, text=True, timeout=60)
    assert "Signature #1" in result.stdout
    assert "LenderSeal" in result.stdout
    assert "ETSI.CAdES.detached" in result.stdout
    assert "Signature is Valid" in result.stdout
    assert "Total document signed" in result.stdout
