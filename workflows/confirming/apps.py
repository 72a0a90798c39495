from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfirmingConfig(AppConfig):
    name = "workflows.confirming"
    label = "confirming"
    verbose_name = _("Confirming-warehouse financing")
