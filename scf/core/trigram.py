"""Trigram indexes behind the lists' substring search, on PostgreSQL only.

`icontains` is written by Django on PostgreSQL as `UPPER("col"::text) LIKE UPPER('%term%')`: no
B-tree serves it, so a search read every row. A GIN index with pg_trgm's `gin_trgm_ops` on that
very expression `UPPER(col::text)` does (for a term of three characters or more; Chinese
characters count as word characters under the database's UTF-8 ctype). The index is the
expression the ORM writes, so the searches need no raw SQL and stay portable.

The migration operation does nothing on SQLite, where the suite also runs: it has neither pg_trgm
nor GIN, and its small databases need no index for a search. pg_trgm is a trusted extension
(PostgreSQL 13 and later), so the database's owner may create it without being a superuser.
The indexes are not in the models' `Meta.indexes` (Django would try to build them on SQLite),
so `makemigrations` does not see them; only these operations create and drop them.
"""

from __future__ import annotations

from django.db.migrations.operations.base import Operation


class TrigramIndex(Operation):
    """Create (and on reversal drop) a GIN trigram index on `UPPER(column::text)` of `table`."""

    reversible = True
    reduces_to_sql = False

    def __init__(self, *, name: str, table: str, column: str):
        self.name = name
        self.table = table
        self.column = column

    def state_forwards(self, app_label, state):
        """The index is not part of any model's state."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {quote(self.name)} ON {quote(self.table)} "
                              f"USING gin ((UPPER({quote(self.column)}::text)) gin_trgm_ops)")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(self.name)}")

    def describe(self) -> str:
        return f"Trigram index {self.name} on UPPER({self.table}.{self.column}) (PostgreSQL only)"

    @property
    def migration_name_fragment(self) -> str:
        return self.name.lower()

    def deconstruct(self):
        return self.__class__.__qualname__, [], {"name": self.name, "table": self.table, "column": self.column}
