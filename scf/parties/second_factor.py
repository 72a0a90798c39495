"""The second factor: a TOTP authenticator app (django-otp), with one-time recovery codes.

Who must use one: lender staff and platform superusers always; a client's signatory when a lender
that granted a facility to one of the signatory's organizations, or on it as the anchor, asks for
it (`Organization.signatories_use_second_factor`); and anyone who enrolled a device anyway.

Signing in is the password (Django's login form, throttled by django-axes) and then a code: a
wrong code is an axes failure of the same username and address, so the password and the code
share one throttle, and the username's failures are cleared only when the code is right. The
device's own back-off (django-otp doubles the wait after each wrong code) holds everywhere else.

Signing a document and releasing money ask for a fresh code from the app again
(`second_factor_recheck`); a code is accepted once (django-otp keeps the last time step used),
so one code signs every document of one click, on the user object of that request, and no more.
Recovery codes are random, shown once, kept as SHA-256 only, and each works once, at sign-in only.
"""

from __future__ import annotations

import hashlib
import secrets
from base64 import b32encode
from binascii import unhexlify

import qrcode
import qrcode.image.svg
from axes.utils import reset as axes_reset
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from scf.audit.services import audit_record, unit_of_work_memo
from scf.core.exceptions import DomainError

from .models import Membership, Organization, RecoveryCode, User

RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class SecondFactorRequired(DomainError):
    code = "second_factor_required"
    http_status = 403
    default_message = _("Enter the 6-digit code from your authenticator app; nothing was done.")


class WrongSecondFactor(DomainError):
    code = "second_factor_invalid"
    http_status = 403
    default_message = _("The code from the authenticator app is not correct (or was already used); "
                        "nothing was done.")


SECOND_FACTOR_ERRORS = (SecondFactorRequired.code, WrongSecondFactor.code)


# --- who ----------------------------------------------------------------------------------------

def policy_requires(user: User) -> bool:
    """Return whether the user must sign in with a second factor by role or by a lender's policy."""
    if user.is_superuser or user.is_lender_staff:
        return True
    signatory_of = Membership.objects.filter(user=user, role=Membership.Role.SIGNATORY).values("organization_id")
    # The lenders that granted a facility to, or on, an organization the user signs for (the borrower, or the
    # anchor who signs notices and confirmations), and a lender the user signs for itself.
    return Organization.objects.filter(
        Q(facilities_granted__obligor_id__in=signatory_of) | Q(facilities_granted__anchor_id__in=signatory_of)
        | Q(pk__in=signatory_of),
        is_lender=True, signatories_use_second_factor=True,
    ).exists()


def confirmed_device(user: User) -> TOTPDevice | None:
    """Return the user's enrolled authenticator app, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def sign_in_requires(user: User) -> bool:
    """Return whether signing in needs a code: an enrolled device always, the policy when it is switched on."""
    if confirmed_device(user) is not None:
        return True
    return bool(settings.SECOND_FACTOR_REQUIRED) and policy_requires(user)


# --- enrolment ----------------------------------------------------------------------------------

def enrolment_device(user: User) -> TOTPDevice:
    """Return the user's device being enrolled (unconfirmed), making one with a new secret if there is none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def device_secret(device: TOTPDevice) -> str:
    """Return the secret as the base-32 text an authenticator app accepts when typed in, in groups of four."""
    text = b32encode(unhexlify(device.key)).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def qr_svg(device: TOTPDevice) -> str:
    """Return the device's otpauth:// address as an SVG QR code (markup to place in the page)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return image.to_string(encoding="unicode")


@transaction.atomic
def device_confirm(*, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the device being enrolled with a first code from it; return new recovery codes (shown once)."""
    code = (code or "").strip().replace(" ", "")
    if not device.verify_token(code):
        raise WrongSecondFactor()
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(action="parties.second_factor.enrol", target=device.user, actor=device.user)
    return recovery_codes_issue(user=device.user)


@transaction.atomic
def second_factor_reset(*, user: User, acting_user: User | None) -> tuple[int, int]:
    """Remove the user's authenticator app and recovery codes (a lost phone); return how many of each.

    The user's next sign-in enrols a new app; sessions already verified stay so until they end.
    """
    devices, _ = TOTPDevice.objects.filter(user=user).delete()
    codes, _ = RecoveryCode.objects.filter(user=user).delete()
    audit_record(action="parties.second_factor.reset", target=user, actor=acting_user,
                 note=f"devices={devices} recovery_codes={codes}")
    return devices, codes


