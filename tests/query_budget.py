"""Counting a lifecycle's SQL statements by transaction: the query budget tests of each product use these."""

from collections import Counter
from collections.abc import Callable

from django.apps import apps as django_apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext


def transactions(queries: list[dict]) -> list[list[str]]:
    """Split captured statements into transactions (outermost atomic blocks); return each one's statements."""
    groups: list[list[str]] = []
    depth = 0
    for query in queries:
        sql = query["sql"]
        head = sql.lstrip().split(None, 2)
        verb = " ".join(head[:2]).upper() if head else ""
        if verb.startswith("SAVEPOINT") or verb.startswith("BEGIN"):
            if depth == 0:
                groups.append([])
            depth += 1
            continue
        if verb.startswith("RELEASE") or verb.startswith("COMMIT") or (
                verb.startswith("ROLLBACK") and "TO SAVEPOINT" not in sql.upper()):
            depth = max(depth - 1, 0)
            continue
        if verb.startswith("ROLLBACK"):  # ROLLBACK TO SAVEPOINT: the block is left, its savepoint too
            continue
        if depth == 0:
            groups.append([sql])
        else:
            groups[-1].append(sql)
    return groups


def repeats(queries: list[dict]) -> list[tuple[str, int]]:
    """Statements (the SQL with its parameters inlined) sent more than once within one transaction."""
    found = []
    for group in transactions(queries):
        for sql, times in Counter(group).items():
            if times > 1:
                found.append((sql, times))
    return found


def step_counter(capture_on_commit_callbacks, captured: dict[str, list[dict]]) -> Callable:
    """Return `step(name, action)`: run the action with its after-commit tasks (eager workers), keep its statements.

    Content types are cached for the life of the process (a warm server has them all): they are looked up first,
    so that a count does not depend on which tests ran before in the same process.
    """
    ContentType.objects.get_for_models(*django_apps.get_models())

    def step(name: str, action: Callable):
        with CaptureQueriesContext(connection) as queries:
            with capture_on_commit_callbacks(execute=True):
                result = action()
        captured[name] = list(queries.captured_queries)
        return result

    return step


def budget_report(counted: dict[str, list[dict]]) -> tuple[dict[str, int], int, list[tuple[str, str, int]]]:
    """Return the statements per step, how many were repeats within a transaction, and those repeats; print them."""
    per_step = {name: len(queries) for name, queries in counted.items()}
    repeated = [(name, sql, times) for name, queries in counted.items() for sql, times in repeats(queries)]
    extra = sum(times - 1 for _, _, times in repeated)
    print(f"statements per step: {per_step}; repeated within a transaction: {extra}; "
          f"statements={sum(per_step.values())}")
    for name, sql, times in sorted(repeated, key=lambda r: -r[2]):
        print(f"  {name} x{times}: {sql[:300]}")
    return per_step, extra, repeated


def audit_statements_per_step(counted: dict[str, list[dict]]) -> dict[str, int]:
    """The most statements on the audit tables in one transaction of each step."""
    return {name: max((sum(1 for sql in group if '"audit_' in sql) for group in transactions(queries)), default=0)
            for name, queries in counted.items()}


def assert_budgets(counted: dict[str, list[dict]], *, steps: tuple[str, ...], lifecycle: int, step: int,
                   repeated: int) -> None:
    """Assert a lifecycle's budgets: its steps, statements in all, the most in one step, the repeats."""
    per_step, extra, found = budget_report(counted)
    assert tuple(per_step) == steps
    assert sum(per_step.values()) <= lifecycle, per_step
    assert {name: n for name, n in per_step.items() if n > step} == {}, per_step
    assert extra <= repeated, found


def assert_audit_within_two_statements(counted: dict[str, list[dict]]) -> None:
    """Assert that no transaction of the lifecycle spends more than two statements on the audit tables."""
    audit = audit_statements_per_step(counted)
    assert {name: n for name, n in audit.items() if n > 2} == {}, audit
