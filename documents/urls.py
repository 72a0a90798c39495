from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("<int:document_pk>/", views.document_detail, name="detail"),
    path("<int:document_pk>/pdf/", views.document_pdf, name="pdf"),
    path("<int:document_pk>/signed.pdf", views.document_final_pdf, name="final-pdf"),
    path("<int:document_pk>/preview.png", views.document_preview, name="preview"),
    path("<int:document_pk>/sign/", views.document_sign, name="sign"),
]
