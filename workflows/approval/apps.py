from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalConfig(AppConfig):
    name = "workflows.approval"
    label = "approval"
    verbose_name = _("Approval routing")
