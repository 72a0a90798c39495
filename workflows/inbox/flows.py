"""The base of every product's flow: a case process carrying one business object, locked by row.

A product's flow subclasses `CaseFlow`, names its `case_model`, says in `case_fields` what the
inbox shows of a case, and routes on the object's state with `in_state`. Its steps' assignment
reads the process's parties (`organization_of("applicant")`) or the case's lender (`lender_of`).

    class FactoringFlow(CaseFlow):
        case_model = FactoringFinancing
        start = StartHandle(this.start_case).Next(this.review)
        review = View(steps.review).Permission(DECIDE, obj=lender_of).Next(this.end)
        end = End()
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import Exists, Q
from django.db.models.signals import post_save, pre_save
from django.utils.timezone import now
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.context import context
from viewflow.workflow.exceptions import FlowRuntimeError
from viewflow.workflow.models import Process, Task
from viewflow.workflow.nodes.end import EndActivation
from viewflow.workflow.nodes.func import FunctionActivation
from viewflow.workflow.nodes.handle import HandleActivation
from viewflow.workflow.nodes.join import JoinActivation
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.nodes.start import StartHandleActivation
from viewflow.workflow.nodes.switch import SwitchActivation
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.signals import flow_finished, flow_started, task_finished, task_started
from viewflow.workflow.status import PROCESS, STATUS

from scf.audit.services import at_unit_of_work_end_together, kept_take
from scf.parties.models import Organization

from .locks import process_row_lock
from .models import CaseProcess

# What `case_fields` may fill on the process: the inbox filters, sorts and shows these.
CASE_FIELDS = ("product", "reference", "applicant", "counterparty", "currency", "amount", "due_date")


def case_of(activation):
    """Return the case's business object; the service that completed the task left it on the process."""
    return activation.process.artifact


def in_state(*states: str) -> Callable:
    """Return a gateway condition: the case's business object is in one of these states."""

    def condition(activation) -> bool:
        return case_of(activation).state in states

    return condition


def lender_of(process) -> Organization:
    """Return the lender of the case (the permission object of the lender staff's steps)."""
    return process.artifact.lender


class _KeptDone:
    """An activation whose task may wait unsaved for the next task of its unit of work (see `_store_done`): viewflow
    keeps activations in sets, hashed by their task's key, which such a task gets only later. Hashed by the task's
    identity instead, which never changes: no two activations of one of these tasks are ever made in one step."""

    def __hash__(self) -> int:
        return id(self.task)


class _CaseSwitchActivation(_KeptDone, SwitchActivation):
    """viewflow's, without the savepoint around the branches' conditions, and stored once, routed and done.

    A case's gateways route on its business object as the service left it on the process (`in_state`): their
    conditions write nothing, so there is nothing to roll back, and two statements a gateway are saved; routing
    before the task is stored saves its update.
    """

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        """Route before the gateway's task is stored: it is written once, done (viewflow's writes it new, then
        updates it done in the same transaction); viewflow then goes straight on to the chosen branch."""
        task = flow_task.flow_class.task_class(process=prev_activation.process, flow_task=flow_task, token=token)
        task.data = data if data is not None else {}
        task.seed = seed
        activation = cls(task)
        activation._route()
        task.status = STATUS.DONE
        task.finished = now()
        _store_done(task)
        link_previous(task, prev_activation.task)
        return activation

    @Activation.status.super()
    def activate(self):
        self._route()

    def _route(self):
        with self.exception_guard():
            for node, condition in self.flow_task._branches:
                if condition is None:
                    self.next_task = node  # the default, unless a later case holds
                elif condition(self):
                    self.next_task = node
                    break
            if not self.next_task:
                raise FlowRuntimeError(f"No next task available for {self.flow_task.name}")


class Switch(flow.Switch):
    """A gateway routing a case on its business object (see `_CaseSwitchActivation`); declared as viewflow's."""

    activation_class = _CaseSwitchActivation


