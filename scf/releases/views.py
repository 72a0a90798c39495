"""The Releases page: movements of money prepared by one person, for a second to release or reject."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from scf.core.exceptions import DomainError
from scf.core.tenancy import get_visible_or_404, visible
from scf.parties.second_factor import confirmed_device, second_factor_failure_note

from . import registry
from .models import Release
from .selectors import can_see_releases, may_release
from .services import release_approve, release_reject, release_withdraw


def _rows(releases, user) -> list[Release]:
    for release in releases:
        action = registry.action(release.action)
        release.label = action.label
        release.details = action.details(release)
        release.mine = release.prepared_by_id == user.pk
        release.may_decide = not release.mine and may_release(user, release)
    return releases


def _asks_code(user) -> bool:
    return confirmed_device(user) is not None


@login_required
def release_list(request):
    if not can_see_releases(request.user):
        raise Http404
    releases = visible(Release, request.user).select_related("prepared_by", "decided_by", "lender")
    pending = _rows(list(releases.filter(status=Release.Status.PENDING).order_by("prepared_at", "pk")), request.user)
    decided = _rows(list(releases.exclude(status=Release.Status.PENDING).order_by("-decided_at", "-pk")[:30]),
                    request.user)
    return render(request, "releases/list.html", {"pending": pending, "decided": decided,
                                                  "asks_code": _asks_code(request.user)})


@login_required
@require_POST
def release_decide(request, release_pk: int, verb: str):
    release = get_visible_or_404(Release, request.user, pk=release_pk)
    action = registry.action(release.action)
    try:
        if verb == "release":
            release_approve(release=release, acting_user=request.user, otp_code=request.POST.get("otp_code"))
            messages.success(request, _("%(what)s %(ref)s released.") % {"what": action.label,
                                                                       "ref": release.reference})
        elif verb == "reject":
            release_reject(release=release, acting_user=request.user, comment=request.POST.get("comment", ""))
            messages.success(request, _("%(what)s %(ref)s rejected: nothing was posted.")
                             % {"what": action.label, "ref": release.reference})
        else:
            release_withdraw(release=release, acting_user=request.user)
            messages.success(request, _("%(what)s %(ref)s withdrawn.") % {"what": action.label,
                                                                        "ref": release.reference})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _again(request, 400)
    except DomainError as error:
        second_factor_failure_note(user=request.user, error=error)
        messages.error(request, error.message)
        return _again(request, error.http_status)
    return redirect("releases:list")


def _again(request, status: int):
    """Show the list again with the refusal, under the refusal's status (nothing changed)."""
    response = release_list(request)
    response.status_code = status
    return response
