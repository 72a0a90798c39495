"""The staff groups get exactly their permissions after a migrate, once, when every app's permissions exist."""

from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scf.parties.groups import GROUP_PERMISSIONS, ensure_staff_groups
from scf.parties.models import StaffGroup


def _codes(group_name):
    group = Group.objects.get(name=group_name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_post_migrate_gives_every_group_exactly_its_permissions(db):
    Group.objects.get(name=StaffGroup.OPERATIONS).permissions.clear()
    admin = Group.objects.get(name=StaffGroup.ADMIN)
    admin.permissions.set(admin.permissions.all()[:3])

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    for name, codes in GROUP_PERMISSIONS.items():
        assert _codes(name) == set(codes), name


def test_only_the_last_apps_signal_does_the_work(db):
    Group.objects.get(name=StaffGroup.OPERATIONS).permissions.clear()
    parties = apps.get_app_config("parties")

    with CaptureQueriesContext(connection) as queries:
        ensure_staff_groups(app_config=parties)
    assert len(queries) == 0
    assert _codes(StaffGroup.OPERATIONS) == set()

    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    ensure_staff_groups(app_config=last)
    assert _codes(StaffGroup.OPERATIONS) == set(GROUP_PERMISSIONS[StaffGroup.OPERATIONS])
