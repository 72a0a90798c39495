"""One task for what a whole transaction wrote: ids collected until commit, then handed over in one call.

    batch_after_commit(_send_mail, [notification.pk])   # the first call registers the callback
    batch_after_commit(_send_mail, [other.pk])          # later ones in the transaction join its list

A batch joins the callback of the same `send` registered within the savepoints still open and not run yet (one
registered in a savepoint since released is not joined: its list stays as it was). A rolled back transaction drops
the callback with its list; a rolled back savepoint leaves the ids of rows that never were, which the task does not
find. Outside a transaction `send` is called at once, as `transaction.on_commit` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import transaction


class AfterCommitBatch:
    """The on-commit callback that hands a transaction's ids to `send` in one call."""

    def __init__(self, send: Callable[[list[int]], None], ids: Iterable[int]):
        self.send = send
        self.ids = list(ids)
        self.sent = False

    def __call__(self) -> None:
        self.sent = True
        self.send(list(dict.fromkeys(self.ids)))


def batch_after_commit(send: Callable[[list[int]], None], ids: Iterable[int]) -> None:
    """Have `send` called once with these ids, and every other id the transaction batches for it, after commit."""
    ids = list(ids)
    if not ids:
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        open_savepoints = set(connection.savepoint_ids)
        for savepoints, func, _robust in connection.run_on_commit:
            if (isinstance(func, AfterCommitBatch) and func.send is send and not func.sent
                    and set(savepoints) <= open_savepoints):
                func.ids.extend(ids)
                return
    transaction.on_commit(AfterCommitBatch(send, ids))
