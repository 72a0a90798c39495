from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "scf.ledger"
    label = "ledger"
    verbose_name = _("Ledger")

    def ready(self) -> None:
        from . import selectors  # noqa: F401  (registers the visibility rules)
