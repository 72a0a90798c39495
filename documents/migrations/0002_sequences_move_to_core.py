"""Document numbers now come from the shared sequences of scf.core (key = document kind).

The rows carry over unchanged, so each kind's numbering continues where it stopped.
"""

from django.db import migrations


def copy_to_core(apps, schema_editor):
    DocumentSequence = apps.get_model("documents", "DocumentSequence")
    NumberSequence = apps.get_model("core", "NumberSequence")
    for row in DocumentSequence.objects.all():
        NumberSequence.objects.update_or_create(key=row.kind, year=row.year,
                                                defaults={"last_number": row.last_number})


def copy_back(apps, schema_editor):
    DocumentSequence = apps.get_model("documents", "DocumentSequence")
    NumberSequence = apps.get_model("core", "NumberSequence")
    Document = apps.get_model("documents", "Document")
    # A kind has a sequence row only once one of its documents was numbered, and issued
    # documents are never deleted: the kinds in use are the documents' rows.
    kinds = set(Document.objects.values_list("kind", flat=True).distinct())
    rows = NumberSequence.objects.filter(key__in=kinds)
    for row in rows:
        DocumentSequence.objects.create(kind=row.key, year=row.year, last_number=row.last_number)
    rows.delete()


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
        ("documents", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_to_core, copy_back),
        migrations.DeleteModel(
            name="DocumentSequence",
        ),
    ]
