from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView

from documents import views as documents_views
from scf.api.docs import SwaggerUIView
from scf.portal import health, login, second_factor

urlpatterns = [
    path("", include("scf.portal.urls")),
    path("collections/", include("scf.collections.urls")),
    path("documents/", include("documents.urls")),
    path("releases/", include("scf.releases.urls")),
    # The Suspense page's address before it moved to collections, for bookmarks.
    path("factoring/suspense/", login_required(RedirectView.as_view(pattern_name="collections:suspense",
                                                                    permanent=True))),
    path("factoring/", include("workflows.factoring.urls")),
    path("pledge/", include("workflows.pledge.urls")),
    path("confirming/", include("workflows.confirming.urls")),
    path("inbox/", include("workflows.inbox.urls")),
    path("verify/", documents_views.verify, name="verify"),
    path("health/", health.health, name="health"),
    path("accounts/login/", login.LoginView.as_view(), name="login"),
    path("accounts/second-factor/", second_factor.verify, name="second-factor"),
    path("accounts/second-factor/enrol/", second_factor.enrol, name="second-factor-enrol"),
    path("accounts/second-factor/recovery-codes/", second_factor.recovery_codes, name="second-factor-recovery-codes"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", login.set_language, name="set_language"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("scf.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerUIView.as_view(url_name="schema"), name="swagger-ui"),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
