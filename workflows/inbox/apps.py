from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "workflows.inbox"
    label = "inbox"
    verbose_name = _("Tasks")

    def ready(self) -> None:
        from . import attachments  # noqa: F401  (registers the visibility rules of attachments and requests)
