from django.urls import path

from . import attachment_views, bulk_views, views

app_name = "factoring"

urlpatterns = [
    path("", views.financing_list, name="financing-list"),
    path("request/", views.financing_request, name="financing-request"),
    path("confirmations/", bulk_views.confirm_many, name="confirm-many"),
    path("reviews/", bulk_views.approve_many, name="approve-many"),
    path("receivables/", views.receivable_list, name="receivable-list"),
    path("receivables/upload/", views.receivable_upload, name="receivable-upload"),
    path("receivables/upload/template.csv", views.receivable_upload_template, name="receivable-upload-template"),
    path("<int:financing_pk>/", views.financing_detail, name="financing-detail"),
    path("<int:financing_pk>/contracts/", views.financing_generate, name="financing-generate"),
    path("<int:financing_pk>/write-off/", views.financing_write_off, name="financing-write-off"),
    path("<int:financing_pk>/withdraw/", views.financing_cancel, name="financing-cancel"),
    path("<int:financing_pk>/attach/", attachment_views.financing_attach_view, name="financing-attach"),
]
