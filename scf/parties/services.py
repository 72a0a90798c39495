"""Writes for parties: organizations, memberships and KYC."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from scf.audit.services import audit_record, audited
from scf.core.exceptions import ActionNotPermitted, IllegalTransition

from .exceptions import KycFourEyes, KycIncomplete, KycNotVerified
from .models import KycDocument, LenderClient, Membership, Organization, User
from .selectors import user_has_role, user_lender_ids
from .tasks import kyc_notify
from .validators import inspect_upload, normalize_uscc


@audited
def organization_create(*, legal_name: str, uscc: str, roles: list[str], acting_user: User | None,
                        legal_name_en: str = "", registered_address: str = "",
                        legal_representative: str = "", preferred_language: str = "zh-hans") -> Organization:
    """Register an organization after validating its credit code and roles."""
    if not roles:
        raise ValidationError({"roles": _("Choose at least one role.")}, code="required")
    organization = Organization(
        legal_name=legal_name.strip(),
        legal_name_en=legal_name_en.strip(),
        uscc=normalize_uscc(uscc),
        registered_address=registered_address,
        legal_representative=legal_representative,
        preferred_language=preferred_language,
    )
    for role in roles:
        if role not in Organization.Role.values:
            raise ValidationError({"roles": _("Unknown role: %(role)s.") % {"role": role}}, code="invalid")
        setattr(organization, Organization.role_field(role), True)
    organization.full_clean(exclude=["kyc_state"])
    organization.save()
    audit_record(action="parties.organization.create", target=organization, actor=acting_user)
    if acting_user is not None:
        # Onboarded by a lender's staff: the organization is that lender's client.
        for lender in Organization.objects.filter(pk__in=user_lender_ids(acting_user)):
            lender_client_add(lender=lender, organization=organization, source=LenderClient.Source.ONBOARDED,
                              acting_user=acting_user)
    return organization


def lender_client_add(*, lender: Organization, organization: Organization, source: str,
                      acting_user: User | None) -> LenderClient | None:
    """Make the organization known to the lender (idempotent); its staff see it and its KYC files from now on.

    Called when the lender's staff onboard the organization, when a facility is proposed to it, and when
    it asks the lender for a facility. Returns None for the lender itself.
    """
    if lender.pk == organization.pk:
        return None
    if not lender.is_lender:
        raise ValidationError({"lender": _("%(org)s is not a lender.") % {"org": lender}})
    client, created = LenderClient.objects.get_or_create(lender=lender, organization=organization,
                                                         defaults={"source": source})
    if created:
        # Recorded on the relationship, not on the organization: another lender reading the
        # organization's history must not learn whose client it also is.
        audit_record(action="parties.lender_client.add", target=client, actor=acting_user, note=source)
    return client


@audited
def membership_grant(*, user: User, organization: Organization, role: str, acting_user: User | None) -> Membership:
    """Give a user a role in an organization (idempotent)."""
    membership, created = Membership.objects.get_or_create(user=user, organization=organization, role=role)
    if created:
        audit_record(action="parties.membership.grant", target=membership, actor=acting_user,
                     note=f"{user.get_username()} {role}")
    return membership


# Lender staff onboarding a client prepare its KYC file on its behalf with the right to review KYC;
# a second person then verifies it (kyc_verify refuses whoever submitted it).
KYC_ON_BEHALF_PERMISSION = "parties.review_kyc"


def kyc_can_prepare(user: User, organization: Organization) -> bool:
    """Whether the user may upload and submit the organization's KYC file: its administrator or operator,
    or staff with the right of a lender that has it as a client."""
    if user_has_role(user, organization, Membership.Role.ADMIN) or user_has_role(
            user, organization, Membership.Role.OPERATOR):
        return True
    if not (getattr(user, "is_authenticated", False) and user.is_lender_staff
            and user.has_perm(KYC_ON_BEHALF_PERMISSION)):
        return False
    return LenderClient.objects.filter(lender__memberships__user=user, lender__is_lender=True,
                                       organization=organization).exists()


def kyc_can_verify(user: User, organization: Organization) -> bool:
    """Whether to offer the verify button: a reviewer who is not of the organization and did not submit its file."""
    return (organization.kyc_state == Organization.KycState.SUBMITTED and user.has_perm("parties.review_kyc")
            and organization.kyc_submitted_by_id != user.pk
            and not organization.memberships.filter(user=user).exists())


def _require_kyc_preparer(user: User, organization: Organization) -> None:
    if not kyc_can_prepare(user, organization):
        raise ActionNotPermitted(_("Only an administrator or operator of %(org)s, or its lender's staff onboarding "
                                   "it, can do this.") % {"org": organization})


@audited
def kyc_document_upload(*, organization: Organization, kind: str, uploaded_file, acting_user: User) -> KycDocument:
    """Store a KYC file after checking its real content type and size."""
    _require_kyc_preparer(acting_user, organization)
    if organization.kyc_state not in (Organization.KycState.DRAFT, Organization.KycState.REJECTED,
                                      Organization.KycState.EXPIRED):
        raise IllegalTransition(_("The KYC file is under review or verified; documents cannot be added now."))
    try:
        content_type, digest, size = inspect_upload(uploaded_file)
    except ValidationError as error:
        raise ValidationError({"file": error.error_list}) from None
    document = KycDocument(
        organization=organization, kind=kind, original_name=(uploaded_file.name or "upload")[:255],
        content_type=content_type, sha256=digest, size=size, uploaded_by=acting_user,
    )
    document.full_clean(exclude=["file"])
    document.file.save(f"{digest}", uploaded_file, save=False)
    document.save()
    audit_record(action="parties.kyc_document.upload", target=organization, actor=acting_user,
                 note=f"{kind} {document.original_name} sha256={digest}")
    return document


def _notify(organization: Organization, event: str) -> None:
    kyc_notify.delay_on_commit(organization_id=organization.pk, event=event)


def _organization_lock(pk: int) -> Organization:
    return Organization.objects.select_for_update().get(pk=pk)


@audited
def kyc_submit(*, organization: Organization, acting_user: User) -> Organization:
    """Send the organization's KYC file for review, recording who sent it (never its verifier)."""
    _require_kyc_preparer(acting_user, organization)
    organization = _organization_lock(organization.pk)
    if organization.kyc_state in (Organization.KycState.DRAFT, Organization.KycState.REJECTED,
                                  Organization.KycState.EXPIRED) and not organization.has_kyc_documents():
        raise KycIncomplete()
    if not organization.kyc_documents.filter(kind__in=KYC_REQUIRED_KINDS).exists():
        raise KycIncomplete(_("Upload the business licence before submitting: a KYC file is not reviewed "
                              "without it."))
    if not can_proceed(organization.kyc_submit):
        raise IllegalTransition(_("A KYC file in state “%(state)s” cannot be submitted.")
                                % {"state": organization.get_kyc_state_display()})
    organization.kyc_submit(by=acting_user)
    organization.save()
    _notify(organization, "submitted")
    return organization


