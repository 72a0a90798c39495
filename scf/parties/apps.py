from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class PartiesConfig(AppConfig):
    name = "scf.parties"
    label = "parties"
    verbose_name = _("Parties")

    def ready(self) -> None:
        from . import selectors  # noqa: F401  (registers the visibility rules)
        from .groups import ensure_staff_groups

        # After every app's permissions exist: connect without a sender.
        post_migrate.connect(ensure_staff_groups, dispatch_uid="parties.ensure_staff_groups")
