"""The receipt's table takes the app's name, and the receipt gains a generic link to the case it pays.

The link (kind of case, case id, the case's reference) is empty here; 0003 fills it from the
factoring financing each receipt paid, and 0004 drops that column. Schema changes only: the
rows are copied in a migration of their own, so that PostgreSQL never alters a table with
pending deferred constraint checks in the same transaction.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("collections", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelTable(name="receipt", table=None),
        migrations.AddField(
            model_name="receipt",
            name="case_type",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="contenttypes.contenttype", verbose_name="kind of case"),
        ),
        migrations.AddField(
            model_name="receipt",
            name="case_id",
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name="case"),
        ),
        migrations.AddField(
            model_name="receipt",
            name="case_reference",
            field=models.CharField(blank=True, max_length=30, verbose_name="case reference"),
        ),
    ]
