from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FactoringConfig(AppConfig):
    name = "workflows.factoring"
    label = "factoring"
    verbose_name = _("Factoring")

    def ready(self) -> None:
        from scf.collections import registry as receipt_handlers
        from workflows.inbox import registry

        from . import advices, documents, selectors  # noqa: F401  (document kinds and visibility rules)
        from .flows import FactoringFlow
        from .receipts import RECEIPT_HANDLER

        registry.register(FactoringFlow)
        receipt_handlers.register(RECEIPT_HANDLER)
