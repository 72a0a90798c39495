"""GET /health/: what a load balancer and an operator need to know — database, broker, workers.

Answers 200 when the database answers and, with a broker configured, the broker does too; 503
otherwise. Workers are reported (how many answered a ping within a second, and their names) but
do not fail the check: a web process can serve pages while workers restart. It reads nothing of
any tenant's business and needs no sign-in.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from scf.celery import app as celery_app

PING_TIMEOUT = 1.0  # seconds a worker has to answer


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        result = check()
    except Exception as error:  # noqa: BLE001  (any failure is the answer: it is reported, not raised)
        return {"status": "down", "error": f"{type(error).__name__}: {error}"[:200],
                "ms": round((time.perf_counter() - started) * 1000, 1)}
    return {"status": "ok", **(result or {}), "ms": round((time.perf_counter() - started) * 1000, 1)}


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _broker() -> dict:
    with celery_app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=2)
    return {}


def _workers() -> dict:
    replies = celery_app.control.ping(timeout=PING_TIMEOUT) or []
    names = sorted(name for reply in replies for name in reply)
    return {"count": len(names), "names": names}


@never_cache
@require_GET
def health(request):
    database = _timed(_database)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        broker = {"status": "eager", "note": "tasks run inside the request; no broker is configured"}
        workers = {"status": "eager", "count": 0, "names": []}
    else:
        broker = _timed(_broker)
        workers = _timed(_workers) if broker["status"] == "ok" else {"status": "unknown", "count": 0, "names": []}
        if workers.get("status") == "ok" and workers["count"] == 0:
            workers["status"] = "none"
    healthy = database["status"] == "ok" and broker["status"] in ("ok", "eager")
    return JsonResponse({"status": "ok" if healthy else "down", "database": database, "broker": broker,
                         "workers": workers}, status=200 if healthy else 503)
