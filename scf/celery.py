"""Celery application: eager by default, a Redis broker when CELERY_BROKER_URL is set."""

import os
from logging.config import dictConfig

from celery import Celery
from celery.signals import setup_logging, worker_process_init
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scf.settings.local")

app = Celery("scf")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="scf.ping")
def ping(value: str = "pong") -> str:
    """Return the value given: proves a worker is consuming the queue."""
    return value


@setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Log as the web process does (LOGGING: the request id on every line, JSON in production), not in Celery's format."""
    dictConfig(settings.LOGGING)


@worker_process_init.connect
def warm_renderer(**kwargs) -> None:
    """Load WeasyPrint and the fonts once per worker process, not in the first document's time."""
    from documents.rendering import warm_up

    warm_up()
