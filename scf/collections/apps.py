from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectionsConfig(AppConfig):
    name = "scf.collections"
    label = "collections"
    verbose_name = _("Collections")

    def ready(self) -> None:
        """Put the Suspense page in the menu of the lender's operations; its money is released by a second person."""
        from scf.core import demo, menus
        from scf.releases import registry as releases

        from . import selectors  # noqa: F401  (registers the visibility rule of receipts)
        from .demo import seed_collections_demo
        from .permissions import can_handle_receipts
        from .releases import ACTIONS

        menus.register_menu_item("suspense", _("Suspense"), "collections:suspense", order=850,
                                 visible=can_handle_receipts)
        releases.register(*ACTIONS)
        demo.register_seeder("collections", seed_collections_demo, order=200)
