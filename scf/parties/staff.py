"""A lender's staff, managed by the lender's own administrators in the portal.

A lender's staff are the people who are members of the lender's organization and of no other
organization, and who are not platform superusers: a lender administrator never reaches another
lender's users, a client's users or a superuser, even when one of them also holds a membership in
the lender (their groups are global to the user, so changing them would act on the other side too).
Anything else answers "not found" (`staff_member_get` raises Http404).

Every change locks the lender's row first, so that two administrators acting at once cannot leave
the lender without an active administrator between them.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from scf.audit.services import audit_record, audited
from scf.core.exceptions import ActionNotPermitted, DomainError

from .models import Membership, Organization, StaffGroup, User
from .permissions import is_member
from .second_factor import second_factor_reset
from .selectors import user_lender_ids


class StaffChangeRefused(DomainError):
    """The change would lock the lender out (its last administrator) or act on oneself."""

    code = "staff_change_refused"
    http_status = 409
    default_message = gettext_lazy("This change to the staff is not allowed.")


# --- who ------------------------------------------------------------------------------------------

def administered_lender(user: User) -> Organization | None:
    """Return the lender whose staff and approval matrix the user administers, or None.

    Only a lender administrator (the lender-admin staff group, a member of the lender) has one;
    a platform superuser works in the back office instead.
    """
    if not getattr(user, "is_authenticated", False) or user.is_superuser:
        return None
    if StaffGroup.ADMIN not in user.staff_groups():
        return None
    lender_ids = sorted(user_lender_ids(user))
    return Organization.objects.get(pk=lender_ids[0]) if lender_ids else None


def staff_lender(user: User) -> Organization | None:
    """Return the lender the user is on the staff of (any staff group), or None."""
    if not getattr(user, "is_authenticated", False) or user.is_superuser:
        return None
    lender_ids = sorted(user_lender_ids(user))
    return Organization.objects.get(pk=lender_ids[0]) if lender_ids else None


def can_administer(user: User, lender: Organization | None) -> bool:
    """Whether the user administers this lender: its staff, their groups and its approval matrix."""
    return (lender is not None and getattr(user, "is_authenticated", False) and user.is_active
            and not user.is_superuser and StaffGroup.ADMIN in user.staff_groups() and is_member(user, lender))


def _require_admin(user: User, lender: Organization) -> None:
    if not can_administer(user, lender):
        raise ActionNotPermitted(_("Only an administrator of %(lender)s manages its staff.") % {"lender": lender})


# --- reads ----------------------------------------------------------------------------------------

def staff_list(*, lender: Organization) -> QuerySet[User]:
    """Return the lender's staff: its members who belong to no other organization and are not superusers."""
    elsewhere = Membership.objects.filter(user=OuterRef("pk")).exclude(organization=lender)
    return (User.objects.filter(memberships__organization=lender, is_superuser=False)
            .exclude(Exists(elsewhere)).distinct().order_by("username").prefetch_related("groups"))


def staff_member_get(*, lender: Organization, pk) -> User:
    """Return one of the lender's staff, or raise Http404 (another lender's, a client's, a superuser)."""
    try:
        return staff_list(lender=lender).get(pk=pk)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such staff member.")) from None


def staff_rows(*, lender: Organization) -> list[dict]:
    """Return what the staff page shows of each member, in one pass."""
    members = list(staff_list(lender=lender))
    enrolled = set(
        User.objects.filter(pk__in=[m.pk for m in members], totpdevice__confirmed=True).values_list("pk", flat=True))
    rows = []
    for member in members:
        groups = [group.name for group in member.groups.all() if group.name in StaffGroup.values]
        rows.append({"user": member, "groups": [StaffGroup(g).label for g in _ordered(groups)],
                     "second_factor": member.pk in enrolled})
    return rows


def _ordered(groups) -> list[str]:
    return [g for g in StaffGroup.values if g in set(groups)]


def _active_admins(lender: Organization) -> QuerySet[User]:
    return staff_list(lender=lender).filter(is_active=True, groups__name=StaffGroup.ADMIN)


def _lock(lender: Organization) -> Organization:
    return Organization.objects.select_for_update().get(pk=lender.pk)


def _lock_as_admin(lender: Organization, acting_user: User) -> Organization:
    """Lock the lender, then check the acting user's standing as it is now: another administrator may have
    taken it away while this request waited for the lock."""
    _require_admin(acting_user, lender)
    lender = _lock(lender)
    fresh = User.objects.get(pk=acting_user.pk)
    _require_admin(fresh, lender)
    return lender


def _clean_groups(groups) -> list[str]:
    groups = list(groups or [])
    if set(groups) - set(StaffGroup.values):
        raise ValidationError({"groups": _("Choose among the staff groups.")}, code="invalid_choice")
    if not groups:
        raise ValidationError({"groups": _("Choose at least one staff group.")}, code="required")
    return _ordered(groups)


