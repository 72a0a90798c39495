from django.urls import path

from . import agreement_views, order_views, reconciliation_views, release_views

app_name = "confirming"

urlpatterns = [
    path("agreements/", agreement_views.agreement_list_view, name="agreement-list"),
    path("agreements/new/", agreement_views.agreement_new, name="agreement-new"),
    path("agreements/<int:cw_agreement_pk>/", agreement_views.agreement_detail, name="agreement-detail"),
    path("agreements/<int:cw_agreement_pk>/edit/", agreement_views.agreement_edit, name="agreement-edit"),
    path("agreements/<int:cw_agreement_pk>/submit/", agreement_views.agreement_submit_view, name="agreement-submit"),
    path("agreements/<int:cw_agreement_pk>/cancel/", agreement_views.agreement_cancel_view, name="agreement-cancel"),
    path("agreements/<int:cw_agreement_pk>/close/", agreement_views.agreement_close_view, name="agreement-close"),
    path("orders/<int:cw_order_pk>/releases/new/", release_views.release_request_view, name="release-request"),
    path("releases/<int:cw_release_pk>/", release_views.release_detail, name="release-detail"),
    path("releases/<int:cw_release_pk>/withdraw/", release_views.release_withdraw_view, name="release-withdraw"),
    path("releases/<int:cw_release_pk>/notice/", release_views.release_notice_view, name="release-notice"),
    path("releases/<int:cw_release_pk>/delivery-notice/", release_views.release_delivery_notice_view,
         name="release-delivery-notice"),
    path("releases/<int:cw_release_pk>/delivery/", release_views.release_delivery_confirm_view,
         name="release-delivery-confirm"),
    path("agreements/<int:cw_agreement_pk>/orders/new/", order_views.order_new, name="order-new"),
    path("orders/", order_views.order_list_view, name="order-list"),
    path("orders/<int:cw_order_pk>/", order_views.order_detail, name="order-detail"),
    path("orders/<int:cw_order_pk>/edit/", order_views.order_edit, name="order-edit"),
    path("orders/<int:cw_order_pk>/submit/", order_views.order_submit_view, name="order-submit"),
    path("orders/<int:cw_order_pk>/cancel/", order_views.order_cancel_view, name="order-cancel"),
    path("orders/<int:cw_order_pk>/margin/", order_views.order_margin_view, name="order-margin"),
    path("orders/<int:cw_order_pk>/fund/", order_views.order_fund_view, name="order-fund"),
    path("orders/<int:cw_order_pk>/receipt/", order_views.order_receipt_view, name="order-receipt"),
    path("reconciliations/", reconciliation_views.reconciliation_list_view, name="reconciliation-list"),
    path("reconciliations/run/", reconciliation_views.reconciliation_run_view, name="reconciliation-run"),
    path("reconciliations/<int:cw_reconciliation_pk>/", reconciliation_views.reconciliation_detail,
         name="reconciliation-detail"),
    path("reconciliations/<int:cw_reconciliation_pk>/review/", reconciliation_views.reconciliation_review_view,
         name="reconciliation-review"),
    path("orders/<int:cw_order_pk>/refund/", order_views.order_refund_view, name="order-refund"),
    path("orders/<int:cw_order_pk>/advance-repayment/", order_views.order_advance_repayment_view,
         name="order-advance-repayment"),
]
