"""Celery application: eager by default, a Redis broker when CELERY_BROKER_URL is set."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scf.settings.local")

app = Celery("scf")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="scf.ping")
def ping(value: str = "pong") -> str:
    """Return the value given: proves a worker is consuming the queue."""
    return value
