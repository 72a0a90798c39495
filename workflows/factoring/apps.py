from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FactoringConfig(AppConfig):
    name = "workflows.factoring"
    label = "factoring"
    verbose_name = _("Factoring")

    def ready(self) -> None:
        from scf.core import jobs as daily_jobs
        from workflows.inbox import registry

        from . import advices, documents, selectors  # noqa: F401  (document kinds and visibility rules)
        from . import jobs
        from .flows import FactoringFlow

        registry.register(FactoringFlow)
        for position, (name, job) in enumerate(jobs.DAILY_JOBS.items(), start=1):
            daily_jobs.register_daily(f"factoring.{name}", job, order=100 + 10 * position)
