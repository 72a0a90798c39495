from django.urls import path

from . import views

app_name = "collections"

urlpatterns = [
    path("suspense/", views.suspense, name="suspense"),
    path("receipts/", views.receipt_list, name="receipt-list"),
]
