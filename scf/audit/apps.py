from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "scf.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from django_fsm.signals import post_transition

        from . import services

        post_transition.connect(services.record_fsm_transition, dispatch_uid="audit.fsm_transition")
