"""Two requests at once for the same thing: whoever loses a unique key answers what the winner did.

A double click, a retried task or two systems sending the same bank line at once each reach the
insert; the database's unique key lets one win. The others roll their savepoint back and answer
the first one's row (the idempotent answer), or the conflict their replay raises — never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, transaction

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