# --- recovery codes -----------------------------------------------------------------------------

def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalize(code: str) -> str:
    return "".join(c for c in (code or "").lower() if c.isalnum())


def recovery_codes_issue(*, user: User) -> list[str]:
    """Replace the user's recovery codes with new ones and return them: the only time they are readable."""
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_hash(code)) for code in codes])
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def recovery_codes_regenerate(*, user: User, code: str) -> list[str]:
    """Replace the user's recovery codes after a current code from the app; return the new ones (shown once).

    Only a code from the app counts, never a recovery code: whoever holds one old code must not turn it
    into ten. A wrong code counts against the device's back-off (django-otp saves it at once) and
    changes nothing; the old codes stop working the moment the new ones are issued.
    """
    device = confirmed_device(user)
    if device is None:
        raise SecondFactorRequired(_("Set up your authenticator app first; recovery codes come with it."))
    cleaned = (code or "").strip().replace(" ", "")
    if not cleaned:
        raise SecondFactorRequired()
    if not (cleaned.isdigit() and len(cleaned) == device.digits and device.verify_token(cleaned)):
        raise WrongSecondFactor()
    with transaction.atomic():
        codes = recovery_codes_issue(user=user)
        audit_record(action="parties.second_factor.recovery_codes_regenerate", target=user, actor=user,
                     note=f"recovery_codes={len(codes)}")
    return codes


def recovery_code_use(*, user: User, code: str) -> bool:
    """Spend one unused recovery code of the user; return whether it was one."""
    normalized = _normalize(code)
    if len(normalized) != 10:
        return False
    spent = RecoveryCode.objects.filter(user=user, code_hash=_hash(normalized), used_at__isnull=True).update(
        used_at=timezone.now())
    if spent:
        audit_record(action="parties.second_factor.recovery_code", target=user, actor=user)
    return bool(spent)


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


# --- checks -------------------------------------------------------------------------------------

def second_factor_verify(*, user: User, code: str) -> TOTPDevice | None:
    """Check a sign-in code: one from the app, or an unused recovery code. Return the device, or None if wrong."""
    device = confirmed_device(user)
    if device is None:
        return None
    cleaned = (code or "").strip().replace(" ", "")
    if cleaned.isdigit() and len(cleaned) == device.digits:
        return device if device.verify_token(cleaned) else None
    return device if recovery_code_use(user=user, code=cleaned) else None


def has_device_subquery(user_ref: str = "user") -> Exists:
    """An expression: whether the user (an OuterRef's field) has enrolled an authenticator app, for a read that asks it
    along with something else (`second_factor_recheck(..., has_device=)`)."""
    return Exists(TOTPDevice.objects.filter(user=OuterRef(user_ref), confirmed=True))


def second_factor_recheck(*, user: User, code: str | None, has_device: bool | None = None) -> None:
    """Refuse an action (signing, releasing money) unless a user with a device entered a fresh code from it.

    A user without a device is not asked. The code is remembered on this user object only, so that one
    click that signs several documents needs one code. `has_device` False says the caller has just read that the user
    has none (`has_device_subquery`): nothing more is read.
    """
    if has_device is None:  # the unit of work may have read it with the user's memberships (the four-eyes rule)
        has_device = (unit_of_work_memo() or {}).get(("has_device", getattr(user, "pk", None)))
    if has_device is False:
        return
    device = confirmed_device(user)
    if device is None:
        return
    cleaned = (code or "").strip().replace(" ", "")
    if not cleaned:
        raise SecondFactorRequired()
    if getattr(user, "_second_factor_code", None) == cleaned:
        return
    if not (cleaned.isdigit() and device.verify_token(cleaned)):
        raise WrongSecondFactor()
    user._second_factor_code = cleaned


def second_factor_failure_note(*, user: User, error: Exception) -> None:
    """After a refused action rolled back, count a wrong code against the device again (django-otp's back-off).

    The refusal undoes the service's transaction and with it the device's own count; the caller,
    outside that transaction, records it here so that guessing codes at signing or releasing slows down.
    """
    if getattr(error, "code", None) != WrongSecondFactor.code:
        return
    device = confirmed_device(user)
    if device is not None:
        device.throttle_increment(commit=True)


def throttle_reset_on_sign_in(sender, request, user, **kwargs) -> None:
    """Clear the username's failed attempts after a password alone only for users who need no code."""
    if not sign_in_requires(user):
        axes_reset(username=user.get_username())
