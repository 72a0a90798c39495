"""Gapless numbers per key and year, for references and document numbers.

A number is taken under a row lock in the caller's transaction: concurrent callers wait for
each other, and a caller that rolls back gives its number back, so the numbers of one key and
year run 1, 2, 3, … without gaps or duplicates. Each caller formats the number itself
(`FF-2026-00001`, `CF-2026-00001`, `FAC-2026-000001`).
"""

from __future__ import annotations

from .models import NumberSequence


def _sequence_lock(*, key: str, year: int) -> NumberSequence | None:
    return NumberSequence.objects.select_for_update().filter(key=key, year=year).first()


def sequence_next(key: str, year: int) -> int:
    """Return the next number of `key` in `year`; call it inside the transaction that uses the number.

    The first call for a key and year creates its row. Two first callers racing both try to
    insert it: get_or_create catches the loser's IntegrityError (inside a savepoint) and reads
    the winner's row, which both then lock like any later caller.
    """
    sequence = _sequence_lock(key=key, year=year)
    if sequence is None:
        NumberSequence.objects.get_or_create(key=key, year=year)
        sequence = _sequence_lock(key=key, year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def sequence_next_block(key: str, year: int, count: int) -> int:
    """Take the next `count` numbers of `key` in `year` at once; return the first (the block runs on from it).

    For a set-based insert that numbers its rows itself: the caller must use every number of the block.
    """
    if count < 1:
        raise ValueError("a block of numbers holds at least one")
    sequence = _sequence_lock(key=key, year=year)
    if sequence is None:
        NumberSequence.objects.get_or_create(key=key, year=year)
        sequence = _sequence_lock(key=key, year=year)
    first = sequence.last_number + 1
    sequence.last_number += count
    sequence.save(update_fields=["last_number"])
    return first