#: The documents without which a KYC file is not reviewed (营业执照).
KYC_REQUIRED_KINDS = (KycDocument.Kind.BUSINESS_LICENCE,)


def _review_guard(organization: Organization, method, user: User) -> None:
    if not can_proceed(method):
        raise IllegalTransition(_("A KYC file in state “%(state)s” cannot be reviewed.")
                                % {"state": organization.get_kyc_state_display()})
    if not has_transition_perm(method, user):
        raise ActionNotPermitted(_("Only lender staff allowed to review KYC can do this."))
    if organization.memberships.filter(user=user).exists():
        raise ActionNotPermitted(_("You cannot review the KYC of your own organization."))


@audited
def kyc_verify(*, organization: Organization, acting_user: User, note: str = "",
               expires_on: datetime.date | None = None) -> Organization:
    """Accept the KYC file, by someone else than who submitted it; it expires after the validity period."""
    organization = _organization_lock(organization.pk)
    _review_guard(organization, organization.kyc_verify, acting_user)
    if organization.kyc_submitted_by_id is not None and organization.kyc_submitted_by_id == acting_user.pk:
        raise KycFourEyes(_("You submitted the KYC file of %(org)s; a second person must verify it.")
                          % {"org": organization.legal_name})
    today = timezone.localdate()
    longest = today + datetime.timedelta(days=settings.KYC_VALIDITY_DAYS)
    expires_on = expires_on or longest
    if expires_on <= today:
        raise ValidationError({"expires_on": _("The expiry date must be after today.")}, code="invalid")
    if expires_on > longest:
        raise ValidationError({"expires_on": _("A KYC review holds for %(days)s days at most: the expiry date can be "
                                               "%(date)s at the latest.") % {"days": settings.KYC_VALIDITY_DAYS,
                                                                             "date": longest.isoformat()}},
                              code="invalid")
    organization.kyc_verify(by=acting_user, note=note, expires_on=expires_on)
    organization.kyc_verified_at = timezone.now()
    organization.save()
    _notify(organization, "decided")
    return organization


