"""A database's rows kept in memory and put back: the browser walks seed the demo once per worker.

Seeding the demo takes some ten seconds (its cases go through the services: approvals, documents laid out and
sealed); every walk starts from the same seeded demo in a flushed database. The first walk of a worker seeds it and
keeps every table's rows; the next ones put those rows back, in a transaction, with their keys: the flush left
only what the migrations' signals recreate (content types, permissions, staff groups), which is deleted first. The
files the documents point at stay in the worker's in-memory storage.

Foreign keys are checked at commit (Django declares them deferred on both databases); tables are filled parents
first, for the triggers that read another table (the four-eyes rule reads its approval case). Each table's sequence
is set past the rows put back (a migration test may have recreated a table, and its sequence, meanwhile).
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import connection, transaction

Snapshot = list[tuple[str, list[str], list[tuple]]]


def _tables_parents_first() -> list[str]:
    """Every model table, each after the tables its foreign keys point at (cycles broken where they close)."""
    parents: dict[str, set[str]] = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        table = model._meta.db_table
        parents.setdefault(table, set()).update(
            field.related_model._meta.db_table for field in model._meta.concrete_fields
            if field.is_relation and field.related_model is not None and field.related_model._meta.db_table != table)
        for parent in model._meta.get_parent_list():
            parents[table].add(parent._meta.db_table)
    ordered: list[str] = []
    seen: set[str] = set()

    def visit(table: str) -> None:
        if table in seen:
            return
        seen.add(table)
        for parent in sorted(parents.get(table, ())):
            visit(parent)
        ordered.append(table)

    for table in sorted(parents):
        visit(table)
    existing = set(connection.introspection.table_names())
    return [table for table in ordered if table in existing]


def take() -> Snapshot:
    """Every model table's rows, parents first."""
    quote = connection.ops.quote_name
    snapshot: Snapshot = []
    with connection.cursor() as cursor:
        for table in _tables_parents_first():
            cursor.execute(f"SELECT * FROM {quote(table)}")
            rows = cursor.fetchall()
            if rows:
                snapshot.append((table, [column[0] for column in cursor.description], rows))
    return snapshot


def restore(snapshot: Snapshot) -> None:
    """Put the snapshot's rows back into the flushed database, as they were."""
    quote = connection.ops.quote_name
    tables = _tables_parents_first()
    with transaction.atomic(), connection.cursor() as cursor:
        for table in reversed(tables):
            cursor.execute(f"DELETE FROM {quote(table)}")
        for table, columns, rows in snapshot:
            names = ", ".join(quote(column) for column in columns)
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)
        models = [model for model in apps.get_models(include_auto_created=True)
                  if model._meta.managed and not model._meta.proxy]
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
    ContentType.objects.clear_cache()  # the flush's content types had other keys
