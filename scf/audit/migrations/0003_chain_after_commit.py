"""Audit records get their own content hash at insert; the chain is extended after commit."""

from django.conf import settings
from django.db import migrations, models


def drop_append_only_trigger(apps, schema_editor):
    """The chainer updates a record's chain columns once: 0004 puts back a trigger that allows only that."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_auditrecord_append_only ON audit_auditrecord;")


def create_append_only_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE TRIGGER audit_auditrecord_append_only BEFORE UPDATE OR DELETE ON audit_auditrecord "
            "FOR EACH ROW EXECUTE FUNCTION scf_refuse_change();"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_initial'),
        ('ledger', '0003_append_only_triggers'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_append_only_trigger, create_append_only_trigger),
        migrations.AddField(
            model_name='auditchainhead',
            name='last_chain_seq',
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='auditrecord',
            name='chain_seq',
            field=models.BigIntegerField(blank=True, null=True, unique=True),
        ),
        migrations.AddField(
            model_name='auditrecord',
            name='content_hash',
            field=models.CharField(default='', max_length=64),
        ),
        migrations.AlterField(
            model_name='auditrecord',
            name='hash',
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name='auditrecord',
            name='prev_hash',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.AddIndex(
            model_name='auditrecord',
            index=models.Index(condition=models.Q(('chain_seq__isnull', True)), fields=['seq'], name='audit_unchained_idx'),
        ),
    ]