@audited
def kyc_reject(*, organization: Organization, acting_user: User, note: str) -> Organization:
    """Reject the KYC file; the reason is required."""
    if not (note or "").strip():
        raise ValidationError({"note": _("Give the reason for rejecting.")}, code="required")
    organization = _organization_lock(organization.pk)
    _review_guard(organization, organization.kyc_reject, acting_user)
    organization.kyc_reject(by=acting_user, note=note.strip())
    organization.save()
    _notify(organization, "decided")
    return organization


def kyc_refusal(organization: Organization, *, on: datetime.date | None = None) -> str | None:
    """Return why `organization` cannot be financed on `on` for its KYC, or None when it is verified.

    A verified KYC counts until its expiry date, inclusive, even before the daily job marks it expired.
    """
    on = on or timezone.localdate()
    state = organization.kyc_state
    expires_on = organization.kyc_expires_on
    if state == Organization.KycState.VERIFIED and (expires_on is None or on <= expires_on):
        return None
    if expires_on is not None and state in (Organization.KycState.VERIFIED, Organization.KycState.EXPIRED):
        return _("%(org)s cannot be financed: its KYC expired on %(date)s.") % {
            "org": organization.legal_name, "date": expires_on.isoformat()}
    return _("%(org)s cannot be financed: its KYC is %(state)s, not verified.") % {
        "org": organization.legal_name, "state": str(organization.get_kyc_state_display()).lower()}


def kyc_require_verified(organization: Organization, *, on: datetime.date | None = None) -> None:
    """Refuse (KycNotVerified, 409) unless the organization's KYC is verified and not expired on `on`.

    The one KYC gate: facilities, financing requests, approvals and disbursements all call it.
    """
    refusal = kyc_refusal(organization, on=on)
    if refusal is not None:
        raise KycNotVerified(refusal, organization=organization.pk, kyc_state=organization.kyc_state,
                             kyc_expires_on=organization.kyc_expires_on)


def kyc_expire_due(*, today: datetime.date | None = None) -> int:
    """Expire every verified KYC whose expiry date has passed; return how many (idempotent)."""
    today = today or timezone.localdate()
    expired = 0
    for pk in Organization.objects.filter(kyc_state=Organization.KycState.VERIFIED,
                                          kyc_expires_on__lt=today).values_list("pk", flat=True):
        with transaction.atomic():
            organization = _organization_lock(pk)
            if organization.kyc_state == Organization.KycState.VERIFIED and organization.kyc_expires_on < today:
                organization.kyc_expire(note=f"expired on {organization.kyc_expires_on}")
                organization.save()
                expired += 1
    return expired