def _set_groups(user: User, groups: list[str]) -> None:
    # Only the staff groups change: any other group the user is in (none, today) stays.
    user.groups.remove(*Group.objects.filter(name__in=StaffGroup.values).exclude(name__in=groups))
    user.groups.add(*Group.objects.filter(name__in=groups))
    # Read again when next asked, with the permissions the groups give (they are read together).
    for kept in ("_staff_groups", "_perm_cache", "_group_perm_cache"):
        if hasattr(user, kept):
            delattr(user, kept)


# --- writes ---------------------------------------------------------------------------------------

@audited
def staff_member_create(*, lender: Organization, username: str, first_name: str, last_name: str, email: str,
                        groups: list[str], password: str, acting_user: User) -> User:
    """Add a person to the lender's staff with an initial password the administrator hands over.

    The password passes Django's password validators; the new member enrols an authenticator app
    at the first sign-in, as all staff do.
    """
    lender = _lock_as_admin(lender, acting_user)
    groups = _clean_groups(groups)
    username = (username or "").strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is taken; choose another.")}, code="unique")
    user = User(username=username, first_name=(first_name or "").strip(), last_name=(last_name or "").strip(),
                email=(email or "").strip())
    user.full_clean(exclude=["password"])
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from None
    user.set_password(password)
    user.save()
    Membership.objects.create(user=user, organization=lender, role=Membership.Role.OPERATOR)
    _set_groups(user, groups)
    audit_record(action="parties.staff.create", target=user, actor=acting_user,
                 note=f"{lender.pk} {username} groups={','.join(groups)}")
    return user


@audited
def staff_member_set_groups(*, lender: Organization, member: User, groups: list[str], acting_user: User) -> User:
    """Change a staff member's groups; the lender keeps at least one active administrator, and an
    administrator does not take away their own administration."""
    lender = _lock_as_admin(lender, acting_user)
    member = staff_member_get(lender=lender, pk=member.pk)
    groups = _clean_groups(groups)
    before = _ordered(member.staff_groups())
    if StaffGroup.ADMIN in before and StaffGroup.ADMIN not in groups:
        if member.pk == acting_user.pk:
            raise StaffChangeRefused(_("You cannot remove your own administrator group; ask another "
                                       "administrator."))
        if member.is_active and not _active_admins(lender).exclude(pk=member.pk).exists():
            raise StaffChangeRefused(_("%(name)s is the last active administrator of %(lender)s; make someone "
                                       "else an administrator first.")
                                     % {"name": member.get_full_name() or member.username, "lender": lender})
    _set_groups(member, groups)
    audit_record(action="parties.staff.groups", target=member, actor=acting_user,
                 note=f"{','.join(before)} -> {','.join(groups)}")
    return member


@audited
def staff_member_deactivate(*, lender: Organization, member: User, acting_user: User) -> User:
    """Stop a staff member from signing in (sessions and API tokens stop working); never oneself, never the
    lender's last active administrator."""
    lender = _lock_as_admin(lender, acting_user)
    member = staff_member_get(lender=lender, pk=member.pk)
    if member.pk == acting_user.pk:
        raise StaffChangeRefused(_("You cannot deactivate yourself; ask another administrator."))
    if not member.is_active:
        return member
    if StaffGroup.ADMIN in member.staff_groups() and not _active_admins(lender).exclude(pk=member.pk).exists():
        raise StaffChangeRefused(_("%(name)s is the last active administrator of %(lender)s; make someone else "
                                   "an administrator first.")
                                 % {"name": member.get_full_name() or member.username, "lender": lender})
    member.is_active = False
    member.save(update_fields=["is_active"])
    audit_record(action="parties.staff.deactivate", target=member, actor=acting_user)
    return member


@audited
def staff_member_reactivate(*, lender: Organization, member: User, acting_user: User) -> User:
    """Let a deactivated staff member sign in again."""
    lender = _lock_as_admin(lender, acting_user)
    member = staff_member_get(lender=lender, pk=member.pk)
    if member.is_active:
        return member
    member.is_active = True
    member.save(update_fields=["is_active"])
    audit_record(action="parties.staff.reactivate", target=member, actor=acting_user)
    return member


@audited
def staff_member_second_factor_reset(*, lender: Organization, member: User, acting_user: User) -> tuple[int, int]:
    """Remove a staff member's authenticator app and recovery codes (a lost phone): the next sign-in enrols a
    new app. Not one's own: another administrator does it, as `manage.py second_factor_reset` would."""
    lender = _lock_as_admin(lender, acting_user)
    member = staff_member_get(lender=lender, pk=member.pk)
    if member.pk == acting_user.pk:
        raise StaffChangeRefused(_("You cannot reset your own second factor; ask another administrator."))
    if not TOTPDevice.objects.filter(user=member).exists() and not member.recovery_codes.exists():
        raise StaffChangeRefused(_("%(name)s has no authenticator app to reset.")
                                 % {"name": member.get_full_name() or member.username})
    return second_factor_reset(user=member, acting_user=acting_user)
