"""Partial indexes on open human tasks, so an inbox page costs the same at 500,000 closed tasks."""

from django.db import migrations

OPEN = "status IN ('NEW', 'ASSIGNED')"

INDEXES = {
    "inbox_task_open_created": f"(created, id) WHERE {OPEN}",
    "inbox_task_open_owner": f"(owner_id, created, id) WHERE {OPEN}",
    "inbox_task_open_permission": f"(owner_permission, owner_permission_obj_pk, created, id) WHERE {OPEN}",
    "inbox_task_open_flow_task": f"(flow_task, created, id) WHERE {OPEN}",
}


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0001_initial"),
        ("viewflow", "__latest__"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON viewflow_task {definition}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, definition in INDEXES.items()
    ]
