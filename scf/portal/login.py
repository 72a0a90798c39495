"""Signing in: the portal then speaks the language the person chose in their profile."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.utils import translation


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
        response = super().form_valid(form)
        language = getattr(form.get_user(), "preferred_language", "")
        if language in dict(settings.LANGUAGES):
            translation.activate(language)
            set_language_cookie(response, language)
        return response
