"""Factoring's API routes; the shell includes them under /api/v1/ in the `api` namespace."""

from django.urls import path

from . import api as factoring_api

urlpatterns = [
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
    path("factoring/financings/quote/", factoring_api.FinancingQuoteView.as_view(), name="financing-quote"),
    path("factoring/financings/<int:financing_pk>/", factoring_api.FinancingDetailView.as_view(),
         name="financing-detail"),
    path("factoring/financings/<int:financing_pk>/attachments/", factoring_api.FinancingAttachmentListView.as_view(),
         name="financing-attachments"),
    path("factoring/financings/<int:financing_pk>/credit-review/", factoring_api.FinancingCreditReviewView.as_view(),
         name="financing-credit-review"),
    path("factoring/financings/<int:financing_pk>/contracts/", factoring_api.FinancingContractsView.as_view(),
         name="financing-contracts"),
]
