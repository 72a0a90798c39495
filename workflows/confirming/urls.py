from django.urls import path

from . import agreement_views, release_views

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
]
