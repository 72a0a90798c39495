"""Where a case stands: its flow's human steps in order, each done, current or still to come.

The steps are the flow's human (View) nodes in the order the flow declares them, which is the
order a case meets them; a flow may name them itself (`CaseFlow.progress_steps`). A step the case
went past without a task (a branch not taken: no debtor confirmation on a reverse factoring, no
revision when the first review approved) reads "not needed"; a step after the point where the case
ended reads "not reached". Steps a flow marks optional (`CaseFlow.progress_optional`, such as a
revision loop) are shown only once the case met them. A step the case's own terms rule out
(`CaseFlow.progress_not_needed`: no warehouse signature on a three-party agreement) reads "not
needed" from the start.

For the current step the stepper says who must act, as the inbox assigns it
(`workflows.inbox.assignment`): a role in an organization, or a staff permission in the lender,
or the person the task is assigned to, and since when (the task's creation).

Three queries at most: the process, its tasks (with their owners), the organizations named.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from scf.parties.models import Organization, User

from .assignment import OPERATE_FOR, SIGN_FOR
from .models import CaseProcess
from .services import OPEN, process_for

DONE = "done"
CURRENT = "current"
UPCOMING = "upcoming"
SKIPPED = "skipped"  # the case went past it without it: a branch not taken
NOT_REACHED = "not_reached"  # the case ended before it


def person_name(user: User | None) -> str:
    """Return how a person is named on a page: the full name, else the username."""
    if user is None:
        return ""
    return user.get_full_name().strip() or user.get_username()


@dataclass
class Step:
    name: str
    title: str
    state: str
    # The current step's: who must act and since when.
    actor: str = ""
    since: datetime.datetime | None = None
    # A done step's: who did it and when.
    done_by: str = ""
    done_at: datetime.datetime | None = None

    @property
    def state_label(self) -> str:
        return {DONE: _("Done"), CURRENT: _("Current step"), UPCOMING: _("To come"),
                SKIPPED: _("Not needed"), NOT_REACHED: _("Not reached")}[self.state]


@dataclass
class Progress:
    steps: list[Step] = field(default_factory=list)
    finished: bool = False
    cancelled: bool = False


def flow_steps(flow_class) -> list:
    """Return the flow's human steps in the order the flow declares them (or names them)."""
    named = getattr(flow_class, "progress_steps", None)
    if named:
        return [getattr(flow_class, name) for name in named]
    nodes = flow_class.instance._nodes_by_name
    declared = [name for klass in reversed(flow_class.__mro__) for name in vars(klass) if name in nodes]
    ordered = list(dict.fromkeys(declared))
    return [nodes[name] for name in ordered if getattr(nodes[name], "task_type", "") == "HUMAN"]


def _permission_labels() -> dict[str, str]:
    """Return the staff permissions' names in the reader's language, by "app.codename" (no query)."""
    labels = {}
    for codename, label in CaseProcess._meta.permissions:
        labels[f"{CaseProcess._meta.app_label}.{codename}"] = str(label)
    return labels


def task_actor(task: Task, organizations: dict[int, Organization]) -> str:
    """Return who must act on an open task, as the inbox assigns it."""
    if task.owner_id is not None:
        return person_name(task.owner)
    organization = organizations.get(int(task.owner_permission_obj_pk)) if task.owner_permission_obj_pk else None
    name = organization.legal_name if organization is not None else ""
    if task.owner_permission == OPERATE_FOR:
        return _("An operator of %(organization)s") % {"organization": name}
    if task.owner_permission == SIGN_FOR:
        return _("A signatory of %(organization)s") % {"organization": name}
    if task.owner_permission:
        permission = _permission_labels().get(task.owner_permission) or task.owner_permission
        return _("Staff of %(lender)s who may: %(permission)s") % {"lender": name, "permission": permission}
    return ""


def case_progress(obj, *, process: CaseProcess | None = None) -> Progress | None:
    """Return the steps of `obj`'s flow and where the case stands on them; None before its flow started."""
    process = process if process is not None else process_for(obj)
    if process is None:
        return None
    flow_class = process.flow_class
    nodes = flow_steps(flow_class)
    optional = set(getattr(flow_class, "progress_optional", ()))
    not_needed = set(flow_class.instance.progress_not_needed(obj)) if hasattr(
        flow_class.instance, "progress_not_needed") else set()
    tasks = list(Task.objects.filter(process_id=process.pk).select_related("owner").order_by("created", "pk"))
    by_node: dict[str, list[Task]] = {}
    for task in tasks:
        if task.flow_task is not None:
            by_node.setdefault(task.flow_task.name, []).append(task)
    organization_ids = {int(t.owner_permission_obj_pk) for t in tasks
                        if t.status in OPEN and t.owner_id is None and (t.owner_permission_obj_pk or "").isdigit()}
    organizations = Organization.objects.in_bulk(sorted(organization_ids)) if organization_ids else {}
    closed = process.status in (PROCESS.DONE, PROCESS.CANCELED)
    progress = Progress(finished=process.status == PROCESS.DONE, cancelled=process.status == PROCESS.CANCELED)
    # The last step, in the flow's order, that the case has reached: steps before it without a task were passed by.
    reached = [i for i, node in enumerate(nodes)
               if any(t.status in OPEN or t.status == STATUS.DONE for t in by_node.get(node.name, ()))]
    last_reached = max(reached, default=-1)
    for index, node in enumerate(nodes):
        node_tasks = by_node.get(node.name, [])
        open_tasks = [t for t in node_tasks if t.status in OPEN]
        done_tasks = [t for t in node_tasks if t.status == STATUS.DONE]
        step = Step(name=node.name, title=str(node.task_title), state=UPCOMING)
        if open_tasks:
            step.state, step.since = CURRENT, open_tasks[0].created
            step.actor = task_actor(open_tasks[0], organizations)
        elif done_tasks:
            step.state = DONE
            step.done_by, step.done_at = person_name(done_tasks[-1].owner), done_tasks[-1].finished
        elif node.name in optional:
            continue
        elif node.name in not_needed:
            step.state = SKIPPED
        elif index < last_reached:
            step.state = SKIPPED
        elif closed:
            step.state = NOT_REACHED
        progress.steps.append(step)
    return progress
