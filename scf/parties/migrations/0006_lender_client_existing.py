# Existing clients become known to their lender: the obligor of every facility to the facility's lender;
# and, where the deployment has exactly one lender, every other organization to that lender (it was the
# only lender anyone could have been onboarded by). With several lenders, an organization without a
# facility stays unknown to all of them until a superuser or a facility says whose client it is.

from django.db import migrations


def forwards(apps, schema_editor):
    Organization = apps.get_model("parties", "Organization")
    LenderClient = apps.get_model("parties", "LenderClient")
    CreditFacility = apps.get_model("facilities", "CreditFacility")
    pairs = {}
    for lender_id, obligor_id in CreditFacility.objects.values_list("lender_id", "obligor_id"):
        if lender_id != obligor_id:
            pairs.setdefault((lender_id, obligor_id), "facility")
    lenders = list(Organization.objects.filter(is_lender=True).values_list("pk", flat=True))
    if len(lenders) == 1:
        for organization_id in Organization.objects.exclude(pk=lenders[0]).values_list("pk", flat=True):
            pairs.setdefault((lenders[0], organization_id), "existing")
    existing = set(LenderClient.objects.values_list("lender_id", "organization_id"))
    LenderClient.objects.bulk_create(
        LenderClient(lender_id=lender_id, organization_id=organization_id, source=source)
        for (lender_id, organization_id), source in sorted(pairs.items()) if (lender_id, organization_id) not in existing
    )


class Migration(migrations.Migration):

    dependencies = [
        ("parties", "0005_lender_client"),
        ("facilities", "0005_facility_activated_by"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
