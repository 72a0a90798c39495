"""The receipt now knows its case only through the generic link: factoring's column goes.

A receipt links a whole case or none (a check constraint), and the link is indexed for each
case's list of receipts.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("collections", "0003_receipt_case_from_financing"),
    ]

    operations = [
        migrations.RemoveField(model_name="receipt", name="financing"),
        migrations.AddIndex(
            model_name="receipt",
            index=models.Index(fields=["case_type", "case_id"], name="receipt_case"),
        ),
        migrations.AddConstraint(
            model_name="receipt",
            constraint=models.CheckConstraint(
                condition=models.Q(models.Q(("case_id__isnull", True), ("case_type__isnull", True)),
                                   models.Q(("case_id__isnull", False), ("case_type__isnull", False)),
                                   _connector="OR"),
                name="receipt_case_link_complete",
            ),
        ),
    ]
