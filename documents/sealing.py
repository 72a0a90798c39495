"""PAdES sealing of final PDFs under the lender's certificate (pyHanko).

The lender's sealing certificate is a PKCS#12 file named by ``settings.SEAL_PKCS12_FILE`` and opened
with ``settings.SEAL_PKCS12_PASSWORD``. ``ensure_seal_certificate`` makes a self-signed demo one when
the file is missing (``manage.py make_seal_certificate``). The seal is a PAdES certification
signature that allows no further changes (DocMDP P=1): a reader shows the document as certified and
unmodified, and any later change to the file breaks the seal. Sealing and validation never touch the
network (no timestamp server, no OCSP/CRL fetching).

The loaded signer is cached per process, keyed on the file's path, mtime and size, so warm workers
sign in milliseconds and a replaced certificate file is picked up without a restart.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

DEMO_SUBJECT = {
    "common_name": "Demo Lender Seal",
    "organization": "海川银行股份有限公司 (demo)",
    "country": "CN",
}
DEMO_VALIDITY_DAYS = 3650
DEFAULT_FIELD_NAME = "LenderSeal"
# Room left for the CMS blob beyond the certificates it embeds (signature value, signed attributes,
# structure), in bytes. Reserving a computed size avoids pyHanko's default of signing a dummy
# document first to measure it (which doubles the cost). See _bytes_reserved.
CMS_OVERHEAD_BYTES = 4096


class SealingError(Exception):
    """The seal could not be made: certificate file missing or unreadable, or the PDF unusable."""


# --------------------------------------------------------------------------------------------------
# Certificate


def _configured_path(path=None) -> Path:
    return Path(path if path is not None else settings.SEAL_PKCS12_FILE)


def _configured_password(password=None) -> bytes | None:
    value = password if password is not None else getattr(settings, "SEAL_PKCS12_PASSWORD", "")
    if isinstance(value, str):
        value = value.encode()
    return value or None


def _make_demo_pkcs12(password: bytes | None) -> bytes:
    """A self-signed RSA-3072 seal certificate and its key, as PKCS#12 (AES-256 when password given)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, DEMO_SUBJECT["country"]),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_SUBJECT["organization"]),
        x509.NameAttribute(NameOID.COMMON_NAME, DEMO_SUBJECT["common_name"]),
    ])
    now = dt.datetime.now(dt.timezone.utc)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=DEMO_VALIDITY_DAYS))
        # A self-signed end-entity certificate: trusted directly as its own anchor by pyHanko's
        # validator (trust_roots=[cert]); it may not issue other certificates.
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False,
        ), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(b"lender-seal", key, cert, None, encryption)


def ensure_seal_certificate(path=None, password=None, *, force: bool = False) -> Path:
    """Make the self-signed demo seal certificate when the PKCS#12 file is missing; return its path.

    Idempotent and safe against concurrent callers: the file is written to a temporary file (mode
    0600) in the same directory and linked into place only if nothing is there yet. ``force``
    replaces an existing file.
    """
    target = _configured_path(path)
    if target.exists() and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    blob = _make_demo_pkcs12(_configured_password(password))
    fd, tmp_name = tempfile.mkstemp(prefix=".seal-", suffix=".p12.tmp", dir=target.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o600)
        if force:
            os.replace(tmp_name, target)
        else:
            try:
                os.link(tmp_name, target)  # fails if another process made it first: keep theirs
            except FileExistsError:
                pass
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    logger.info("seal certificate written to %s", target)
    _load_signer.cache_clear()
    return target


def _fast_signer_class():
    """pyHanko's SimpleSigner re-parses the private key on every signature (~300 ms for RSA-3072 with
    cryptography's key checks); this one keeps the parsed key."""
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from pyhanko.sign import signers
    from pyhanko.sign.general import get_pyca_cryptography_hash

    class KeptKeySigner(signers.SimpleSigner):
        def __init__(self, *args, pyca_key, **kwargs):
            super().__init__(*args, **kwargs)
            self._pyca_key = pyca_key

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            try:
                algo = mechanism.signature_algo
            except ValueError:
                algo = mechanism["algorithm"].native
            key = self._pyca_key
            if algo == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
                return key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
            if algo == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
                return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
            return super().sign_raw(data, digest_algorithm)

    return KeptKeySigner


@functools.lru_cache(maxsize=4)
def _load_signer(path: str, mtime_ns: int, size: int, password: bytes | None):
    """The pyHanko signer for the PKCS#12 file (the stat values only key the cache)."""
    from asn1crypto import keys, x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    def asn1_cert(pyca_cert):
        return x509.Certificate.load(pyca_cert.public_bytes(serialization.Encoding.DER))

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SealingError(f"cannot read the seal certificate {path}: {exc}") from exc
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, password)
    except ValueError as exc:
        raise SealingError(f"cannot open the seal certificate {path} (wrong SEAL_PKCS12_PASSWORD?)") from exc
    if key is None or cert is None:
        raise SealingError(f"the seal certificate file {path} holds no key or no certificate")
    registry = SimpleCertificateStore()
    registry.register_multiple(asn1_cert(c) for c in chain)
    key_der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    signer = _fast_signer_class()(
        signing_cert=asn1_cert(cert),
        signing_key=keys.PrivateKeyInfo.load(key_der),
        cert_registry=registry,
        pyca_key=key,
    )
    signer.bytes_reserved = _bytes_reserved(signer)
    return signer


