"""Celery application: eager by default, a Redis broker when CELERY_BROKER_URL is set."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scf.settings.local")

app = Celery("scf")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="scf.ping")
def ping(value: str = "pong") -> str:
    """Return the value given: proves a worker is consuming the queue."""
    return value


@worker_process_init.connect
def warm_renderer(**kwargs) -> None:
    """Load WeasyPrint and the fonts once per worker process, not in the first document's time."""
    from documents.rendering import warm_up

    warm_up()
