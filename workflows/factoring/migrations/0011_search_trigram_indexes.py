"""Trigram indexes for the lists' substring search: financing reference and invoice number (PostgreSQL only)."""

from django.db import migrations

from scf.core.trigram import TrigramIndex


class Migration(migrations.Migration):
    dependencies = [
        ("factoring", "0010_financing_list_indexes"),
    ]

    operations = [
        TrigramIndex(name="factoring_financing_reference_trgm", table="factoring_factoringfinancing",
                     column="reference"),
        TrigramIndex(name="factoring_receivable_invoice_trgm", table="factoring_receivable",
                     column="invoice_number"),
    ]
