"""Pledge's API routes; the shell includes them under /api/v1/ in the `api` namespace."""

from django.urls import path

from . import api as pledge_api

urlpatterns = [
    path("quotes/pledge/", pledge_api.QuoteView.as_view(), name="pledge-quote"),
]
