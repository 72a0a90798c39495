"""Which releases a user sees and may decide."""

from __future__ import annotations

from django.db.models import QuerySet

from scf.core.tenancy import rule
from scf.parties.models import User
from scf.parties.permissions import staff_may
from scf.parties.selectors import user_lender_ids

from . import registry
from .models import Release


@rule(Release)
def releases_visible(user: User) -> QuerySet[Release]:
    """The lender's staff see its releases; superusers see all; clients see none."""
    if user.is_superuser:
        return Release.objects.all()
    return Release.objects.filter(lender_id__in=user_lender_ids(user))


def may_release(user: User, release: Release) -> bool:
    """Whether the user holds the right the action needs, within the release's lender (four eyes aside)."""
    return staff_may(user, registry.action(release.action).permission, release.lender_id)


def can_see_releases(user: User) -> bool:
    """The menu entry: staff holding the right of at least one action that can be released."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return user.is_lender_staff and any(user.has_perm(a.permission) for a in registry.actions())


def releases_pending_for(case, user: User, *, actions: tuple[str, ...] = ()) -> list[Release]:
    """The releases waiting on a case (a financing...) that the user sees, oldest first (none for clients)."""
    from django.contrib.contenttypes.models import ContentType

    if not getattr(user, "is_authenticated", False) or not (user.is_superuser or user.is_lender_staff):
        return []
    queryset = releases_visible(user).filter(case_type=ContentType.objects.get_for_model(case), case_id=case.pk,
                                      status=Release.Status.PENDING)
    if actions:
        queryset = queryset.filter(action__in=actions)
    releases = list(queryset.select_related("prepared_by").order_by("prepared_at", "pk"))
    for release in releases:
        release.label = registry.action(release.action).label
    return releases
