"""Gapless numbers per key and year, for references and document numbers.

A number is taken under a row lock in the caller's transaction: concurrent callers wait for
each other, and a caller that rolls back gives its number back, so the numbers of one key and
year run 1, 2, 3, … without gaps or duplicates. Each caller formats the number itself
(`FF-2026-00001`, `CF-2026-00001`, `FAC-2026-000001`).
"""

from __future__ import annotations

from django.db import connections, router

from .models import NumberSequence


def _increment(*, key: str, year: int, by: int = 1) -> int:
    """Add `by` (one) to the row of `key` and `year`, creating it at zero first, and return the new number.

    One statement, the first time as every time: an INSERT … ON CONFLICT DO UPDATE (PostgreSQL,
    SQLite 3.24+) either inserts the row at `by` or adds `by` to the existing row. Both lock the row
    until the caller's transaction ends, as SELECT … FOR UPDATE would; two first callers racing to
    insert it meet on the unique (key, year) constraint and the second waits, then updates. RETURNING
    (PostgreSQL, SQLite 3.35+) answers the number written.
    """
    connection = connections[router.db_for_write(NumberSequence)]
    quote = connection.ops.quote_name
    table, last = quote(NumberSequence._meta.db_table), quote("last_number")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({quote('key')}, {quote('year')}, {last}) VALUES (%s, %s, %s) "
            f"ON CONFLICT ({quote('key')}, {quote('year')}) DO UPDATE SET {last} = {table}.{last} + %s "
            f"RETURNING {last}", [key, year, by, by])
        return cursor.fetchone()[0]


def sequence_next(key: str, year: int) -> int:
    """Return the next number of `key` in `year`; call it inside the transaction that uses the number.

    The first call for a key and year creates its row, in the same single statement.
    """
    return _increment(key=key, year=year)


def sequences_next(keys: list[str], year: int) -> dict[str, int]:
    """Return the next number of each of these keys in `year`, in one statement (a pack of documents of several kinds).

    The rows are written in the order of their keys, as a second caller writes them: two packs sharing keys wait for
    each other instead of each holding one row the other wants.
    """
    keys = sorted(set(keys))
    if not keys:
        return {}
    connection = connections[router.db_for_write(NumberSequence)]
    quote = connection.ops.quote_name
    table, last = quote(NumberSequence._meta.db_table), quote("last_number")
    values = ", ".join(["(%s, %s, 1)"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({quote('key')}, {quote('year')}, {last}) VALUES {values} "
            f"ON CONFLICT ({quote('key')}, {quote('year')}) DO UPDATE SET {last} = {table}.{last} + 1 "
            f"RETURNING {quote('key')}, {last}", [part for key in keys for part in (key, year)])
        return dict(cursor.fetchall())


def sequence_next_block(key: str, year: int, count: int) -> int:
    """Take the next `count` numbers of `key` in `year` at once; return the first (the block runs on from it).

    For a set-based insert that numbers its rows itself: the caller must use every number of the block.
    """
    if count < 1:
        raise ValueError("a block of numbers holds at least one")
    return _increment(key=key, year=year, by=count) - count + 1
