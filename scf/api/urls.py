from django.urls import path

from documents import api as documents_api
from scf.releases import api as releases_api
from workflows.confirming import api_urls as confirming_api_urls
from workflows.factoring import api_urls as factoring_api_urls
from workflows.pledge import api_urls as pledge_api_urls

from . import limit_changes, settlement_accounts, views

app_name = "api"

# Each product's routes, named in this namespace ("api:receivable-list"), from its own api_urls.py.
urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("organizations/", views.OrganizationListView.as_view(), name="organization-list"),
    path("organizations/<int:organization_pk>/", views.OrganizationDetailView.as_view(), name="organization-detail"),
    path("facilities/", views.FacilityListView.as_view(), name="facility-list"),
    path("facilities/<int:facility_pk>/", views.FacilityDetailView.as_view(), name="facility-detail"),
    path("facilities/<int:facility_pk>/limit-changes/", limit_changes.LimitChangeListView.as_view(),
         name="facility-limit-change-list"),
    path("limit-changes/<int:limit_change_pk>/", limit_changes.LimitChangeDetailView.as_view(),
         name="limit-change-detail"),
    *(path(f"limit-changes/<int:limit_change_pk>/{verb}/", limit_changes.LimitChangeDecideView.as_view(
        action_name=verb), name=f"limit-change-{verb}") for verb in ("approve", "reject", "cancel")),
    path("settlement-accounts/", settlement_accounts.SettlementAccountListView.as_view(),
         name="settlement-account-list"),
    path("settlement-accounts/<int:account_pk>/", settlement_accounts.SettlementAccountDetailView.as_view(),
         name="settlement-account-detail"),
    path("settlement-accounts/<int:account_pk>/verify/",
         settlement_accounts.SettlementAccountReviewView.as_view(action_name="verify"),
         name="settlement-account-verify"),
    path("settlement-accounts/<int:account_pk>/reject/",
         settlement_accounts.SettlementAccountReviewView.as_view(action_name="reject"),
         name="settlement-account-reject"),
    *factoring_api_urls.urlpatterns,
    *pledge_api_urls.urlpatterns,
    *confirming_api_urls.urlpatterns,
    path("releases/", releases_api.ReleaseListView.as_view(), name="release-list"),
    *(path(f"releases/<int:release_pk>/{verb}/", releases_api.ReleaseDecideView.as_view(verb=verb),
           name=f"release-{verb}") for verb in ("release", "reject", "withdraw")),
    path("documents/", documents_api.DocumentListView.as_view(), name="document-list"),
    path("documents/verify/", documents_api.DocumentVerifyView.as_view(), name="document-verify"),
    path("documents/<int:document_pk>/", documents_api.DocumentDetailView.as_view(), name="document-detail"),
]
for _name in ("activate", "freeze", "unfreeze", "close"):
    urlpatterns.append(
        path(f"facilities/<int:facility_pk>/{_name}/",
             views.FacilityTransitionView.as_view(action_name=_name), name=f"facility-{_name}")
    )
