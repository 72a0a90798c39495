# The organization's bank account fields, copied into settlement accounts by 0003, are removed in a
# migration of their own: on PostgreSQL a table cannot be altered in the transaction that just wrote
# rows referring to it.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('parties', '0003_settlement_account'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='organization',
            name='bank_account_name',
        ),
        migrations.RemoveField(
            model_name='organization',
            name='bank_account_number',
        ),
        migrations.RemoveField(
            model_name='organization',
            name='bank_name',
        ),
    ]
