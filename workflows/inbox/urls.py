from django.urls import path

from . import notification_views, views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox, name="list"),
    path("<int:task_pk>/", views.task_detail, name="task"),
    path("attachments/<int:attachment_pk>/", views.attachment_download, name="attachment"),
    path("notifications/", notification_views.notification_list, name="notifications"),
    path("notifications/read-all/", notification_views.notification_read_all, name="notifications-read-all"),
    path("notifications/settings/", notification_views.notification_settings, name="notification-settings"),
    path("notifications/<int:notification_pk>/", notification_views.notification_open, name="notification-open"),
    path("notifications/<int:notification_pk>/read/", notification_views.notification_read,
         name="notification-read"),
]
