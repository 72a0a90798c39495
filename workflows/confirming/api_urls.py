"""Confirming-warehouse API routes; the shell includes them under /api/v1/ in the `api` namespace."""

from django.urls import path

from . import api as confirming_api
from . import order_api, reconciliation_api, release_api

urlpatterns = [
    path("quotes/confirming/", confirming_api.QuoteView.as_view(), name="confirming-quote"),
    path("confirming/agreements/", confirming_api.AgreementListView.as_view(), name="confirming-agreement-list"),
    path("confirming/agreements/<int:cw_agreement_pk>/", confirming_api.AgreementDetailView.as_view(),
         name="confirming-agreement-detail"),
    path("confirming/agreements/<int:cw_agreement_pk>/submit/", confirming_api.AgreementSubmitView.as_view(),
         name="confirming-agreement-submit"),
    path("confirming/releases/", release_api.ReleaseListView.as_view(), name="confirming-release-list"),
    path("confirming/releases/<int:cw_release_pk>/", release_api.ReleaseDetailView.as_view(),
         name="confirming-release-detail"),
    path("confirming/releases/<int:cw_release_pk>/withdraw/", release_api.ReleaseWithdrawView.as_view(),
         name="confirming-release-withdraw"),
    path("confirming/releases/<int:cw_release_pk>/notice/", release_api.ReleaseNoticeView.as_view(),
         name="confirming-release-notice"),
    path("confirming/releases/<int:cw_release_pk>/delivery-notice/", release_api.ReleaseDeliveryNoticeView.as_view(),
         name="confirming-release-delivery-notice"),
    path("confirming/releases/<int:cw_release_pk>/delivery/", release_api.ReleaseDeliveryConfirmView.as_view(),
         name="confirming-release-delivery-confirm"),
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
    path("confirming/reconciliations/", reconciliation_api.ReconciliationListView.as_view(),
         name="confirming-reconciliation-list"),
    path("confirming/reconciliations/<int:cw_reconciliation_pk>/", reconciliation_api.ReconciliationDetailView.as_view(),
         name="confirming-reconciliation-detail"),
    path("confirming/orders/<int:cw_order_pk>/refund-demand/", order_api.OrderRefundDemandView.as_view(),
         name="confirming-order-refund-demand"),
    path("confirming/orders/<int:cw_order_pk>/refund-acknowledge/", order_api.OrderRefundAcknowledgeView.as_view(),
         name="confirming-order-refund-acknowledge"),
    path("confirming/orders/<int:cw_order_pk>/advance-repayments/", order_api.OrderAdvanceRepaymentView.as_view(),
         name="confirming-order-advance-repayments"),
]
