from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FactoringConfig(AppConfig):
    name = "workflows.factoring"
    label = "factoring"
    verbose_name = _("Factoring")

    def ready(self) -> None:
        from workflows.inbox import registry

        from . import advices, documents, selectors  # noqa: F401  (document kinds and visibility rules)
        from .flows import FactoringFlow

        registry.register(FactoringFlow)
