"""Signing in: the portal then speaks the language the person chose in their profile.

The header's language menu is the other way to choose it: signed in, the choice is saved to the profile (so the
next sign-in keeps it); on the login page, before anyone is known, it is remembered for the visit and saved to the
profile of whoever then signs in.
"""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

CHOSEN_LANGUAGE_SESSION_KEY = "portal_chosen_language"


def set_language_cookie(response, language: str) -> None:
    """Set the cookie LocaleMiddleware reads, as Django's set_language view does."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language,
        max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN, secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class LoginView(auth_views.LoginView):
    """Django's login page; on success the user's preferred language becomes the portal's.

    The language menu in the header still switches it for the rest of the visit.
    """

    redirect_authenticated_user = True

    def form_valid(self, form):
        chosen = self.request.session.get(CHOSEN_LANGUAGE_SESSION_KEY, "")
        user = form.get_user()
        if chosen in dict(settings.LANGUAGES) and chosen != user.preferred_language:
            # Picked on the login page just now: that is this person's choice, kept for next time too.
            user.preferred_language = chosen
            user.save(update_fields=["preferred_language"])
        response = super().form_valid(form)
        self.request.session.pop(CHOSEN_LANGUAGE_SESSION_KEY, None)
        language = getattr(user, "preferred_language", "")
        if language in dict(settings.LANGUAGES):
            translation.activate(language)
            set_language_cookie(response, language)
        return response


@require_POST
def set_language(request):
    """Django's set_language, and the choice kept: in the profile when signed in, in the visit otherwise."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return response
    user = request.user
    if user.is_authenticated:
        if user.preferred_language != language:
            user.preferred_language = language
            user.save(update_fields=["preferred_language"])
    else:
        request.session[CHOSEN_LANGUAGE_SESSION_KEY] = language
    return response
