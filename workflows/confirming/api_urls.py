"""Confirming-warehouse API routes; the shell includes them under /api/v1/ in the `api` namespace."""

from django.urls import path

from . import api as confirming_api
from . import order_api

urlpatterns = [
    path("quotes/confirming/", confirming_api.QuoteView.as_view(), name="confirming-quote"),
    path("confirming/agreements/", confirming_api.AgreementListView.as_view(), name="confirming-agreement-list"),
    path("confirming/agreements/<int:cw_agreement_pk>/", confirming_api.AgreementDetailView.as_view(),
         name="confirming-agreement-detail"),
    path("confirming/agreements/<int:cw_agreement_pk>/submit/", confirming_api.AgreementSubmitView.as_view(),
         name="confirming-agreement-submit"),
    path("confirming/orders/", order_api.OrderListView.as_view(), name="confirming-order-list"),
    path("confirming/orders/<int:cw_order_pk>/", order_api.OrderDetailView.as_view(),
         name="confirming-order-detail"),
    path("confirming/orders/<int:cw_order_pk>/submit/", order_api.OrderSubmitView.as_view(),
         name="confirming-order-submit"),
    path("confirming/orders/<int:cw_order_pk>/seller-confirm/", order_api.OrderSellerConfirmView.as_view(),
         name="confirming-order-seller-confirm"),
    path("confirming/orders/<int:cw_order_pk>/fund/", order_api.OrderFundView.as_view(),
         name="confirming-order-fund"),
    path("confirming/orders/<int:cw_order_pk>/confirm-receipt/", order_api.OrderReceiptView.as_view(),
         name="confirming-order-confirm-receipt"),
]
