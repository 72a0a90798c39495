"""Migrating the test database back and forth, with the historical model states of a trip made once.

Django's executor spends nine tenths of a data-migration test rendering historical model states: before
unapplying it replays the history after the target with rendered models, and each operation it runs, either
way, re-renders the models related to the one it changes. Those states depend only on the migration graph,
on what is applied when a trip starts and on the migrations the trip runs, never on the rows in the
database. `TripExecutor` keeps the states of the last trips it made: a trip made again (the same migrations
from the same applied set, as when a test migrates back, forward and back again, or the next test makes the
trip of the one before) runs every operation's SQL and RunPython code again, against the same states, without
rendering them again. A trip not seen before runs exactly as Django runs it.
"""

from __future__ import annotations

from collections import OrderedDict

from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import ProjectState

#: The trips whose states are kept: a test's two directions.
TRIPS_KEPT = 2

_trips: OrderedDict[tuple, tuple[dict, ProjectState]] = OrderedDict()


def _key(migration) -> tuple[str, str]:
    return migration.app_label, migration.name


def _forget_cached_content_types(states) -> None:
    """A historical ContentType manager caches rows by id; a flushed database numbers them anew."""
    for state in states:
        apps = state.__dict__.get("apps")
        if apps is not None and "contenttype" in apps.all_models.get("contenttypes", {}):
            apps.get_model("contenttypes", "ContentType").objects.clear_cache()


def _run(migration, operation, schema_editor, from_state, to_state, backwards: bool) -> None:
    """One operation's database work, inside its own transaction where Django's `Migration.apply` puts one."""
    atomic = operation.atomic or (migration.atomic and operation.atomic is not False)
    run = operation.database_backwards if backwards else operation.database_forwards
    if not schema_editor.atomic_migration and atomic:
        with transaction.atomic(schema_editor.connection.alias):
            run(migration.app_label, schema_editor, from_state, to_state)
    else:
        run(migration.app_label, schema_editor, from_state, to_state)


class TripExecutor(MigrationExecutor):
    """`MigrationExecutor` reusing the rendered states of a trip it made before (see the module)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._recorded: dict | None = None  # operation states of the trip being made, by migration
        self._replayed: dict | None = None  # operation states of the trip being made again

    def _trip(self, direction: str, plan) -> tuple:
        return direction, frozenset(self.loader.applied_migrations), tuple(_key(m) for m, _ in plan)

    def _make(self, key, run, *args):
        if key in _trips:
            _trips.move_to_end(key)
            self._replayed, final = _trips[key]
            for steps in self._replayed.values():
                _forget_cached_content_types(state for _op, before, after in steps for state in (before, after))
            try:
                run(*args)
            finally:
                self._replayed = None
            return final.clone()
        self._recorded = {}
        try:
            state = run(*args)
            recorded = self._recorded
        finally:
            self._recorded = None
        _trips[key] = (recorded, state.clone())
        while len(_trips) > TRIPS_KEPT:
            _trips.popitem(last=False)
        return state

    def _migrate_all_forwards(self, state, plan, full_plan, fake, fake_initial):
        if fake or fake_initial:
            return super()._migrate_all_forwards(state, plan, full_plan, fake, fake_initial)
        key = self._trip("forwards", plan)
        if key in _trips:
            return self._make(key, self._replay, plan, full_plan, False)
        return self._make(key, super()._migrate_all_forwards, state, plan, full_plan, fake, fake_initial)

    def _migrate_all_backwards(self, plan, full_plan, fake):
        if fake:
            return super()._migrate_all_backwards(plan, full_plan, fake)
        key = self._trip("backwards", plan)
        if key in _trips:
            return self._make(key, self._replay, plan, full_plan, True)
        return self._make(key, super()._migrate_all_backwards, plan, full_plan, fake)

    def _replay(self, plan, full_plan, backwards: bool) -> None:
        """Run the plan's migrations in Django's order, each operation against its recorded states."""
        to_run = {m for m, _ in plan}
        order = [m for m, _ in plan] if backwards else [m for m, _ in full_plan if m in to_run]
        for migration in order:
            with self.connection.schema_editor(atomic=migration.atomic) as schema_editor:
                for operation, from_state, to_state in self._replayed[_key(migration)]:
                    _run(migration, operation, schema_editor, from_state, to_state, backwards)
            if backwards:
                for app_label, name in migration.replaces or ():
                    self.recorder.record_unapplied(app_label, name)
                self.recorder.record_unapplied(*_key(migration))
            else:
                self.record_migration(migration)

    def apply_migration(self, state, migration, fake=False, fake_initial=False):
        if self._recorded is None or fake or fake_initial:
            return super().apply_migration(state, migration, fake=fake, fake_initial=fake_initial)
        steps = self._recorded[_key(migration)] = []
        with self.connection.schema_editor(atomic=migration.atomic) as schema_editor:
            for operation in migration.operations:  # Migration.apply, keeping each operation's two states
                before = state.clone()
                operation.state_forwards(migration.app_label, state)
                after = state.clone()
                steps.append((operation, before, after))
                _run(migration, operation, schema_editor, before, after, backwards=False)
        self.record_migration(migration)
        return state

    def unapply_migration(self, state, migration, fake=False):
        if self._recorded is None or fake:
            return super().unapply_migration(state, migration, fake=fake)
        steps = self._recorded[_key(migration)] = []
        after = state
        for operation in migration.operations:  # Migration.unapply, keeping each operation's two states
            if not operation.reversible:
                return super().unapply_migration(state, migration, fake=fake)  # raises IrreversibleError
            after = after.clone()
            before = after.clone()
            operation.state_forwards(migration.app_label, after)
            steps.insert(0, (operation, after, before))
        with self.connection.schema_editor(atomic=migration.atomic) as schema_editor:
            for operation, from_state, to_state in steps:
                _run(migration, operation, schema_editor, from_state, to_state, backwards=True)
        if migration.replaces:
            for app_label, name in migration.replaces:
                self.recorder.record_unapplied(app_label, name)
        self.recorder.record_unapplied(*_key(migration))
        return state


def migrate(targets=None) -> ProjectState:
    """Migrate the test database to `targets` (the latest migrations when None); return the state reached."""
    executor = TripExecutor(connection)
    return executor.migrate(targets or executor.loader.graph.leaf_nodes())
