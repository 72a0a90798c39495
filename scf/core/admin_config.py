"""The admin app with the superusers-only site of scf.core.admin (kept apart: app configs load before models)."""

from django.contrib.admin.apps import AdminConfig


class SuperuserAdminConfig(AdminConfig):
    default_site = "scf.core.admin.SuperuserAdminSite"
