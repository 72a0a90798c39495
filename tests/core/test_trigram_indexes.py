"""The lists' substring searches are served by trigram indexes on PostgreSQL, written as the ORM writes them."""

import pytest
from django.db import connection

from scf.parties.models import Organization
from workflows.factoring.models import FactoringFinancing, Receivable

SEARCHES = [
    (FactoringFinancing, "reference", "factoring_financing_reference_trgm"),
    (Receivable, "invoice_number", "factoring_receivable_invoice_trgm"),
    (Organization, "legal_name", "parties_organization_name_trgm"),
    (Organization, "legal_name_en", "parties_organization_name_en_trgm"),
    (Organization, "uscc", "parties_organization_uscc_trgm"),
]


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # The test tables are nearly empty, where reading them whole is cheapest: ask whether the
        # index can serve the query, as it does at 100,000 rows (bench/lists.py).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.parametrize("model, field, index", SEARCHES)
def test_icontains_as_the_orm_writes_it_is_served_by_the_trigram_index(postgres_only, model, field, index):
    plan = _plan(model.objects.filter(**{f"{field}__icontains": "ff-2026-0421"}).values_list("pk", flat=True).order_by())
    assert f"Bitmap Index Scan on {index}" in plan, plan


@pytest.mark.postgres
def test_istartswith_of_the_global_search_is_served_too(postgres_only):
    plan = _plan(Receivable.objects.filter(invoice_number__istartswith="inv-70").values_list("pk", flat=True).order_by())
    assert "factoring_receivable_invoice_trgm" in plan, plan
