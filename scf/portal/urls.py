from django.urls import path

from . import lender_admin, preferences, search, views

app_name = "portal"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("search/", search.search, name="search"),
    path("preferences/", preferences.preferences, name="preferences"),
    path("organizations/", views.organization_list, name="organization-list"),
    path("organizations/<int:organization_pk>/", views.organization_detail, name="organization-detail"),
    path("organizations/<int:organization_pk>/kyc/upload/", views.kyc_upload, name="kyc-upload"),
    path("organizations/<int:organization_pk>/kyc/submit/", views.kyc_submit, name="kyc-submit"),
    path("organizations/<int:organization_pk>/kyc/verify/", views.kyc_verify, name="kyc-verify"),
    path("organizations/<int:organization_pk>/kyc/reject/", views.kyc_reject, name="kyc-reject"),
    path("kyc/documents/<int:kyc_document_pk>/", views.kyc_document_download, name="kyc-document"),
    path("kyc/review/", views.kyc_review, name="kyc-review"),
    path("facilities/", views.facility_list, name="facility-list"),
    path("facilities/new/", views.facility_create, name="facility-create"),
    path("facilities/<int:facility_pk>/", views.facility_detail, name="facility-detail"),
    path("facilities/<int:facility_pk>/<slug:action>/", views.facility_transition, name="facility-transition"),
    path("facilities/<int:facility_pk>/limit-changes/new/", views.facility_limit_change_propose,
         name="facility-limit-change-propose"),
    path("facilities/limit-changes/<int:limit_change_pk>/<slug:action>/", views.facility_limit_change_decide,
         name="facility-limit-change-decide"),
    path("settlement-accounts/", views.settlement_account_list, name="settlement-account-list"),
    path("settlement-accounts/new/", views.settlement_account_create, name="settlement-account-create"),
    path("settlement-accounts/<int:account_pk>/edit/", views.settlement_account_edit, name="settlement-account-edit"),
    path("settlement-accounts/<int:account_pk>/verify/", views.settlement_account_verify,
         name="settlement-account-verify"),
    path("settlement-accounts/<int:account_pk>/reject/", views.settlement_account_reject,
         name="settlement-account-reject"),
    path("tokens/", views.token_list, name="token-list"),
    path("tokens/<int:token_pk>/revoke/", views.token_revoke, name="token-revoke"),
    # A lender administrator's pages: the staff and their groups, the approval matrix.
    path("administration/staff/", lender_admin.staff_list, name="staff-list"),
    path("administration/staff/new/", lender_admin.staff_create, name="staff-create"),
    path("administration/staff/<int:staff_pk>/", lender_admin.staff_detail, name="staff-detail"),
    path("administration/staff/<int:staff_pk>/deactivate/", lender_admin.staff_deactivate, name="staff-deactivate"),
    path("administration/staff/<int:staff_pk>/reactivate/", lender_admin.staff_reactivate, name="staff-reactivate"),
    path("administration/staff/<int:staff_pk>/second-factor/reset/", lender_admin.staff_second_factor_reset,
         name="staff-second-factor-reset"),
    path("administration/approval-matrix/", lender_admin.approval_matrix, name="approval-matrix"),
    path("administration/approval-matrix/<slug:scope>/", lender_admin.approval_matrix_edit,
         name="approval-matrix-edit"),
    path("administration/approval-matrix/<slug:scope>/reset/", lender_admin.approval_matrix_reset,
         name="approval-matrix-reset"),
]
