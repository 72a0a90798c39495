from django.urls import path

from . import agreement_views

app_name = "confirming"

urlpatterns = [
    path("agreements/", agreement_views.agreement_list_view, name="agreement-list"),
    path("agreements/new/", agreement_views.agreement_new, name="agreement-new"),
    path("agreements/<int:cw_agreement_pk>/", agreement_views.agreement_detail, name="agreement-detail"),
    path("agreements/<int:cw_agreement_pk>/edit/", agreement_views.agreement_edit, name="agreement-edit"),
    path("agreements/<int:cw_agreement_pk>/submit/", agreement_views.agreement_submit_view, name="agreement-submit"),
    path("agreements/<int:cw_agreement_pk>/cancel/", agreement_views.agreement_cancel_view, name="agreement-cancel"),
    path("agreements/<int:cw_agreement_pk>/close/", agreement_views.agreement_close_view, name="agreement-close"),
]
