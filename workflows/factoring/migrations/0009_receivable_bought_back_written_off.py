from django.db import migrations, models


def mark_how_files_ended(apps, schema_editor):
    """Invoices of files closed after a buy-back or a write-off were marked settled: say how they ended."""
    ContentType = apps.get_model('contenttypes', 'ContentType')
    AuditRecord = apps.get_model('audit', 'AuditRecord')
    Financing = apps.get_model('factoring', 'FactoringFinancing')
    Receivable = apps.get_model('factoring', 'Receivable')
    content_type = ContentType.objects.filter(app_label='factoring', model='factoringfinancing').first()
    if content_type is None:
        return
    for ending in ('bought_back', 'written_off'):
        ids = AuditRecord.objects.filter(content_type=content_type, target_state=ending).values_list(
            'object_id', flat=True)
        financings = Financing.objects.filter(pk__in=[int(pk) for pk in ids if pk.isdigit()], state='closed')
        Receivable.objects.filter(financings__in=financings, state='settled').update(state=ending)


class Migration(migrations.Migration):

    dependencies = [
        ('factoring', '0008_financing_settlement_account'),
        ('audit', '0002_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.AlterField(
            model_name='receivable',
            name='state',
            field=models.CharField(choices=[('draft', 'Draft'), ('submitted', 'Submitted'), ('confirmed', 'Confirmed'), ('disputed', 'Disputed'), ('financed', 'Financed'), ('settled', 'Settled'), ('bought_back', 'Bought back by the supplier'), ('written_off', 'Written off'), ('cancelled', 'Cancelled')], default='draft', max_length=50, verbose_name='state'),
        ),
        migrations.RunPython(mark_how_files_ended, migrations.RunPython.noop),
    ]