class _CaseJoinActivation(JoinActivation):
    """viewflow's join of parallel signing branches, reading no more than it must of each arrival.

    Each branch arriving looks the join task up (created by the first, already started) and, in the same read, the
    split's tasks still open, and links itself to it; the last one marks the join done. Deciding on arrival holds
    because every branch ends in a person's task (checked on every flow: tests/inbox/test_flow_shapes.py), which
    completes on its own click, once the split has made all its branches. viewflow's reads the
    process twice more per arrival (the join task's, then its product subclass: here the arriving branch's own,
    already locked), the arrived branches' tokens up to three times and whether one is open twice, and wraps
    completion in a savepoint for cancelling the other branches, which a join of all branches never does. The
    split's prefix is the arriving branch's: every branch of a case's signing split carries the same one. Arrivals
    are serialised by the process lock the completing step holds (`locks.process_row_lock`).
    """

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        process = prev_activation.process
        task_class = flow_task.flow_class.task_class
        join_token = token.get_base_split_token() if token.is_split_token() else token
        prefix = prev_activation.task.token.get_common_split_prefix(join_token, prev_activation.task.pk)
        # The join task, if an earlier branch made it, and the split's branches still open, in one read.
        found = list(task_class._default_manager.filter(process=process).filter(
            Q(flow_task=flow_task, status__in=[STATUS.NEW, STATUS.STARTED])
            | (Q(token__startswith=prefix) & ~Q(status__in=[STATUS.DONE, STATUS.CANCELED, STATUS.REVIVED])))
            .order_by("pk"))
        tasks = [task for task in found if task.flow_task == flow_task and task.status in (STATUS.NEW, STATUS.STARTED)]
        if len(tasks) > 1:
            raise FlowRuntimeError("More than one join instance for process found")
        if tasks:
            task = tasks[0]
        else:
            task = task_class(process=process, flow_task=flow_task, status=STATUS.STARTED, started=now(),
                              token=join_token)
            task.data = data if data is not None else {}
            task.seed = seed
            _store(task)
        task.process = process  # the arriving branch's, locked and coerced: not read again
        link_previous(task, prev_activation.task)
        activation = cls(task)
        activation._prefix = prev_activation.task.token.get_common_split_prefix(task.token, prev_activation.task.pk)
        if activation._prefix == prefix:  # the read asked for the split's open tasks under this prefix
            activation._done = not [other for other in found if other not in tasks]
        return activation

    # An activation made from a stored join task (not by an arriving branch) has no arriving prefix: viewflow's.
    _prefix = None
    _done = None

    def _join_token_prefixes(self):
        return super()._join_token_prefixes() if self._prefix is None else {self._prefix}

    def is_done(self):
        if self._prefix is None:
            return super().is_done()
        if self._done is None:  # asked by can_proceed, then by the transition itself
            self._done = not self._active_join_tasks(self._prefix).exists()
        return self._done

    @Activation.status.super()
    def complete(self):
        with self.exception_guard():
            super(JoinActivation, self).complete.original()


class Join(flow.Join):
    """A join of all a split's branches (see `_CaseJoinActivation`); declared as viewflow's."""

    activation_class = _CaseJoinActivation

    def __init__(self, **kwargs):
        if kwargs.get("continue_on_condition"):
            raise ValueError("A case's join waits for all its branches (continue_on_condition is not supported).")
        super().__init__(**kwargs)


class _CaseStartActivation(_KeptDone, StartHandleActivation):
    """viewflow's start of a process from code, joining the service's transaction and taking no lock.

    viewflow's saves the new process in a savepoint, then locks it to go on: no other transaction can see a process
    its own has not committed yet, so the lock (a statement) guards nothing, and a failure rolls the service's whole
    transaction back anyway (the savepoint's two statements). Its task, done at once, is stored with the next task
    the start makes (see `_store_done`).
    """

    @Activation.status.super()
    def execute(self):
        task_started.send(sender=self.flow_class, process=self.process, task=self.task)
        with transaction.atomic(savepoint=False):
            self.process.save()
            if context.propagate_exception:
                # viewflow's complete(), the task kept for the next task's INSERT.
                self.task.status, self.task.finished = STATUS.DONE, now()
                _store_done(self.task)
                task_finished.send(sender=self.flow_class, process=self.process, task=self.task)
            else:
                self.complete()
            flow_started.send(sender=self.flow_class, process=self.process, task=self.task)
            self.activate_next()


