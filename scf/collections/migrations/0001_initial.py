"""Receipt, moved here from factoring: the model over factoring's existing table, rows untouched.

State only, exactly as factoring 0004 left the model (with its `financing` foreign key, kept
until 0003 has copied it into the generic link). Runs after factoring 0005 has removed the
model from factoring's state.
"""

from decimal import Decimal

import django.core.validators
import django.db.models.deletion
import django.db.models.expressions
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('factoring', '0007_receipt_moves_to_collections'),
        ('ledger', '0004_alter_account_purpose'),
        ('parties', '0002_bank_account'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(database_operations=[], state_operations=[migrations.CreateModel(
            name='Receipt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('debtor_payment', 'Payment by the debtor'), ('buy_back', 'Buy-back by the supplier'), ('unmatched', 'Unmatched')], max_length=20, verbose_name='kind')),
                ('status', models.CharField(choices=[('applied', 'Applied'), ('suspense', 'In suspense'), ('returned', 'Returned to the payer')], default='applied', max_length=10, verbose_name='status')),
                ('payer_name', models.CharField(blank=True, max_length=200, verbose_name='payer as shown by the bank')),
                ('bank_reference', models.CharField(max_length=60, verbose_name='bank reference')),
                ('value_date', models.DateField(verbose_name='value date')),
                ('currency', models.CharField(choices=[('CNY', 'CNY'), ('USD', 'USD'), ('EUR', 'EUR'), ('HKD', 'HKD')], default='CNY', max_length=3, verbose_name='currency')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=20, validators=[django.core.validators.MinValueValidator(Decimal('0.00'))], verbose_name='amount')),
                ('applied_penalty', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=20, validators=[django.core.validators.MinValueValidator(Decimal('0.00'))], verbose_name='to penalty interest')),
                ('applied_interest', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=20, validators=[django.core.validators.MinValueValidator(Decimal('0.00'))], verbose_name='to interest')),
                ('applied_fees', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=20, validators=[django.core.validators.MinValueValidator(Decimal('0.00'))], verbose_name='to fees')),
                ('applied_advance', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=20, validators=[django.core.validators.MinValueValidator(Decimal('0.00'))], verbose_name='to the advance')),
                ('rebate', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=20, validators=[django.core.validators.MinValueValidator(Decimal('0.00'))], verbose_name='rebate to the supplier')),
                ('suspense', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=20, validators=[django.core.validators.MinValueValidator(Decimal('0.00'))], verbose_name='to suspense')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('entry', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.journalentry')),
                ('financing', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='factoring.factoringfinancing', verbose_name='financing')),
                ('lender', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='parties.organization', verbose_name='lender')),
                ('payer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='parties.organization', verbose_name='payer')),
                ('recorded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'receipt',
                'verbose_name_plural': 'receipts',
                'db_table': 'factoring_receipt',
                'ordering': ['value_date', 'id'],
                'constraints': [models.UniqueConstraint(fields=('lender', 'bank_reference'), name='receipt_lender_bank_reference'), models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='receipt_amount_positive'), models.CheckConstraint(condition=models.Q(('amount', django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(models.F('applied_penalty'), '+', models.F('applied_interest')), '+', models.F('applied_fees')), '+', models.F('applied_advance')), '+', models.F('rebate')), '+', models.F('suspense')))), name='receipt_fully_allocated')],
            },
        )]),
    ]
