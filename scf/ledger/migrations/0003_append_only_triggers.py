"""On PostgreSQL the database itself refuses to change or delete posted ledger and audit rows."""

from django.db import migrations

TABLES = ["ledger_journalentry", "ledger_posting", "audit_auditrecord"]

FUNCTION = """
CREATE OR REPLACE FUNCTION scf_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'append-only table %: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # params=None: the body's '%' placeholders belong to PL/pgSQL, not to the driver (psycopg 3
    # rejects them as malformed placeholders when params is the default empty tuple).
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION scf_refuse_change();"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS scf_refuse_change();")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_initial"), ("audit", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
