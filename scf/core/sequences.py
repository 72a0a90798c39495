"""Gapless numbers per key and year, for references and document numbers.

A number is taken under a row lock in the caller's transaction: concurrent callers wait for
each other, and a caller that rolls back gives its number back, so the numbers of one key and
year run 1, 2, 3, … without gaps or duplicates. Each caller formats the number itself
(`FF-2026-00001`, `CF-2026-00001`, `FAC-2026-000001`).
"""

from __future__ import annotations

from django.db import connections, router

from .models import NumberSequence


def _increment(*, key: str, year: int, by: int = 1) -> int | None:
    """Add `by` (one) to the row of `key` and `year` and return the new number, or None when there is no row yet.

    One statement: the UPDATE locks the row until the caller's transaction ends, as SELECT … FOR UPDATE
    would, and RETURNING (PostgreSQL, SQLite 3.35+) answers the number it wrote.
    """
    connection = connections[router.db_for_write(NumberSequence)]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(NumberSequence._meta.db_table)} SET {quote('last_number')} = {quote('last_number')} + %s "
            f"WHERE {quote('key')} = %s AND {quote('year')} = %s RETURNING {quote('last_number')}", [by, key, year])
        row = cursor.fetchone()
    return row[0] if row else None


def sequence_next(key: str, year: int) -> int:
    """Return the next number of `key` in `year`; call it inside the transaction that uses the number.

    The first call for a key and year creates its row. Two first callers racing both try to
    insert it: get_or_create catches the loser's IntegrityError (inside a savepoint) and reads
    the winner's row, which both then lock like any later caller.
    """
    number = _increment(key=key, year=year)
    if number is None:
        NumberSequence.objects.get_or_create(key=key, year=year)
        number = _increment(key=key, year=year)
    return number


def sequence_next_block(key: str, year: int, count: int) -> int:
    """Take the next `count` numbers of `key` in `year` at once; return the first (the block runs on from it).

    For a set-based insert that numbers its rows itself: the caller must use every number of the block.
    """
    if count < 1:
        raise ValueError("a block of numbers holds at least one")
    last = _increment(key=key, year=year, by=count)
    if last is None:
        NumberSequence.objects.get_or_create(key=key, year=year)
        last = _increment(key=key, year=year, by=count)
    return last - count + 1
