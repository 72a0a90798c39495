"""The inbox query: a person's open tasks, filtered, sorted and paged by keyset.

Built on the lines measured for 50,000 open and 500,000 closed tasks: the actor filter and
the open statuses match the partial indexes of migration 0002; the task kind is filtered on
`flow_task` itself (no join to the process to find its flow); one COUNT per page; no
drop-down that lists processes; keyset paging instead of OFFSET.
"""

from __future__ import annotations

import base64
import datetime
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import F, Q, QuerySet
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from scf.parties.models import User

from .assignment import actor_q

OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED)
PAGE_SIZE = 25

# sort key → (ordering field, how to read the cursor value back)
SORTS = {
    "oldest": ("created", datetime.datetime.fromisoformat),
    "newest": ("-created", datetime.datetime.fromisoformat),
    "due": ("process__caseprocess__due_date", datetime.date.fromisoformat),
    "amount": ("-process__caseprocess__amount", Decimal),
}


@dataclass
class InboxFilters:
    flow_task: str = ""
    product: str = ""
    party: str = ""
    sort: str = "oldest"


@dataclass
class InboxPage:
    tasks: list
    count: int
    next_cursor: str | None


def open_tasks(user: User) -> QuerySet[Task]:
    """Return the open tasks the user may act on."""
    return Task.objects.filter(status__in=OPEN_STATUSES).filter(actor_q(user))


def _encode(value, pk: int) -> str:
    raw = json.dumps([str(value) if value is not None else None, pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, parse) -> tuple | None:
    try:
        value, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return (parse(value) if value is not None else None), int(pk)
    except (ValueError, TypeError, InvalidOperation, json.JSONDecodeError):
        return None


def inbox_page(user: User, filters: InboxFilters, cursor: str | None = None) -> InboxPage:
    """Return one page of the user's open tasks and the cursor of the next page."""
    tasks = open_tasks(user)
    if filters.flow_task:
        tasks = tasks.filter(flow_task=filters.flow_task)
    if filters.product:
        tasks = tasks.filter(process__caseprocess__product=filters.product)
    if filters.party:
        tasks = tasks.filter(Q(process__caseprocess__applicant__legal_name__icontains=filters.party)
                             | Q(process__caseprocess__applicant__uscc=filters.party.upper())
                             | Q(process__caseprocess__counterparty__legal_name__icontains=filters.party))
    count = tasks.count()
    order, parse = SORTS.get(filters.sort, SORTS["oldest"])
    descending = order.startswith("-")
    field = order.lstrip("-")
    position = _decode(cursor, parse) if cursor else None
    if position is not None:
        value, pk = position
        after = "lt" if descending else "gt"
        if value is None:
            tasks = tasks.filter(**{f"{field}__isnull": True, f"id__{after}": pk})
        else:
            tasks = tasks.filter(Q(**{f"{field}__{after}": value})
                                 | Q(**{field: value, f"id__{after}": pk})
                                 | Q(**{f"{field}__isnull": True}))
    ordering = [F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True),
                "-id" if descending else "id"]
    rows = list(tasks.select_related("process__caseprocess__applicant", "process__caseprocess__counterparty")
                .order_by(*ordering)[:PAGE_SIZE + 1])
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        last = rows[-1]
        value = last.created if field == "created" else getattr(last.process.caseprocess, field.split("__")[-1])
        next_cursor = _encode(value.isoformat() if hasattr(value, "isoformat") else value, last.pk)
    return InboxPage(tasks=rows, count=count, next_cursor=next_cursor)
