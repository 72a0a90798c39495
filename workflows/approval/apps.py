from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalConfig(AppConfig):
    name = "workflows.approval"
    label = "approval"
    verbose_name = _("Approval routing")

    def ready(self) -> None:
        from scf.core import demo

        from . import selectors  # noqa: F401  (the approval matrix's tenancy rule)
        from .services import approval_matrix_ensure_default

        # Before any product's demo case asks for approval.
        demo.register_seeder("approval", lambda context: approval_matrix_ensure_default(), order=10)
