"""A step's done tasks (gateways, functions, the end) are stored with the next task the step stores, in one INSERT.

Kept within the unit of work until then, or until it ends; never lost to a savepoint rolled back around the next
task, never stored when the savepoint that made them was rolled back.
"""

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from scf.audit.services import audited
from tests.factories import OrganizationFactory
from workflows.factoring.flows import FactoringFlow
from workflows.inbox.flows import _store, _store_done
from workflows.inbox.models import CaseProcess


def _process():
    return CaseProcess.objects.create(flow_class=FactoringFlow, product="factoring", reference="FF-2026-00001",
                                      applicant=OrganizationFactory(), amount="1000.00", currency="CNY")


def _done(process, node=FactoringFlow.after_confirm):
    return Task(process=process, flow_task=node, status=STATUS.DONE, finished=timezone.now())


def _waiting(process):
    return Task(process=process, flow_task=FactoringFlow.rendering, status=STATUS.NEW)


def _task_inserts(queries):
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "viewflow_task"')]


def test_done_tasks_go_in_one_insert_with_the_next_task(db):
    process = _process()

    @audited
    def step():
        first, second = _done(process), _done(process, FactoringFlow.contracts)
        _store_done(first)
        _store_done(second)
        assert (first.pk, second.pk) == (None, None)  # kept for now
        waiting = _waiting(process)
        _store(waiting)
        return first, second, waiting

    with CaptureQueriesContext(connection) as queries:
        first, second, waiting = step()
    assert len(_task_inserts(queries)) == 1
    assert first.pk < second.pk < waiting.pk
    assert list(Task.objects.filter(process=process).order_by("pk").values_list("flow_task_type", "status")) == [
        ("SWITCH", STATUS.DONE), ("FUNCTION", STATUS.DONE), ("FUNCTION", STATUS.NEW)]


def test_done_tasks_left_at_the_end_of_the_unit_are_stored_then(db):
    process = _process()

    @audited
    def step():
        _store_done(_done(process))

    step()
    assert Task.objects.filter(process=process, status=STATUS.DONE).count() == 1


def test_a_savepoint_rolled_back_around_the_next_task_loses_no_done_task(db):
    """The next task stored within a savepoint opened after the done task was kept: stored alone, so that the
    rollback takes it and leaves the done task to be stored as the unit ends."""
    process = _process()

    @audited
    def step():
        _store_done(_done(process))
        try:
            with transaction.atomic():
                _store(_waiting(process))
                raise RuntimeError("rehearsed")
        except RuntimeError:
            pass

    step()
    assert list(Task.objects.filter(process=process).values_list("status", flat=True)) == [STATUS.DONE]


def test_a_done_task_kept_in_a_savepoint_rolled_back_is_never_stored(db):
    process = _process()

    @audited
    def step():
        try:
            with transaction.atomic():
                _store_done(_done(process))
                raise RuntimeError("rehearsed")
        except RuntimeError:
            pass
        _store(_waiting(process))

    step()
    assert list(Task.objects.filter(process=process).values_list("status", flat=True)) == [STATUS.NEW]


def test_a_done_task_kept_in_a_savepoint_released_since_goes_with_the_next_task(db):
    process = _process()

    @audited
    def step():
        with transaction.atomic():
            _store_done(_done(process))
        _store(_waiting(process))

    with CaptureQueriesContext(connection) as queries:
        step()
    assert len(_task_inserts(queries)) == 1
    assert Task.objects.filter(process=process).count() == 2


def test_outside_a_unit_of_work_a_done_task_is_stored_at_once(db):
    process = _process()
    with transaction.atomic():
        task = _done(process)
        _store_done(task)
        assert task.pk is not None
