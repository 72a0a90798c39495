from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "scf.core"
    label = "core"
    verbose_name = "Core"