class StartHandle(flow.StartHandle):
    """A case's start, run by the service that creates the case (see `_CaseStartActivation`)."""

    activation_class = _CaseStartActivation


def link_previous(task, previous) -> None:
    """Link a new task to the one before it; within a unit of work, all its links are inserted together as it ends.

    A step that creates several tasks (a split's branches, a function and the task after it) writes their links in
    one statement instead of one each. Nothing reads a task's links before its transaction commits.
    """
    if not at_unit_of_work_end_together("task_links", (task, previous), _links_insert):
        task.previous.add(previous)


def _links_insert(pairs: list[tuple]) -> None:
    _done_tasks_insert(kept_take(TASKS_DONE, lambda item: True))  # the links need the keys of the tasks kept
    links = Task.previous.through
    links.objects.bulk_create([links(from_task_id=task.pk, to_task_id=previous.pk) for task, previous in pairs],
                              ignore_conflicts=True)


class _CaseViewActivation(ViewActivation):
    """viewflow's human task, its link to the task before it written with the unit of work's others."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        activation = cls(_unsaved_task(flow_task, prev_activation, token, data, seed))
        task = activation.task
        owner_permission = flow_task.calc_owner_permission(activation)
        if owner_permission:
            task.owner_permission = owner_permission
            task.owner_permission_obj = flow_task.calc_owner_permission_obj(activation)
        owner = flow_task.calc_owner(activation)
        if owner:
            task.owner, task.status = owner, STATUS.ASSIGNED
        _store(task)
        link_previous(task, prev_activation.task)
        if flow_task._on_create is not None:
            flow_task._on_create(activation)
        return activation


class View(flow.View):
    """A person's task in a case's flow (see `_CaseViewActivation`); declared as viewflow's."""

    activation_class = _CaseViewActivation


class _CaseHandleActivation(HandleActivation):
    """viewflow's wait for code to complete a step, its link to the task before it written with the others."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        activation = cls(_unsaved_task(flow_task, prev_activation, token, data, seed))
        _store(activation.task)
        link_previous(activation.task, prev_activation.task)
        return activation


class Handle(flow.Handle):
    """A step that code completes, such as a worker's (see `_CaseHandleActivation`); declared as viewflow's."""

    activation_class = _CaseHandleActivation


def _stored_done(activation, prev_activation, *, key_needed: bool = False) -> None:
    """Store a node's task once, done, after the previous one (viewflow's stores it new, then updates it done); its
    signals are sent as viewflow's would. Unless its key is needed at once (`key_needed`: a split's makes its
    branches' tokens), it is stored with the next task the unit of work stores (see `_store_done`)."""
    task = activation.task
    task.status = STATUS.DONE
    task.finished = now()
    if key_needed:
        _store(task)
    else:
        _store_done(task)
    link_previous(task, prev_activation.task)
    task_finished.send(sender=activation.flow_class, process=activation.process, task=task)


# A step's gateways, functions and end store their tasks done, as the flow passes them; nothing reads such a task
# within the unit of work that made it (the join, the end and the open-task reads look for tasks not done, a task's
# links are written as the unit ends). They are kept and inserted with the next task the unit stores, in one
# statement (a step that routes through a gateway to a person's task stores both at once), or as the unit ends.
TASKS_DONE = "tasks_done"


