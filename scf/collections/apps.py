from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectionsConfig(AppConfig):
    name = "scf.collections"
    label = "collections"
    verbose_name = _("Collections")

    def ready(self) -> None:
        """Put the Suspense page in the menu of the lender's operations."""
        from scf.core import menus

        from .permissions import can_handle_receipts

        menus.register_menu_item("suspense", _("Suspense"), "collections:suspense", order=850,
                                 visible=can_handle_receipts)
