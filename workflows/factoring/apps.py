from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FactoringConfig(AppConfig):
    name = "workflows.factoring"
    label = "factoring"
    verbose_name = _("Factoring")

    def ready(self) -> None:
        from scf.core import demo
        from workflows.inbox import registry

        from . import advices, documents, selectors  # noqa: F401  (document kinds and visibility rules)
        from .demo import seed_factoring_demo
        from .flows import FactoringFlow

        registry.register(FactoringFlow)
        demo.register_seeder("factoring", seed_factoring_demo, order=100)
