"""Confirming-warehouse API routes; the shell includes them under /api/v1/ in the `api` namespace."""

from django.urls import path

from . import api as confirming_api

urlpatterns = [
    path("quotes/confirming/", confirming_api.QuoteView.as_view(), name="confirming-quote"),
    path("confirming/agreements/", confirming_api.AgreementListView.as_view(), name="confirming-agreement-list"),
    path("confirming/agreements/<int:cw_agreement_pk>/", confirming_api.AgreementDetailView.as_view(),
         name="confirming-agreement-detail"),
    path("confirming/agreements/<int:cw_agreement_pk>/submit/", confirming_api.AgreementSubmitView.as_view(),
         name="confirming-agreement-submit"),
]
