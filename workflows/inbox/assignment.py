"""Who may act on a task: a staff permission within one lender, or a role in one organization.

Every task names an organization as its permission object. A staff task carries a Django
permission (`inbox.decide_as_credit_officer`, ...) and the lender: staff with that permission
who belong to that lender find it. A client's task carries one of the markers below and the
client: a member with that role finds it. Nobody else does.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from scf.parties.models import Membership, Organization, User

OPERATE_FOR = "inbox.operate_for_organization"
SIGN_FOR = "inbox.sign_for_organization"

ROLES_FOR_MARKER = {
    OPERATE_FOR: (Membership.Role.OPERATOR, Membership.Role.ADMIN),
    SIGN_FOR: (Membership.Role.SIGNATORY,),
}


def organization_of(attribute: str) -> Callable:
    """Return a callable giving the process's organization in `attribute` (for `.Permission(obj=...)`)."""

    def getter(process) -> Organization:
        return getattr(process.coerced if hasattr(process, "coerced") else process, attribute)

    return getter


def _organization_ct_id() -> int:
    return ContentType.objects.get_for_model(Organization).pk


def actor_q(user: User, prefix: str = "") -> Q:
    """Return a filter on tasks the user may act on (two queries at most to build, none per task)."""
    q = Q(**{f"{prefix}owner": user})
    memberships = list(Membership.objects.filter(user=user).values_list("organization_id", "role",
                                                                        "organization__is_lender"))
    staff_permissions = sorted(p for p in user.get_all_permissions() if p.startswith("inbox."))
    lenders = sorted({str(org) for org, _role, is_lender in memberships if is_lender})
    if staff_permissions and lenders:
        q |= Q(**{f"{prefix}owner_permission__in": staff_permissions,
                  f"{prefix}owner_permission_content_type_id": _organization_ct_id(),
                  f"{prefix}owner_permission_obj_pk__in": lenders})
    for marker, roles in ROLES_FOR_MARKER.items():
        pks = sorted({str(org) for org, role, _lender in memberships if role in roles})
        if pks:
            q |= Q(**{f"{prefix}owner_permission": marker,
                      f"{prefix}owner_permission_content_type_id": _organization_ct_id(),
                      f"{prefix}owner_permission_obj_pk__in": pks})
    return q


def can_act(user: User, task, *, as_assignee: bool = True) -> bool:
    """Return whether the user may act on this task.

    With `as_assignee=False` the person the task was assigned to is ignored: whether the user is
    one of those the task was meant for (to tell them a done task is done, say).
    """
    if as_assignee and task.owner_id is not None:
        return task.owner_id == user.pk
    if task.owner_permission in ROLES_FOR_MARKER:
        return Membership.objects.filter(
            user=user, organization_id=task.owner_permission_obj_pk, role__in=ROLES_FOR_MARKER[task.owner_permission],
        ).exists()
    return (bool(task.owner_permission) and user.has_perm(task.owner_permission)
            and Membership.objects.filter(user=user, organization_id=task.owner_permission_obj_pk,
                                          organization__is_lender=True).exists())
