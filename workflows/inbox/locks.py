"""The flows' process lock: the process row, locked for the rest of the caller's transaction."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import transaction


class ProcessRowLock:
    """Lock the process row with SELECT … FOR UPDATE, waiting for a concurrent holder to commit.

    viewflow's own select-for-update lock asks NOWAIT and retries with sleeps, inside a savepoint
    for each attempt. Here the services have already locked the business object (the financing)
    before they complete a task, so a second worker waits there first; the process lock is taken
    in the same order every time, within the caller's transaction, with no savepoint.
    """

    @contextmanager
    def __call__(self, flow_class, process_pk):
        with transaction.atomic(savepoint=False):
            flow_class.process_class._default_manager.filter(pk=process_pk).select_for_update().exists()
            yield


process_row_lock = ProcessRowLock()