def _store_done(task: Task) -> None:
    """Store a new task made done with the next task the unit of work stores, or as it ends (outside one: now).

    When exceptions are not propagated, viewflow's own nodes run (they link a task to the one before it at once):
    stored now.
    """
    if not context.propagate_exception or not at_unit_of_work_end_together(
            TASKS_DONE, (task, _savepoints()), _done_tasks_insert):
        _tasks_insert([task])


def _store(task: Task) -> None:
    """Store a new task now, with the done tasks kept before it that can go with it (see `_store_done`)."""
    here = _savepoints()
    # Only those kept at this savepoint or within savepoints since released: one kept outside a savepoint still
    # open would be rolled back with it and lost.
    kept = kept_take(TASKS_DONE, lambda item: item[1][:len(here)] == here)
    _tasks_insert([*(done for done, _where in kept), task])


def _savepoints() -> tuple[str, ...]:
    """The savepoints open here (a block without one rolls back only with its enclosing one)."""
    return tuple(sid for sid in transaction.get_connection().savepoint_ids if sid is not None)


def _done_tasks_insert(items: list[tuple[Task, tuple[str, ...]]]) -> None:
    _tasks_insert([task for task, _where in items])


def _tasks_insert(tasks: list[Task]) -> None:
    """Insert new tasks in one statement, their signals sent as their saves would (the inbox announces a person's
    new task on its post_save); viewflow's `Task.save` fills the task's type."""
    if not tasks:
        return
    if len(tasks) == 1 or not transaction.get_connection().features.can_return_rows_from_bulk_insert:
        for task in tasks:
            task.save()
        return
    task_class = type(tasks[0])
    for task in tasks:
        if task.flow_task and not task.flow_task_type:
            task.flow_task_type = task.flow_task.task_type
        pre_save.send(sender=task_class, instance=task, raw=False, using=None, update_fields=None)
    task_class._default_manager.bulk_create(tasks)
    for task in tasks:
        post_save.send(sender=task_class, instance=task, created=True, update_fields=None, raw=False,
                       using=task._state.db)


def _unsaved_task(flow_task, prev_activation, token, data, seed):
    task = flow_task.flow_class.task_class(process=prev_activation.process, flow_task=flow_task, token=token)
    task.data = data if data is not None else {}
    task.seed = seed
    return task


def _started(activation_class, flow_task, prev_activation, token, data, seed):
    """An activation of a new task not stored yet, started (viewflow's signal sent), to do its work at once."""
    activation = activation_class(_unsaved_task(flow_task, prev_activation, token, data, seed))
    activation.task.started = now()
    task_started.send(sender=activation.flow_class, process=activation.process, task=activation.task)
    return activation


# viewflow runs a Function's callback and an End's closing in a savepoint, so that a failure can be kept on the task
# (its ERROR state) while the transaction goes on: that is only when exceptions are not propagated
# (`context.propagate_exception` False, as viewflow's own jobs run). A case's flows propagate them: the service's
# transaction rolls back whole, and the savepoint (two statements a node) guards nothing. These do their work as the
# flow reaches them and store their task once, done; viewflow's way is kept when exceptions are not propagated.

class _CaseFunctionActivation(_KeptDone, FunctionActivation):
    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        if not context.propagate_exception:
            return super().create(flow_task, prev_activation, token, data=data, seed=seed)
        activation = _started(cls, flow_task, prev_activation, token, data, seed)
        flow_task._func(activation)
        _stored_done(activation, prev_activation)
        return activation


class Function(flow.Function):
    """A callback run as the flow reaches it (see `_CaseFunctionActivation`); declared as viewflow's."""

    activation_class = _CaseFunctionActivation


