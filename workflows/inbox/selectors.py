"""The inbox query: a person's open tasks, filtered, sorted and paged by keyset.

Built on the lines measured for 50,000 open and 500,000 closed tasks (bench/inbox.py): the
actor filter and the open statuses match the partial indexes of migration 0002; the task
kind is filtered on `flow_task` itself (no join to the process to find its flow); the party
filter looks the organizations up first; the count stops at COUNT_CAP; there is no drop-down
that lists processes; pages go by keyset with a row comparison, never OFFSET. Sorting by due
date or amount walks the open cases in the order of their partial index and keeps those with
a task for the person, instead of sorting every open task.
"""

from __future__ import annotations

import base64
import datetime
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from scf.parties.models import Organization, User

from .assignment import actor_q
from .models import CaseProcess

OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED)
PAGE_SIZE = 25
COUNT_CAP = 1000
PARTY_MATCHES = 200

# sort key → (table, column, descending, how to read the cursor value back)
SORTS = {
    # The default: the task's deadline (its step's service level), so overdue tasks come first.
    "deadline": ("deadline", "due_on", False, datetime.date.fromisoformat),
    "oldest": ("task", "created", False, datetime.datetime.fromisoformat),
    "newest": ("task", "created", True, datetime.datetime.fromisoformat),
    "due": ("case", "due_date", False, datetime.date.fromisoformat),
    "amount": ("case", "amount", True, Decimal),
}


@dataclass
class InboxFilters:
    flow_task: str = ""
    product: str = ""
    party: str = ""
    sort: str = "deadline"


@dataclass
class InboxPage:
    tasks: list
    count: int
    count_capped: bool
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


def _db_value(model, column: str, value):
    """Return a cursor value as the database stores it (raw SQL skips the field's conversion)."""
    return model._meta.get_field(column).get_db_prep_value(value, connection)


def _party_ids(party: str) -> list[int]:
    """Return the organizations a party filter names (by name or credit code), looked up once."""
    return list(Organization.objects.filter(Q(legal_name__icontains=party) | Q(legal_name_en__icontains=party)
                                            | Q(uscc=party.upper())).values_list("pk", flat=True)[:PARTY_MATCHES])


def _case_filter(filters: InboxFilters, prefix: str) -> Q:
    q = Q()
    if filters.product:
        q &= Q(**{f"{prefix}product": filters.product})
    if filters.party:
        ids = _party_ids(filters.party)
        q &= Q(**{f"{prefix}applicant_id__in": ids}) | Q(**{f"{prefix}counterparty_id__in": ids})
    return q


def inbox_page(user: User, filters: InboxFilters, cursor: str | None = None) -> InboxPage:
    """Return one page of the user's open tasks and the cursor of the next page."""
    tasks = open_tasks(user)
    if filters.flow_task:
        tasks = tasks.filter(flow_task=filters.flow_task)
    case_q = _case_filter(filters, "process__caseprocess__")
    if case_q:
        tasks = tasks.filter(case_q)
    counted = tasks.order_by()[:COUNT_CAP + 1].count()
    table, column, descending, parse = SORTS.get(filters.sort, SORTS["deadline"])
    position = _decode(cursor, parse) if cursor else None
    if table == "task":
        rows, next_cursor = _page_by_task(tasks, descending, position)
    elif table == "deadline":
        rows, next_cursor = _page_by_deadline(tasks, position)
    else:
        rows, next_cursor = _page_by_case(tasks, filters, column, descending, position)
    today = timezone.localdate()
    for task in rows:
        deadline = getattr(task, "deadline", None)
        task.due_on = deadline.due_on if deadline is not None else None
        task.is_overdue = task.due_on is not None and task.due_on < today
    return InboxPage(tasks=rows, count=min(counted, COUNT_CAP), count_capped=counted > COUNT_CAP,
                     next_cursor=next_cursor)


def _page_by_task(tasks: QuerySet[Task], descending: bool, position) -> tuple[list, str | None]:
    if position is not None and position[0] is not None:
        value, pk = position
        tasks = tasks.extra(where=[f"(viewflow_task.created, viewflow_task.id) {'<' if descending else '>'} (%s, %s)"],
                            params=[_db_value(Task, "created", value), pk])
    ordering = ["-created", "-id"] if descending else ["created", "id"]
    rows = list(tasks.select_related("process__caseprocess__applicant", "process__caseprocess__counterparty", "deadline")
                .order_by(*ordering)[:PAGE_SIZE + 1])
    if len(rows) <= PAGE_SIZE:
        return rows, None
    rows = rows[:PAGE_SIZE]
    return rows, _encode(rows[-1].created.isoformat(), rows[-1].pk)


def _page_by_deadline(tasks: QuerySet[Task], position) -> tuple[list, str | None]:
    """Page by (deadline, task id), tasks without a deadline last."""
    if position is not None:
        value, pk = position
        if value is None:
            tasks = tasks.filter(deadline__isnull=True, pk__gt=pk)
        else:
            tasks = tasks.filter(Q(deadline__due_on__gt=value) | Q(deadline__due_on=value, pk__gt=pk)
                                 | Q(deadline__isnull=True))
    rows = list(tasks.select_related("process__caseprocess__applicant", "process__caseprocess__counterparty",
                                     "deadline")
                .order_by(F("deadline__due_on").asc(nulls_last=True), "id")[:PAGE_SIZE + 1])
    if len(rows) <= PAGE_SIZE:
        return rows, None
    rows = rows[:PAGE_SIZE]
    deadline = getattr(rows[-1], "deadline", None)
    return rows, _encode(deadline.due_on.isoformat() if deadline is not None else None, rows[-1].pk)


def _page_by_case(tasks: QuerySet[Task], filters: InboxFilters, column: str, descending: bool,
                  position) -> tuple[list, str | None]:
    """Walk open cases in index order, keep those with a task for the user, then fetch their tasks."""
    cases = CaseProcess.objects.filter(is_open=True).filter(_case_filter(filters, "")).filter(
        Exists(tasks.filter(process_id=OuterRef("pk")).order_by()))
    nullable = CaseProcess._meta.get_field(column).null
    if position is not None:
        value, pk = position
        after = "<" if descending else ">"
        if value is None:  # among the cases without a value, which sort last
            cases = cases.filter(**{f"{column}__isnull": True}).extra(
                where=[f"inbox_caseprocess.process_ptr_id {after} %s"], params=[pk])
        else:
            where = f"(inbox_caseprocess.{column}, inbox_caseprocess.process_ptr_id) {after} (%s, %s)"
            if nullable:
                where = f"({where} OR inbox_caseprocess.{column} IS NULL)"
            cases = cases.extra(where=[where], params=[_db_value(CaseProcess, column, value), pk])
    key = F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_last=True)
    ordering = [key, "-process_ptr_id" if descending else "process_ptr_id"]
    page = list(cases.order_by(*ordering).values_list("pk", column)[:PAGE_SIZE + 1])
    next_cursor = None
    if len(page) > PAGE_SIZE:
        page = page[:PAGE_SIZE]
        pk, value = page[-1]
        next_cursor = _encode(value.isoformat() if hasattr(value, "isoformat") else value, pk)
    order = {pk: index for index, (pk, _value) in enumerate(page)}
    rows = list(tasks.filter(process_id__in=order).select_related(
        "process__caseprocess__applicant", "process__caseprocess__counterparty", "deadline"))
    rows.sort(key=lambda task: (order[task.process_id], task.pk))
    return rows, next_cursor
