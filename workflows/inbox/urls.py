from django.urls import path

from . import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox, name="list"),
    path("<int:task_pk>/", views.task_detail, name="task"),
    path("attachments/<int:attachment_pk>/", views.attachment_download, name="attachment"),
]
