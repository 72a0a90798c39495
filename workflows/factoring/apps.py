from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FactoringConfig(AppConfig):
    name = "workflows.factoring"
    label = "factoring"
    verbose_name = _("Factoring")

    def ready(self) -> None:
        from scf.core import demo, menus
        from scf.parties.models import StaffGroup
        from workflows.inbox import registry

        from . import advices, documents, selectors  # noqa: F401  (document kinds and visibility rules)
        from .demo import seed_factoring_demo
        from .flows import FactoringFlow

        registry.register(FactoringFlow)
        demo.register_seeder("factoring", seed_factoring_demo, order=100)
        menus.register_menu_item("receivables", _("Receivables"), "factoring:receivable-list", order=500)
        menus.register_menu_item("factoring", _("Factoring"), "factoring:financing-list", order=510)
        # The Suspense page is moving to scf.collections, which will register its entry instead.
        menus.register_menu_item(
            "suspense", _("Suspense"), "factoring:suspense", order=850,
            visible=lambda user: user.is_superuser or StaffGroup.OPERATIONS in user.staff_groups())
