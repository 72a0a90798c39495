from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReleasesConfig(AppConfig):
    name = "scf.releases"
    label = "releases"
    verbose_name = _("Releases")

    def ready(self) -> None:
        """Put the Releases page in the menu of the staff who may release something."""
        from scf.core import menus

        from .selectors import can_see_releases

        menus.register_menu_item("releases", _("Releases"), "releases:list", order=860, visible=can_see_releases)
