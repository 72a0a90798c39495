"""Once every account has its lender: the lender is required, and accounts are unique within a lender's books."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0006_account_lender_move_postings"),
    ]

    operations = [
        migrations.AlterField(
            model_name="account",
            name="lender",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="ledger_accounts",
                                    to="parties.organization", verbose_name="lender"),
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.UniqueConstraint(fields=("lender", "owner", "purpose", "currency"),
                                               name="account_lender_owner_purpose_currency"),
        ),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.UniqueConstraint(condition=models.Q(("owner__isnull", True)),
                                               fields=("lender", "purpose", "currency"),
                                               name="account_lender_house_purpose_currency"),
        ),
    ]
