"""Complete flow tasks from the services that do the work, under the flow's process lock."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from scf.core.exceptions import ActionNotPermitted, IllegalTransition
from scf.parties.models import User

from . import registry
from .assignment import can_act
from .models import CaseProcess

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


def _artifact_filter(obj) -> dict:
    return {"artifact_content_type": ContentType.objects.get_for_model(type(obj)), "artifact_object_id": obj.pk}


def process_for(obj) -> CaseProcess | None:
    """Return the flow process whose artifact is `obj`, if one was started."""
    # The parties come along: the next tasks' assignment reads them.
    processes = CaseProcess.objects.filter(**_artifact_filter(obj)).select_related("applicant", "counterparty")
    return processes.order_by("-pk").first()


def open_task(process: CaseProcess | None, node) -> Task | None:
    """Return the process's open task of this flow node, if any."""
    if process is None:
        return None
    return Task.objects.filter(process=process, flow_task=node, status__in=OPEN).order_by("pk").first()


def _open_task_locked(obj, node) -> Task | None:
    """Return the open task of `node` on `obj`'s latest process, with its case process; lock the three rows.

    The case process's rows are locked first, in the order every writer of the flow takes them
    (the flows' own lock, `locks.process_row_lock`), so two completions of the case's tasks run one after the other;
    the task's row is locked too. On PostgreSQL a statement that waited for a lock reads the rows it locks as they
    were committed meanwhile and drops those no longer matching: a task the other completed is not found open
    again, and the case's columns are not read as they were before (its end saves the process).
    """
    tasks = (Task.objects.filter(process__artifact_content_type=ContentType.objects.get_for_model(type(obj)),
                                 process__artifact_object_id=obj.pk, process__caseprocess__isnull=False,
                                 flow_task=node, status__in=OPEN)
             .select_related("process__caseprocess__applicant", "process__caseprocess__counterparty")
             .select_for_update(of=("process__caseprocess", "process", "self"))
             .order_by("-process_id", "pk"))
    return tasks.first()


def case_start(obj) -> CaseProcess:
    """Start the flow registered for `obj`'s model, with `obj` as its case."""
    return registry.flow_for(obj).start.run(obj=obj)


def case_submit(obj, *, resubmitted: bool, acting_user: User | None, revise_step: str = "revise",
                **fields) -> None:
    """Put a case submitted for review into its flow: start the flow, or finish its revision task.

    A product's submit service calls this after firing its submit transition. A first submission
    starts the flow registered for `obj`'s model; a resubmission after a return copies the inbox
    columns that may have changed (`fields`: amount, due date, ...) and completes the open task of
    `revise_step`, so the flow routes the case back to review.
    """
    if resubmitted and process_for(obj) is not None:
        if fields:
            process_sync(obj, **fields)
        complete_step(obj, revise_step, acting_user)
    else:
        case_start(obj)


def complete_step(obj, step_name: str, acting_user: User | None, *, check: bool = False,
                  by_key: bool = False, case_fields: dict | None = None) -> bool:
    """Complete the open task of the step `step_name` of `obj`'s flow, when there is one.

    The services that do a step's work call this after firing their transition, so they never
    import the flow; the flow is found through the registry by `obj`'s model. Return whether a
    task was completed. With `check`, refuse a user the task is not meant for. With `by_key`, `obj`
    is an instance with only its key set (a caller that has not read the object): the flow reads the
    case from the process if a step asks for it. `case_fields` are inbox columns the step changed
    (amount, due date, ...), as `process_sync` takes them: written with the task's completion, those
    that differ only.
    """
    node = getattr(registry.flow_for(obj), step_name, None)
    if node is None:
        raise LookupError(f"{registry.flow_for(obj).__name__} has no step {step_name!r}.")
    return complete_open_task(obj, node, acting_user, check=check, by_key=by_key, case_fields=case_fields)


def complete_open_task(obj, node, user: User | None, check: bool = False, by_key: bool = False,
                       case_fields: dict | None = None) -> bool:
    """Complete the open task of `node` on `obj`'s process, when there is one; return whether one was.

    `obj` is the case's business object as the service just saved it: the flow's gateways read it
    from the process instead of loading it again (unless `by_key`: see `complete_step`).
    """
    # The open task is read with its process, the process locked, in one statement, in the flows' lock order:
    # after the business object.
    with transaction.atomic(savepoint=False):
        task = _open_task_locked(obj, node)
        if task is None:
            if case_fields:
                process_sync(obj, **case_fields)
            return False
        process = task.process.caseprocess
        # The inbox columns as the case's lock read them: only those that changed are written.
        changed = {name: value for name, value in (case_fields or {}).items() if getattr(process, name) != value}
        if changed:
            for name, value in changed.items():
                setattr(process, name, value)
            CaseProcess.objects.filter(pk=process.pk).update(**changed)
        if check and (user is None or not can_act(user, task)):
            raise ActionNotPermitted(_("This task is not yours to complete."))
        if not by_key:
            process.artifact = obj
        task.process = process
        _finish(task, user)
    return True


def _finish(task: Task, user: User | None) -> None:
    """Assign, start and complete the task, under its process lock: one write of the task row."""
    if task.status not in OPEN:
        raise IllegalTransition(_("This task is already %(status)s.") % {"status": task.get_status_display()})
    activation = task.flow_task.activation_class(task)
    now = timezone.now()
    if task.status == STATUS.NEW:
        if user is not None and user.is_authenticated:
            task.owner, task.assigned = user, now
        task.status = STATUS.ASSIGNED
    if task.status == STATUS.ASSIGNED:
        task.status, task.started = STATUS.STARTED, now
    activation.execute()


def process_sync(obj, **fields) -> None:
    """Copy the case's inbox columns (amount, due date, ...) after the business object changed."""
    CaseProcess.objects.filter(**_artifact_filter(obj)).update(**fields)


def process_cancel(obj) -> None:
    """End the flow of a withdrawn case: its open tasks leave every inbox."""
    process = process_for(obj)
    if process is None or process.status in (PROCESS.DONE, PROCESS.CANCELED):
        return
    with process.flow_class.lock(process.pk):
        Task.objects.filter(process=process, status__in=OPEN).update(status=STATUS.CANCELED, finished=timezone.now())
        CaseProcess.objects.filter(pk=process.pk).update(status=PROCESS.CANCELED, finished=timezone.now(),
                                                         is_open=False)
