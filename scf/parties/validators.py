"""Validation of identifiers and uploaded files, with messages that name the problem."""

from __future__ import annotations

import hashlib
import io
import re
import zoneinfo
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import uscc


def validate_uscc(value: str) -> None:
    """Validate a unified social credit code (GB 32100-2015), naming what is wrong."""
    compact = uscc.compact(value or "")
    if len(compact) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(count)d."),
            code="uscc_length",
            params={"count": len(compact)},
        )
    try:
        uscc.validate(compact)
    except stdnum_exceptions.InvalidChecksum:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong (expected %(expected)s)."),
            code="uscc_checksum",
            params={"expected": uscc.calc_check_digit(compact[:-1])},
        ) from None
    except stdnum_exceptions.InvalidFormat:
        raise ValidationError(
            _(
                "This unified social credit code has characters that are not allowed "
                "(digits and upper-case letters except I, O, S, V and Z)."
            ),
            code="uscc_format",
        ) from None
    except stdnum_exceptions.InvalidComponent:
        raise ValidationError(
            _("The administrative division code or registration authority of this code is not valid."),
            code="uscc_component",
        ) from None
    except stdnum_exceptions.ValidationError:
        raise ValidationError(_("This is not a valid unified social credit code."), code="uscc_invalid") from None


def normalize_uscc(value: str) -> str:
    """Return the code without spaces or hyphens, upper-cased."""
    return uscc.compact(value or "").upper()


PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
ALLOWED_UPLOAD_TYPES = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg"}


ACCOUNT_NUMBER_SEPARATORS = re.compile(r"[\s-]+")


def normalize_account_number(value: str) -> str:
    """Return the account number without spaces or hyphens, in capitals."""
    return ACCOUNT_NUMBER_SEPARATORS.sub("", value or "").upper()


def validate_account_number(value: str) -> None:
    """Validate a bank account number: 8 to 34 digits or capital letters (IBAN-like), at least 8 digits.

    A Chinese account number is 8 to 30 digits; other currencies' accounts may be IBANs.
    Spaces and hyphens between groups are allowed and dropped.
    """
    compact = normalize_account_number(value)
    if not compact:
        raise ValidationError(_("Enter the account number."), code="required")
    if not re.fullmatch(r"[0-9A-Z]+", compact):
        raise ValidationError(_("An account number has only digits and letters (spaces and hyphens between "
                                "groups are allowed)."), code="account_number_characters")
    if not 8 <= len(compact) <= 34 or sum(c.isdigit() for c in compact) < 8:
        raise ValidationError(_("An account number has 8 to 34 characters, at least 8 of them digits; this one "
                                "has %(count)d."), code="account_number_length", params={"count": len(compact)})


def sniff_content_type(head: bytes) -> str | None:
    """Return the type that the file's first bytes declare, or None."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    return None


def inspect_upload(uploaded_file, *, max_bytes: int | None = None) -> tuple[str, str, int]:
    """Check an upload by its content; return (content_type, sha256, size) or raise ValidationError.

    `max_bytes` defaults to the KYC limit; case attachments pass their own.
    """
    size = uploaded_file.size
    limit = settings.KYC_UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    if size > limit:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s."),
            code="file_too_large",
            params={"size": filesizeformat(size), "limit": filesizeformat(limit)},
        )
    if size == 0:
        raise ValidationError(_("The file is empty."), code="file_empty")
    uploaded_file.seek(0)
    data = uploaded_file.read()
    uploaded_file.seek(0)
    content_type = sniff_content_type(data[:16])
    if content_type is None:
        raise ValidationError(
            _("Only PDF, PNG and JPEG files are accepted; this file's content is none of them."),
            code="file_type",
        )
    if content_type == PDF:
        if b"%%EOF" not in data[-2048:]:
            raise ValidationError(_("This PDF is truncated or damaged."), code="file_damaged")
    else:
        from PIL import Image

        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
        except Exception:  # Pillow raises many kinds for a broken image
            raise ValidationError(_("This image is damaged or not really an image."), code="file_damaged") from None
    return content_type, hashlib.sha256(data).hexdigest(), size


@cache
def time_zone_names() -> tuple[str, ...]:
    """The IANA time zone names this machine knows, sorted (the choices of a person's time zone)."""
    return tuple(sorted(name for name in zoneinfo.available_timezones() if "/" in name and not name.startswith("Etc/")))


def validate_time_zone(value: str) -> None:
    """Accept an IANA time zone name such as "Asia/Shanghai" or "Europe/London"."""
    if value and value not in time_zone_names():
        raise ValidationError(_("“%(zone)s” is not a time zone; choose one such as Asia/Shanghai."),
                              code="time_zone", params={"zone": value})
