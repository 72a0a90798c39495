from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfirmingConfig(AppConfig):
    name = "workflows.confirming"
    label = "confirming"
    verbose_name = _("Confirming-warehouse financing")

    def ready(self) -> None:
        """Plug confirming-warehouse financing into the shared parts: document kinds."""
        from documents import registry as documents

        from .documents import KINDS

        documents.register(*KINDS)
