"""A bare viewflow flow of the factoring flow's shape: the yardstick `bench/lifecycle.py` runs beside it.

The same nodes as `workflows.factoring.flows.FactoringFlow` on a lifecycle's path — a start, the debtor's
confirmation, the credit review, the contracts issued by a function, three signing tasks between a split
and a join, the sealing handle, disburse, collect and settle, with the switches between them — on viewflow's
own `Process` model, its `select_for_update` lock, and no business object: no receivable, financing,
facility, ledger, documents, audit, notifications or permission checks. A step is one transaction that
locks the process, finds its open task and completes it, as `workflows.inbox.services.complete_step`
does for the product's services. What the product spends above this is its own work.
"""

from __future__ import annotations

import sys

from django.db import transaction
from django.utils import timezone
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

OPEN = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
# viewflow stores a flow by the installed app holding its module: this module stands in the inbox app
# under a name of its own (no migration, no URL; only the bench imports it).
MODULE = "workflows.inbox.bench_bare_flow"
sys.modules.setdefault(MODULE, sys.modules[__name__])


def _no_view(request, **kwargs):  # never served: tasks are completed through their activation
    raise NotImplementedError


def _stage(name: str):
    return lambda activation: activation.process.data.get("stage") == name


class BareFlow(flow.Flow):
    __module__ = MODULE
    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle(this.start_case).Next(this.after_request)
    after_request = flow.Switch().Case(this.review, _stage("review")).Default(this.confirm)
    confirm = flow.View(_no_view).Next(this.after_confirm)
    after_confirm = flow.Switch().Case(this.review, _stage("review")).Default(this.end)
    review = flow.View(_no_view).Next(this.after_review)
    after_review = flow.Switch().Case(this.contracts, _stage("approved")).Default(this.end)
    contracts = flow.Function(this.issue_contracts).Next(this.signing)
    signing = flow.Split().Next(this.sign_supplier).Next(this.sign_debtor).Next(this.sign_lender)
    sign_supplier = flow.View(_no_view).Next(this.signed)
    sign_debtor = flow.View(_no_view).Next(this.signed)
    sign_lender = flow.View(_no_view).Next(this.signed)
    signed = flow.Join().Next(this.sealing)
    sealing = flow.Handle().Next(this.disburse)
    disburse = flow.View(_no_view).Next(this.collect)
    collect = flow.View(_no_view).Next(this.after_collect)
    after_collect = flow.Switch().Case(this.settle, _stage("paid")).Default(this.collect)
    settle = flow.View(_no_view).Next(this.end)
    end = flow.End()

    def start_case(self, activation, stage):
        activation.process.data = {"stage": stage}
        return activation.process

    def issue_contracts(self, activation):
        activation.process.data["stage"] = "issued"
        activation.process.save(update_fields=["data"])


def _complete(process_pk: int, node, user, stage: str | None = None) -> None:
    """One step: lock the process, complete the open task of `node` (moving the case to `stage` first)."""
    with transaction.atomic(), BareFlow.lock(process_pk):
        task = (Task.objects.select_related("process").filter(process_id=process_pk, flow_task=node,
                                                               status__in=OPEN).order_by("pk").first())
        if stage is not None:
            task.process.data["stage"] = stage
            task.process.save(update_fields=["data"])
        activation = node.activation_class(task)
        now = timezone.now()
        task.owner, task.assigned = user, now
        task.status, task.started = STATUS.STARTED, now
        activation.execute()


def bare_lifecycle(user) -> None:
    """One case through the bare flow, step by step as the product's lifecycle goes; it must end done."""
    with transaction.atomic():
        process = BareFlow.start.run(stage="confirm")
    _complete(process.pk, BareFlow.confirm, user, stage="review")
    _complete(process.pk, BareFlow.review, user, stage="approved")
    for node in (BareFlow.sign_supplier, BareFlow.sign_debtor, BareFlow.sign_lender):
        _complete(process.pk, node, user)
    _complete(process.pk, BareFlow.sealing, None)
    _complete(process.pk, BareFlow.disburse, user)
    _complete(process.pk, BareFlow.collect, user, stage="paid")
    _complete(process.pk, BareFlow.settle, user)
    process.refresh_from_db()
    assert process.status == "DONE", process.status
