"""Who a user is to an organization: the generic checks every product's predicates are made of.

A product's `permissions.py` answers one question per action, `can_<verb>(user, obj)`, built
from these; the view calls it to show the button, the service to refuse, the flow to assign.
Each check is one query on the memberships, never cached beyond one unit of work: a role taken away
counts from the next action on.
"""

from __future__ import annotations

from django.db.models import BooleanField, Case, Q, QuerySet, When
from django.utils.translation import gettext as _

from scf.audit.services import unit_of_work_memo
from scf.core.exceptions import ActionNotPermitted

from .exceptions import FourEyesViolation
from .models import Membership, Organization, User
from .second_factor import has_device_subquery

OPERATOR_ROLES = (Membership.Role.OPERATOR, Membership.Role.ADMIN)


def _pk(organization: Organization | int | None) -> int | None:
    return organization if organization is None or isinstance(organization, int) else organization.pk


def _memberships(user: User, organization: Organization | int | None):
    if not getattr(user, "is_authenticated", False) or organization is None:
        return Membership.objects.none()
    return Membership.objects.filter(user=user, organization_id=_pk(organization))


def is_member(user: User, organization: Organization | int | None) -> bool:
    """Whether the user holds any role in the organization.

    Asked once per unit of work (a service and the services it calls, in one transaction): the four-eyes rule, the
    release right and the service's own permission each ask it of the same person. A membership saved or deleted
    within the unit forgets what was asked (`memberships_changed`).
    """
    memo = unit_of_work_memo()
    if memo is None or not getattr(user, "is_authenticated", False):
        return _memberships(user, organization).exists()
    key = ("is_member", user.pk, _pk(organization))
    if key not in memo:
        memo[key] = _memberships(user, organization).exists()
    return memo[key]


def memberships_changed(sender, **kwargs) -> None:
    """A membership was saved or deleted: the unit of work running asks again (post_save, post_delete)."""
    memo = unit_of_work_memo()
    if memo is not None:
        for key in [key for key in memo if key[0] == "is_member"]:
            del memo[key]


def is_member_of_any(user: User, organizations) -> Organization | None:
    """Return the first of `organizations` (objects, ids, or a queryset of them) the user belongs to, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not isinstance(organizations, QuerySet):
        organizations = [_pk(o) for o in organizations if o is not None]
    membership = (Membership.objects.filter(user=user, organization__in=organizations).select_related("organization")
                  .order_by("organization_id").first())
    return membership.organization if membership is not None else None


def has_role(user: User, organization: Organization | int | None, *roles: str) -> bool:
    """Whether the user holds one of `roles` in the organization."""
    return _memberships(user, organization).filter(role__in=roles).exists()


def is_operator(user: User, organization: Organization | int | None) -> bool:
    """Whether the user works the organization's business: an operator or an administrator of it."""
    return has_role(user, organization, *OPERATOR_ROLES)


def is_signatory(user: User, organization: Organization | int | None) -> bool:
    return has_role(user, organization, Membership.Role.SIGNATORY)


def is_staff_of(user: User, lender: Organization | int | None) -> bool:
    """Whether the user is on the staff of this lender (a superuser is on every lender's)."""
    if getattr(user, "is_superuser", False):
        return True
    return bool(getattr(user, "is_authenticated", False) and user.is_lender_staff and is_member(user, lender))


def staff_may(user: User, permission: str, lender: Organization | int | None) -> bool:
    """Whether the user holds the staff permission (e.g. `inbox.disburse`) within this lender.

    The flows assign lender tasks by the same permission and lender (see `workflows.inbox.assignment`).
    """
    if getattr(user, "is_superuser", False):
        return True
    return is_staff_of(user, lender) and user.has_perm(permission)


def four_eyes_require(user: User, *, preparer_id: int | None, organizations, lender: Organization | int | None,
                      prepared: str, applicant: Organization | None = None) -> None:
    """Refuse a decider who prepared the work, or belongs to one of its parties, or not to the lender's staff.

    The approval routing and the release of money share this rule: `prepared` is the refusal for
    the preparer ("You prepared this case; ..."); `organizations` are the parties (objects, ids or
    a queryset), `applicant` the one among them named as such in the refusal.
    """
    if preparer_id is not None and user.pk == preparer_id:
        raise FourEyesViolation(prepared)
    party = _party_and_lender_membership(user, organizations, lender)
    if party is not None and applicant is not None and party.pk == applicant.pk:
        raise FourEyesViolation(_("You are a member of the applicant, %(org)s.") % {"org": applicant})
    if party is not None:
        raise FourEyesViolation(_("You are a member of %(org)s, a party to this case.") % {"org": party})
    if lender is not None and not is_staff_of(user, lender):
        raise ActionNotPermitted(_("Only the staff of %(lender)s decide its cases.")
                                 % {"lender": lender if isinstance(lender, Organization) else
                                    Organization.objects.get(pk=lender)})


def _party_and_lender_membership(user: User, organizations, lender: Organization | int | None) -> Organization | None:
    """Return the first party the user belongs to (as `is_member_of_any`), asking in the same statement whether the
    user belongs to the lender and has an authenticator app, which the unit of work then remembers for `is_member`
    (the release right asks it) and for the second factor's recheck."""
    memo = unit_of_work_memo()
    if memo is None or lender is None or not getattr(user, "is_authenticated", False):
        return is_member_of_any(user, organizations)
    if not isinstance(organizations, QuerySet):
        organizations = [_pk(o) for o in organizations if o is not None]
    lender_pk = _pk(lender)
    party = None
    memberships = (Membership.objects.filter(Q(organization__in=organizations) | Q(organization_id=lender_pk), user=user)
                   .annotate(party=Case(When(organization__in=organizations, then=True), default=False,
                                        output_field=BooleanField()), has_device=has_device_subquery())
                   .select_related("organization").order_by("organization_id"))
    memo[("is_member", user.pk, lender_pk)] = False
    for membership in memberships:
        memo[("has_device", user.pk)] = membership.has_device  # the second factor's recheck reads it from here
        if membership.organization_id == lender_pk:
            memo[("is_member", user.pk, lender_pk)] = True
        if membership.party and party is None:
            party = membership.organization
    return party


def require(allowed: bool, message: str | None = None) -> None:
    """Refuse the action (403) unless `allowed`."""
    if not allowed:
        raise ActionNotPermitted(message or _("You are not allowed to perform this action."))
