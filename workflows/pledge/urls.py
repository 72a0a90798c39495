from django.urls import path

from . import agreement_views, collateral_views, drawdown_views, release_views, shock_views, views

app_name = "pledge"

urlpatterns = [
    path("prices/", views.price_list, name="price-list"),
    path("prices/propose/", views.price_propose_view, name="price-propose"),
    path("prices/shock/", shock_views.price_shock, name="price-shock"),
    path("prices/<int:price_pk>/approve/", views.price_decide_view, {"verb": "approve"}, name="price-approve"),
    path("prices/<int:price_pk>/reject/", views.price_decide_view, {"verb": "reject"}, name="price-reject"),
    path("agreements/<int:agreement_pk>/collateral/", collateral_views.agreement_collateral,
         name="agreement-collateral"),
    path("agreements/<int:agreement_pk>/collateral/declare/", collateral_views.intake_declare, name="intake-declare"),
    path("intakes/<int:intake_pk>/", collateral_views.intake_detail, name="intake-detail"),
    path("intakes/<int:intake_pk>/count/", collateral_views.intake_count, name="intake-count"),
    path("intakes/<int:intake_pk>/refuse/", collateral_views.intake_refuse, name="intake-refuse"),
    path("intakes/<int:intake_pk>/notice/", collateral_views.intake_issue_notice, name="intake-notice"),
    path("intakes/<int:intake_pk>/withdraw/", collateral_views.intake_withdraw, name="intake-withdraw"),
    path("goods-to-count/", collateral_views.goods_to_count, name="goods-to-count"),
    # Releases of pledged goods, substitutions and receipt splits.
    path("agreements/<int:agreement_pk>/releases/request/", release_views.release_request_view,
         name="release-request"),
    path("releases/<int:pledge_release_pk>/", release_views.release_detail, name="release-detail"),
    path("releases/<int:pledge_release_pk>/order/", release_views.release_order_view, name="release-order"),
    path("releases/<int:pledge_release_pk>/execute/", release_views.release_execute_view, name="release-execute"),
    path("releases/<int:pledge_release_pk>/cancel/", release_views.release_cancel_view, name="release-cancel"),
    path("items/<int:pledged_item_pk>/split/", release_views.receipt_split_view, name="receipt-split"),
    path("agreements/", agreement_views.agreement_list_view, name="agreement-list"),
    path("agreements/new/", agreement_views.agreement_new, name="agreement-new"),
    path("agreements/<int:agreement_pk>/", agreement_views.agreement_detail, name="agreement-detail"),
    path("agreements/<int:agreement_pk>/edit/", agreement_views.agreement_edit, name="agreement-edit"),
    path("agreements/<int:agreement_pk>/submit/", agreement_views.agreement_submit_view, name="agreement-submit"),
    path("agreements/<int:agreement_pk>/cancel/", agreement_views.agreement_cancel_view, name="agreement-cancel"),
    path("agreements/<int:agreement_pk>/registration/", agreement_views.registration_record_view,
         name="agreement-register"),
    path("agreements/<int:agreement_pk>/deregistration/", agreement_views.registration_deregister_view,
         name="agreement-deregister"),
    path("agreements/<int:agreement_pk>/wind-up/", agreement_views.agreement_wind_up_view, name="agreement-wind-up"),
    path("agreements/<int:agreement_pk>/close/", agreement_views.agreement_close_view, name="agreement-close"),
    path("agreements/<int:agreement_pk>/drawdowns/request/", drawdown_views.drawdown_request_view,
         name="drawdown-request"),
    path("drawdowns/<int:drawdown_pk>/", drawdown_views.drawdown_detail, name="drawdown-detail"),
    path("drawdowns/<int:drawdown_pk>/withdraw/", drawdown_views.drawdown_withdraw_view, name="drawdown-withdraw"),
    path("drawdowns/<int:drawdown_pk>/disburse/", drawdown_views.drawdown_disburse_view, name="drawdown-disburse"),
]
