"""Trigram indexes for the lists' party search: names in both languages and credit code (PostgreSQL only)."""

from django.db import migrations

from scf.core.trigram import TrigramIndex


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0010_user_time_zone"),
    ]

    operations = [
        TrigramIndex(name="parties_organization_name_trgm", table="parties_organization", column="legal_name"),
        TrigramIndex(name="parties_organization_name_en_trgm", table="parties_organization", column="legal_name_en"),
        TrigramIndex(name="parties_organization_uscc_trgm", table="parties_organization", column="uscc"),
    ]
