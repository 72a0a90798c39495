from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "scf.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        from .staticfiles import leave_out_unused_static

        leave_out_unused_static()
