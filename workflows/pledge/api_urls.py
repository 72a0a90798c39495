"""Pledge's API routes; the shell includes them under /api/v1/ in the `api` namespace."""

from django.urls import path

from . import api as pledge_api

urlpatterns = [
    path("quotes/pledge/", pledge_api.QuoteView.as_view(), name="pledge-quote"),
    path("pledge/prices/", pledge_api.PriceListView.as_view(), name="pledge-price-list"),
    *(path(f"pledge/prices/<int:price_pk>/{verb}/", pledge_api.PriceDecideView.as_view(verb=verb),
           name=f"pledge-price-{verb}") for verb in ("approve", "reject")),
    path("pledge/agreements/", pledge_api.AgreementListView.as_view(), name="pledge-agreement-list"),
    path("pledge/agreements/<int:agreement_pk>/", pledge_api.AgreementDetailView.as_view(),
         name="pledge-agreement-detail"),
    path("pledge/agreements/<int:agreement_pk>/submit/", pledge_api.AgreementSubmitView.as_view(),
         name="pledge-agreement-submit"),
]
