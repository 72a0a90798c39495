from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PledgeConfig(AppConfig):
    name = "workflows.pledge"
    label = "pledge"
    verbose_name = _("Warehouse-receipt and inventory pledge")
