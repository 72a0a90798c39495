"""Pledge's API routes; the shell includes them under /api/v1/ in the `api` namespace."""

from django.urls import path

from . import api as pledge_api
from . import release_api

urlpatterns = [
    path("quotes/pledge/", pledge_api.QuoteView.as_view(), name="pledge-quote"),
    path("pledge/prices/", pledge_api.PriceListView.as_view(), name="pledge-price-list"),
    *(path(f"pledge/prices/<int:price_pk>/{verb}/", pledge_api.PriceDecideView.as_view(verb=verb),
           name=f"pledge-price-{verb}") for verb in ("approve", "reject")),
    path("pledge/agreements/<int:agreement_pk>/intakes/", pledge_api.IntakeListView.as_view(),
         name="pledge-intake-list"),
    path("pledge/agreements/<int:agreement_pk>/valuation/", pledge_api.AgreementValuationView.as_view(),
         name="pledge-valuation"),
    path("pledge/intakes/<int:intake_pk>/", pledge_api.IntakeDetailView.as_view(), name="pledge-intake-detail"),
    path("pledge/intakes/<int:intake_pk>/count/", pledge_api.IntakeCountView.as_view(), name="pledge-intake-count"),
    path("pledge/intakes/<int:intake_pk>/refuse/", pledge_api.IntakeRefuseView.as_view(), name="pledge-intake-refuse"),
    path("pledge/intakes/<int:intake_pk>/goods-list/sign/", pledge_api.IntakeSignView.as_view(kind="pledged_goods_list"),
         name="pledge-intake-goods-list-sign"),
    path("pledge/intakes/<int:intake_pk>/notice/", pledge_api.IntakeNoticeView.as_view(), name="pledge-intake-notice"),
    path("pledge/intakes/<int:intake_pk>/notice/confirm/", pledge_api.IntakeSignView.as_view(kind="pledge_notice"),
         name="pledge-intake-notice-confirm"),
    path("pledge/agreements/", pledge_api.AgreementListView.as_view(), name="pledge-agreement-list"),
    path("pledge/agreements/<int:agreement_pk>/", pledge_api.AgreementDetailView.as_view(),
         name="pledge-agreement-detail"),
    path("pledge/agreements/<int:agreement_pk>/submit/", pledge_api.AgreementSubmitView.as_view(),
         name="pledge-agreement-submit"),
    # Releases of pledged goods, substitutions and receipt splits.
    path("pledge/agreements/<int:agreement_pk>/releases/", release_api.ReleaseListView.as_view(),
         name="pledge-release-list"),
    path("pledge/agreements/<int:agreement_pk>/releasable/", release_api.ReleasableView.as_view(),
         name="pledge-releasable"),
    path("pledge/releases/<int:pledge_release_pk>/", release_api.ReleaseDetailView.as_view(),
         name="pledge-release-detail"),
    path("pledge/releases/<int:pledge_release_pk>/order/", release_api.ReleaseOrderView.as_view(),
         name="pledge-release-order"),
    path("pledge/releases/<int:pledge_release_pk>/execute/", release_api.ReleaseExecuteView.as_view(),
         name="pledge-release-execute"),
    path("pledge/releases/<int:pledge_release_pk>/cancel/", release_api.ReleaseCancelView.as_view(),
         name="pledge-release-cancel"),
    path("pledge/items/<int:pledged_item_pk>/split/", release_api.ReceiptSplitView.as_view(),
         name="pledge-receipt-split"),
]
