from django.urls import path

from . import views

app_name = "releases"

urlpatterns = [
    path("", views.release_list, name="list"),
    path("<int:release_pk>/release/", views.release_decide, {"verb": "release"}, name="release"),
    path("<int:release_pk>/reject/", views.release_decide, {"verb": "reject"}, name="reject"),
    path("<int:release_pk>/withdraw/", views.release_decide, {"verb": "withdraw"}, name="withdraw"),
]