class _CaseSplitActivation(SplitActivation):
    """viewflow's parallel split, its branches chosen before its task is stored, once, done."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        activation = cls(_unsaved_task(flow_task, prev_activation, token, data, seed))
        activation._choose()
        _stored_done(activation, prev_activation, key_needed=True)  # the branches' tokens are made from its key
        return activation

    @Activation.status.super()
    def activate(self):
        self._choose()

    def _choose(self):
        self.next_tasks = [(node, None) for node, condition, _data_source in self.flow_task._branches
                           if not condition or condition(self)]
        if not self.next_tasks:
            raise FlowRuntimeError(f"No next task available for {self.flow_task.name}")


class Split(flow.Split):
    """A parallel split of a case's flow (see `_CaseSplitActivation`); declared as viewflow's."""

    activation_class = _CaseSplitActivation


class _CaseEndActivation(_KeptDone, EndActivation):
    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        if not context.propagate_exception:
            return super().create(flow_task, prev_activation, token, data=data, seed=seed)
        activation = _started(cls, flow_task, prev_activation, token, data, seed)
        closed = activation._close(others=activation.flow_class.task_class._default_manager.filter(
            process=activation.process, finished__isnull=True))
        _stored_done(activation, prev_activation)
        if closed:
            flow_finished.send(sender=activation.flow_class, process=activation.process, task=activation.task)
        return activation

    @Activation.status.super()
    def activate(self):
        if not context.propagate_exception:
            return super().activate.original()
        with self.exception_guard():
            self.task.started = now()
            task_started.send(sender=self.flow_class, process=self.process, task=self.task)
            closed = self._close(others=self.flow_class.task_class._default_manager.filter(
                process=self.process, finished__isnull=True).exclude(pk=self.task.pk))
            task_finished.send(sender=self.flow_class, process=self.process, task=self.task)
            if closed:
                flow_finished.send(sender=self.flow_class, process=self.process, task=self.task)

    def _close(self, *, others) -> bool:
        """Close the process once no other task of it is open; return whether it was closed.

        A case's process is closed by one UPDATE that asks in its WHERE whether another task is open (under the
        process lock its step holds), then its inbox row is marked closed: no read beforehand.
        """
        process, finished = self.process, now()
        if not isinstance(process, CaseProcess):
            if others.exists():
                return False
            process.status, process.finished = PROCESS.DONE, finished
            process.save()
            return True
        if not Process.objects.filter(pk=process.pk).filter(~Exists(others)).update(status=PROCESS.DONE,
                                                                                    finished=finished):
            return False
        process.status, process.finished, process.is_open = PROCESS.DONE, finished, False
        CaseProcess.objects.filter(pk=process.pk).update(is_open=False)
        return True


class End(flow.End):
    """The end of a case's flow: the process is done once no other task is open (see `_CaseEndActivation`)."""

    activation_class = _CaseEndActivation


class CaseFlow(flow.Flow):
    """A product's flow: one process per case, its business object as the artifact."""

    process_class = CaseProcess
    lock_impl = process_row_lock
    case_model = None
    # Relations of the case object its task pages read, loaded with it (`steps.case_object`).
    case_related: tuple[str, ...] = ()
    # The template laying out the case beside a task's form (it includes the generic cards).
    case_template = ""
    # The case page's stepper (`workflows.inbox.progress`): the human steps in order (empty: as
    # declared), and the steps shown only once a case met them (a revision loop, say).
    progress_steps: tuple[str, ...] = ()
    progress_optional: tuple[str, ...] = ()

    def progress_not_needed(self, obj) -> tuple[str, ...]:
        """Return the human steps this case never takes (a branch its terms rule out), shown "not needed"."""
        return ()

    def case_fields(self, obj) -> dict:
        """Return the inbox columns of a case (keys from CASE_FIELDS)."""
        raise NotImplementedError

    def case_context(self, request, obj) -> dict:
        """Return what the product's case template shows beyond the generic cards, for this user."""
        return {}

    def start_case(self, activation, obj):
        """Start a process for `obj` (the handler of the flow's StartHandle)."""
        process = activation.process
        process.artifact = obj
        fields = self.case_fields(obj)
        unknown = set(fields) - set(CASE_FIELDS)
        if unknown:
            raise ValueError(f"Unknown case fields: {', '.join(sorted(unknown))}")
        for name, value in fields.items():
            setattr(process, name, value)
        return process
