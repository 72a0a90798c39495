from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacilitiesConfig(AppConfig):
    name = "scf.facilities"
    label = "facilities"
    verbose_name = _("Credit facilities")

    def ready(self) -> None:
        from scf.core import jobs

        from . import selectors  # noqa: F401  (registers the visibility rules)
        from .services import facilities_expire_due

        jobs.register_daily("facilities.expired", lambda on: facilities_expire_due(today=on), order=10)
