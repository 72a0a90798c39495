from django.urls import path

from documents import api as documents_api
from workflows.factoring import api as factoring_api

from . import views

app_name = "api"

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("organizations/", views.OrganizationListView.as_view(), name="organization-list"),
    path("organizations/<int:organization_pk>/", views.OrganizationDetailView.as_view(), name="organization-detail"),
    path("facilities/", views.FacilityListView.as_view(), name="facility-list"),
    path("facilities/<int:facility_pk>/", views.FacilityDetailView.as_view(), name="facility-detail"),
    path("quotes/factoring/", factoring_api.QuoteView.as_view(), name="factoring-quote"),
    path("receivables/", factoring_api.ReceivableListView.as_view(), name="receivable-list"),
    path("receivables/bulk/", factoring_api.ReceivableBulkView.as_view(), name="receivable-bulk"),
    path("payables/", factoring_api.PayableListView.as_view(), name="payable-list"),
    path("payables/bulk/", factoring_api.PayableBulkView.as_view(), name="payable-bulk"),
    path("receivables/<int:receivable_pk>/", factoring_api.ReceivableDetailView.as_view(),
         name="receivable-detail"),
    path("receivables/<int:receivable_pk>/confirm/", factoring_api.ReceivableConfirmView.as_view(),
         name="receivable-confirm"),
    path("receivables/<int:receivable_pk>/dispute/", factoring_api.ReceivableDisputeView.as_view(),
         name="receivable-dispute"),
    path("factoring/financings/", factoring_api.FinancingListView.as_view(), name="financing-list"),
    path("factoring/financings/<int:financing_pk>/", factoring_api.FinancingDetailView.as_view(),
         name="financing-detail"),
    path("documents/", documents_api.DocumentListView.as_view(), name="document-list"),
    path("documents/verify/", documents_api.DocumentVerifyView.as_view(), name="document-verify"),
    path("documents/<int:document_pk>/", documents_api.DocumentDetailView.as_view(), name="document-detail"),
]
for _name in ("activate", "freeze", "unfreeze", "close"):
    urlpatterns.append(
        path(f"facilities/<int:facility_pk>/{_name}/",
             views.FacilityTransitionView.as_view(action_name=_name), name=f"facility-{_name}")
    )
