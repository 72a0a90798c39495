"""Django's model authentication, with a person's permissions read in one statement instead of two."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db.models import F, Q, Value


class ModelBackendOneRead(ModelBackend):
    """Django's `ModelBackend`: passwords and active users as it checks them; permissions read in one statement.

    Django reads a person's own permissions and their groups' in two statements the first time a request asks
    `has_perm`; every request that checks one (a release, a decision, most pages) pays both. Here one read returns
    both, kept on the user for the request as Django keeps them. The per-source answers (`get_user_permissions`,
    `get_group_permissions`) stay Django's.
    """

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            groups_and_permissions_read(user_obj)
        return user_obj._perm_cache


def groups_and_permissions_read(user) -> None:
    """Read what is not kept yet of a person's lender staff groups and (active) permissions, in one statement.

    Kept on the user for the request: `_staff_groups` (`User.staff_groups`) and Django's `_perm_cache` (all the
    permissions, their own and their groups', as `ModelBackend` reads them in two statements). A lender's staff
    click often asks both (a release: the releaser's group and right).
    """
    from .models import StaffGroup

    parts = []
    if not hasattr(user, "_staff_groups"):
        parts.append(Group.objects.filter(user=user, name__in=StaffGroup.values)
                     .annotate(part=Value("group"), first=F("name"), second=Value("")))
    with_permissions = user.is_active and not user.is_anonymous and not hasattr(user, "_perm_cache")
    if with_permissions:
        permissions = Permission.objects.all()
        if not user.is_superuser:
            permissions = permissions.filter(Q(user=user) | Q(group__user=user))
        parts.append(permissions.annotate(part=Value("permission"), first=F("content_type__app_label"),
                                          second=F("codename")))
    if not parts:
        return
    rows = [part.order_by().values_list("part", "first", "second") for part in parts]
    groups, granted = set(), set()
    for part, first, second in rows[0].union(*rows[1:], all=True) if len(rows) > 1 else rows[0]:
        if part == "group":
            groups.add(first)
        else:
            granted.add(f"{first}.{second}")
    if not hasattr(user, "_staff_groups"):
        user._staff_groups = groups
    if with_permissions:
        user._perm_cache = granted
