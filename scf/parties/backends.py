"""Django's model authentication, with a person's permissions read in one statement instead of two."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


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
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename
                                    in permissions.values_list("content_type__app_label", "codename")}
        return user_obj._perm_cache
