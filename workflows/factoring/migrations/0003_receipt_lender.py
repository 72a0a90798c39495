import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    """A receipt of a financing belongs to its lender; an unmatched one to the only lender, if there is one."""
    Receipt = apps.get_model("factoring", "Receipt")
    Organization = apps.get_model("parties", "Organization")
    for receipt in Receipt.objects.filter(lender__isnull=True, financing__isnull=False).select_related("financing"):
        receipt.lender_id = receipt.financing.lender_id
        receipt.save(update_fields=["lender"])
    orphans = Receipt.objects.filter(lender__isnull=True)
    if orphans.exists():
        lenders = list(Organization.objects.filter(is_lender=True).values_list("pk", flat=True)[:2])
        if len(lenders) != 1:
            raise RuntimeError("Unmatched receipts need a lender, and there is not exactly one lender to give them: "
                               "set factoring_receipt.lender_id by hand, then migrate again.")
        orphans.update(lender_id=lenders[0])


class Migration(migrations.Migration):

    dependencies = [
        ("factoring", "0002_receipt_factoringfinancing_advance_outstanding_and_more"),
        ("parties", "0002_bank_account"),
    ]

    operations = [
        migrations.AddField(
            model_name="receipt",
            name="lender",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="parties.organization", verbose_name="lender"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="receipt",
            name="lender",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="parties.organization", verbose_name="lender"),
        ),
    ]
