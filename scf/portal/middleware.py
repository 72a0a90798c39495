"""Keep a signed-in user who must enter a second factor on the second-factor pages until they have."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from scf.parties.second_factor import sign_in_requires

# Remembered per session for users who need no code, so that their pages cost no extra query.
NOT_NEEDED = "second_factor_not_needed"


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not user.is_verified()
                and not request.session.get(NOT_NEEDED) and not self._exempt(request.path)):
            if sign_in_requires(user):
                if request.path.startswith("/api/"):
                    return JsonResponse({"code": "second_factor_required",
                                         "detail": _("Finish signing in with your second factor first.")},
                                        status=403)
                target = reverse("second-factor")
                if request.method == "GET":
                    target += "?" + urlencode({"next": request.get_full_path()})
                return redirect(target)
            request.session[NOT_NEEDED] = True
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        return path.startswith((reverse("second-factor"), reverse("logout"), "/i18n/", "/jsi18n/",
                                settings.STATIC_URL))
