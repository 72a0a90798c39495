"""Receipt moves to scf.collections: factoring forgets the model, the table and its rows stay.

State only: collections 0001 takes the same table over (and later renames it), so nothing is
dropped. Collections 0001 depends on this migration; unapplying it (after collections) gives
the model back to factoring over the same table.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("factoring", "0006_approval_case_parties"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Receipt")],
            database_operations=[],
        ),
    ]
