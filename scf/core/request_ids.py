"""A request id on every log line: taken from the proxy's X-Request-ID or made here, carried into Celery tasks.

The middleware puts the id in a context variable for the request's duration and answers it in the
`X-Request-ID` header; `RequestIdFilter` adds it to every log record (`%(request_id)s`, or a field of
the JSON lines in production). A task published while handling a request carries the id in its
headers, and the worker sets it again while the task runs, so one id follows a click from the web
process into the document rendering it started.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from celery.signals import before_task_publish, task_postrun, task_prerun

HEADER = "X-Request-ID"
_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_current: ContextVar[str] = ContextVar("request_id", default="-")


def current_request_id() -> str:
    """Return the id of the request (or task) being handled, "-" outside one."""
    return _current.get()


def _accept(value: str | None) -> str:
    # A proxy's id is kept when it is a plain token; anything else (too long, odd characters) is replaced.
    return value if value and _VALID.match(value) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request_id = _accept(request.headers.get(HEADER))
        request.request_id = request_id
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Add `request_id` to every record (the handlers' formatters print it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True


@before_task_publish.connect
def _carry_into_task(headers=None, **kwargs) -> None:
    if headers is not None and _current.get() != "-":
        headers.setdefault("request_id", _current.get())


_task_tokens: dict[str, object] = {}


@task_prerun.connect
def _enter_task(task_id=None, task=None, **kwargs) -> None:
    request = getattr(task, "request", None)
    carried = getattr(request, "request_id", None) or (getattr(request, "headers", None) or {}).get("request_id")
    if carried:
        request_id = _accept(carried)
    elif _current.get() != "-":
        request_id = _current.get()  # run eagerly inside the request: the request's own id
    else:
        request_id = f"task-{task_id}"
    _task_tokens[task_id] = _current.set(request_id)


@task_postrun.connect
def _leave_task(task_id=None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _current.reset(token)
