from django.urls import path

from . import views

app_name = "pledge"

urlpatterns = [
    path("prices/", views.price_list, name="price-list"),
    path("prices/propose/", views.price_propose_view, name="price-propose"),
    path("prices/<int:price_pk>/approve/", views.price_decide_view, {"verb": "approve"}, name="price-approve"),
    path("prices/<int:price_pk>/reject/", views.price_decide_view, {"verb": "reject"}, name="price-reject"),
]
