"""Confirming-warehouse API routes; the shell includes them under /api/v1/ in the `api` namespace."""

from django.urls import path

from . import api as confirming_api

urlpatterns = [
    path("quotes/confirming/", confirming_api.QuoteView.as_view(), name="confirming-quote"),
]
