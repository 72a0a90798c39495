"""Financing references (FF-<year>-<n>) now come from the shared sequences of scf.core.

Each year's sequence starts from the highest number already used that year, so new
references continue without colliding with existing ones.
"""

import re

from django.db import migrations

KEY = "factoring.financing"
REFERENCE = re.compile(r"^FF-(\d{4})-(\d+)$")


def seed(apps, schema_editor):
    FactoringFinancing = apps.get_model("factoring", "FactoringFinancing")
    NumberSequence = apps.get_model("core", "NumberSequence")
    highest: dict[int, int] = {}
    for reference in FactoringFinancing.objects.values_list("reference", flat=True).iterator():
        match = REFERENCE.match(reference)
        if match:
            year, number = int(match[1]), int(match[2])
            highest[year] = max(highest.get(year, 0), number)
    for year, number in highest.items():
        NumberSequence.objects.update_or_create(key=KEY, year=year, defaults={"last_number": number})


def unseed(apps, schema_editor):
    apps.get_model("core", "NumberSequence").objects.filter(key=KEY).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
        ("factoring", "0004_receipt_bank_reference_per_lender"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
