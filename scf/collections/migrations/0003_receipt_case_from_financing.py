"""Copy each receipt's factoring financing into its generic link: kind of case, id and reference.

One UPDATE for all rows. The content type of factoring.FactoringFinancing is created if the
database has none yet (content types are otherwise created after migrating). The receipt's own
content type moves from factoring to collections, so that the audit records and permissions
that name it still do. Backwards, the link is copied back to `financing`, which refuses a
receipt that pays another product's case: factoring's old column cannot hold it.
"""

from django.db import migrations
from django.db.models import F, OuterRef, Subquery


def _financing_type(apps):
    ContentType = apps.get_model("contenttypes", "ContentType")
    content_type, _created = ContentType.objects.get_or_create(app_label="factoring", model="factoringfinancing")
    return content_type


def _move_receipt_type(apps, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label=target, model="receipt").exists():
        ContentType.objects.filter(app_label=source, model="receipt").update(app_label=target)


def link_cases(apps, schema_editor):
    Receipt = apps.get_model("collections", "Receipt")
    FactoringFinancing = apps.get_model("factoring", "FactoringFinancing")
    reference = FactoringFinancing.objects.filter(pk=OuterRef("financing_id")).values("reference")[:1]
    Receipt.objects.filter(financing__isnull=False).update(
        case_type=_financing_type(apps), case_id=F("financing_id"), case_reference=Subquery(reference))
    _move_receipt_type(apps, "factoring", "collections")


def unlink_cases(apps, schema_editor):
    Receipt = apps.get_model("collections", "Receipt")
    financing_type = _financing_type(apps)
    if Receipt.objects.filter(case_type__isnull=False).exclude(case_type=financing_type).exists():
        raise RuntimeError("Some receipts pay cases other than factoring financings; factoring's financing "
                           "column cannot hold them, so these migrations cannot be unapplied.")
    Receipt.objects.filter(case_type=financing_type).update(financing_id=F("case_id"))
    _move_receipt_type(apps, "collections", "factoring")


class Migration(migrations.Migration):

    dependencies = [
        ("collections", "0002_receipt_case_link"),
        ("factoring", "0007_receipt_moves_to_collections"),
    ]

    operations = [
        migrations.RunPython(link_cases, unlink_cases),
    ]
