"""Every ledger account belongs to one lender's books: the column, nullable until 0006 fills it."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0004_alter_account_purpose"),
        ("parties", "0004_remove_organization_bank_fields"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="account", name="account_owner_purpose_currency"),
        migrations.RemoveConstraint(model_name="account", name="account_house_purpose_currency"),
        migrations.AddField(
            model_name="account",
            name="lender",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="ledger_accounts", to="parties.organization",
                                    verbose_name="lender"),
        ),
    ]
