"""Two requests at once for the same thing: whoever loses a unique key answers what the winner did.

A double click, a retried task or two systems sending the same bank line at once each reach the
insert; the database's unique key lets one win. The others answer the first one's row (the idempotent
answer), or the conflict their replay raises — never a 500. `insert_once` runs any creation in a
savepoint and rolls it back on a lost race; `insert_unless_taken` inserts one row without a savepoint,
the database skipping it when the key is taken.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, connections, models, router, transaction
from django.db.models.constants import OnConflict

T = TypeVar("T")


def insert_once(create: Callable[[], T], replay: Callable[[], T | None]) -> tuple[T, bool]:
    """Run `create` in a savepoint; on a unique-key loss answer `replay()` instead.

    Return (row, created). `replay` looks the winner's row up (it may raise a domain error when
    the winner recorded something else under the same key); when it finds nothing the integrity
    error was not a lost race and is raised as it was.
    """
    try:
        with transaction.atomic():
            return create(), True
    except IntegrityError:
        found = replay()
        if found is None:
            raise
        return found, False


def insert_unless_taken(obj: models.Model) -> bool:
    """INSERT the unsaved `obj` unless a unique key already holds its values; return whether it was inserted.

    One statement and no savepoint (`INSERT … ON CONFLICT DO NOTHING RETURNING` on PostgreSQL, `INSERT OR
    IGNORE … RETURNING` on SQLite): a lost race costs no rolled back savepoint, and the caller looks the
    winner's row up. When inserted, `obj` has its primary key and is saved; otherwise it is untouched. Other
    refusals (a foreign key, a check) still raise on PostgreSQL; SQLite ignores them too, so a caller that finds
    no winner raises. For plain models only: no parents (multi-table inheritance), no save signals sent.
    """
    meta = obj._meta
    if meta.parents:
        raise TypeError(f"{meta.label} has parent tables: save it with save().")
    if not obj._state.adding:
        raise ValueError(f"{meta.label} #{obj.pk} is already saved.")
    fields = [field for field in meta.local_concrete_fields
              if not field.generated and not (field is meta.auto_field and obj.pk is None)]
    returning = meta.db_returning_fields
    using = router.db_for_write(type(obj), instance=obj)
    if not connections[using].features.can_return_columns_from_insert:
        # No RETURNING (SQLite before 3.35): a skipped row could not be told from an inserted one; a savepoint.
        try:
            with transaction.atomic(using=using):
                obj.save(force_insert=True, using=using)
        except IntegrityError:
            return False
        return True
    rows = type(obj)._base_manager.using(using)._insert(
        [obj], fields=fields, returning_fields=returning, using=using, on_conflict=OnConflict.IGNORE)
    if not rows or rows[0] is None:
        return False
    for value, field in zip(rows[0], returning, strict=True):
        setattr(obj, field.attname, value)
    obj._state.adding = False
    obj._state.db = using
    return True
