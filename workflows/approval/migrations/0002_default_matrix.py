"""The approval matrix of DESIGN §5 as the starting data; admins edit it afterwards."""

from decimal import Decimal

from django.db import migrations

DEFAULT = [
    (Decimal("1000000.00"), ["credit_officer"]),
    (Decimal("10000000.00"), ["credit_officer", "risk_manager"]),
    (None, ["credit_officer", "risk_manager", "credit_committee"]),
]


def forwards(apps, schema_editor):
    tier = apps.get_model("approval", "ApprovalTier")
    for up_to, groups in DEFAULT:
        tier.objects.get_or_create(product="", up_to_amount=up_to, defaults={"groups": groups})


def backwards(apps, schema_editor):
    apps.get_model("approval", "ApprovalTier").objects.filter(product="").delete()


class Migration(migrations.Migration):
    dependencies = [("approval", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
