from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PledgeConfig(AppConfig):
    name = "workflows.pledge"
    label = "pledge"
    verbose_name = _("Warehouse-receipt and inventory pledge")

    def ready(self) -> None:
        """Plug pledge into the shared parts: visibility rules, menu, demo seeder."""
        from scf.core import demo, menus

        from . import selectors  # noqa: F401  (selectors registers the visibility rules)
        from .demo import seed_pledge_demo
        from .permissions import can_see_prices

        demo.register_seeder("pledge", seed_pledge_demo, order=200)
        menus.register_menu_item("pledge-prices", _("Commodity prices"), "pledge:price-list", order=600,
                                 visible=can_see_prices)
        self._ready_collateral()

    def _ready_collateral(self) -> None:
        """Plug in the collateral intake: its document kinds and signing set, the warehouse's menu entry."""
        from scf.core import demo, menus

        from . import collateral_documents
        from .collateral import intake_documents_signed
        from .demo import seed_collateral_demo
        from .permissions import is_warehouse_member

        collateral_documents.register(on_complete=intake_documents_signed)
        # After the pledge seeder (200), which makes the demo's agreements.
        demo.register_seeder("pledge-collateral", seed_collateral_demo, order=210)
        menus.register_menu_item("pledge-goods-to-count", _("Goods to count"), "pledge:goods-to-count", order=610,
                                 visible=is_warehouse_member)
