"""Give the approval cases of existing financings their lender and parties (four eyes across the case)."""

from django.db import migrations


def forwards(apps, schema_editor):
    FactoringFinancing = apps.get_model("factoring", "FactoringFinancing")
    ApprovalCase = apps.get_model("approval", "ApprovalCase")
    for financing in FactoringFinancing.objects.exclude(approval_case=None).select_related("facility").iterator():
        case = ApprovalCase.objects.get(pk=financing.approval_case_id)
        if case.lender_id is None:
            case.lender_id = financing.lender_id
            case.save(update_fields=["lender"])
        case.parties.add(case.applicant_id, financing.supplier_id, financing.debtor_id)


class Migration(migrations.Migration):
    dependencies = [
        ("factoring", "0005_seed_financing_sequence"),
        ("approval", "0004_case_lender_parties"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