def _bytes_reserved(signer) -> int:
    """Hex digits to reserve for /Contents: twice the DER size of certificates + overhead, rounded up."""
    der = len(signer.signing_cert.dump()) + sum(len(c.dump()) for c in signer.cert_registry)
    return -(-2 * (der + CMS_OVERHEAD_BYTES) // 1024) * 1024


def _autocreate() -> bool:
    """Make the demo certificate on first use? Only when asked to (SEAL_DEMO_AUTOCREATE, default DEBUG):
    a production server whose certificate went missing must fail, not seal with a demo certificate."""
    return bool(getattr(settings, "SEAL_DEMO_AUTOCREATE", settings.DEBUG))


def _signer(path=None, password=None, *, create: bool = True):
    target = _configured_path(path)
    if create and not target.exists() and _autocreate():
        ensure_seal_certificate(target, password)
    try:
        stat = target.stat()
    except FileNotFoundError as exc:
        raise SealingError(
            f"no seal certificate at {target}: run `manage.py make_seal_certificate` or set SEAL_PKCS12_FILE"
        ) from exc
    return _load_signer(str(target.resolve()), stat.st_mtime_ns, stat.st_size, _configured_password(password))


def seal_certificate(path=None, password=None):
    """The configured seal certificate (asn1crypto ``x509.Certificate``); SealingError when missing."""
    return _signer(path, password, create=False).signing_cert


def certificate_fingerprint(cert) -> str:
    """SHA-256 fingerprint of a certificate, as colon-separated upper-case hex."""
    import hashlib

    digest = hashlib.sha256(cert.dump()).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


# --------------------------------------------------------------------------------------------------
# Sealing


def seal_pdf(data: bytes, *, reason: str, location: str = "", field_name: str = DEFAULT_FIELD_NAME) -> bytes:
    """Seal ``data`` (a PDF) with a PAdES certification signature under the lender's certificate."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    signer = _signer()
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason or None,
        location=location or None,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        embed_validation_info=False,
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        out = signers.PdfSigner(meta, signer=signer).sign_pdf(writer, bytes_reserved=signer.bytes_reserved)
    except SealingError:
        raise
    except Exception as exc:  # pyHanko raises several types for unreadable input
        raise SealingError(f"cannot seal this PDF: {exc}") from exc
    return out.getvalue()


# --------------------------------------------------------------------------------------------------
# Validation


@dataclass(frozen=True)
class SealStatus:
    sealed: bool
    intact: bool = False
    trusted: bool = False
    signer: str = ""
    signed_at: dt.datetime | None = None
    covers_whole_file: bool = False
    modified_after: bool = False
    summary: str = ""

    @property
    def ok(self) -> bool:
        """Sealed by us, unchanged since: the only state in which the seal vouches for the file."""
        return self.sealed and self.intact and self.trusted and self.covers_whole_file and not self.modified_after


def _validation_context():
    from pyhanko_certvalidator import ValidationContext

    try:
        roots = [seal_certificate()]
    except SealingError:
        roots = []
    # trust_roots (not extra_trust_roots): only the lender's certificate counts, never the OS store.
    return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")


def validate_seal(data: bytes, *, field_name: str | None = DEFAULT_FIELD_NAME) -> SealStatus:
    """Check the lender's seal on a PDF: present, hash intact, trusted, nothing changed after it.

    Looks at the signature in ``field_name`` if there is one, else the last signature in the file.
    Never raises for bad input: an unreadable or damaged file is reported as not intact.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = list(reader.embedded_signatures)
    except Exception as exc:
        looks_signed = b"/ByteRange" in data
        return SealStatus(sealed=looks_signed, summary=f"unreadable PDF: {exc}")
    if not signatures:
        return SealStatus(sealed=False, summary="no signature")
    embedded = next((s for s in signatures if s.field_name == field_name), signatures[-1])

    signer = ""
    try:
        signer = embedded.signer_cert.subject.human_friendly
    except Exception:  # noqa: BLE001 - a damaged CMS blob: report below
        pass
    try:
        status = validate_pdf_signature(embedded, signer_validation_context=_validation_context())
    except Exception as exc:  # noqa: BLE001 - damaged files raise many kinds of error
        return SealStatus(sealed=True, signer=signer, summary=f"signature cannot be checked: {exc}")

    covers_whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    intact = bool(status.intact and status.valid)
    if intact and not covers_whole_file:
        summary = "seal intact, but the file was changed after sealing"
    elif intact:
        summary = "seal intact; the file is unchanged since sealing"
    else:
        summary = "seal broken: the file does not match what was sealed"
    if intact and not status.trusted:
        summary += "; signer not trusted"
    return SealStatus(
        sealed=True,
        intact=intact,
        trusted=bool(status.trusted),
        signer=signer or status.signing_cert.subject.human_friendly,
        signed_at=status.signer_reported_dt,
        covers_whole_file=covers_whole_file,
        modified_after=not covers_whole_file,
        summary=f"{summary} ({status.summary()})",
    )
