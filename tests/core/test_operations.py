"""Operations: the health check, request ids on every log line and in tasks, the queues tasks go to."""

import json
import logging

import pytest
from django.test import override_settings

from scf.celery import app
from scf.core.request_ids import HEADER, RequestIdFilter, current_request_id


@pytest.mark.django_db
def test_health_reports_the_database_and_eager_tasks_without_a_sign_in(client):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["broker"]["status"] == "eager"
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_health_answers_503_when_the_broker_is_down(client, settings, monkeypatch):
    from scf.portal import health

    def unreachable():
        raise ConnectionRefusedError("[Errno 111] Connection refused")

    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(health, "_broker", unreachable)
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["broker"]["status"] == "down" and "ConnectionRefusedError" in body["broker"]["error"]
    assert body["workers"]["status"] == "unknown"


@pytest.mark.django_db
def test_health_takes_no_post(client):
    assert client.post("/health/").status_code == 405


@pytest.mark.django_db
def test_a_request_keeps_the_proxys_id_or_gets_one(client):
    response = client.get("/health/", headers={HEADER: "edge-1234.abc"})
    assert response[HEADER] == "edge-1234.abc"
    made = client.get("/health/", headers={HEADER: "bad id with spaces" * 5})[HEADER]
    assert len(made) == 32 and made.isalnum()
    assert client.get("/health/")[HEADER] != client.get("/health/")[HEADER]


def test_log_records_carry_the_request_id_and_json_lines_are_json():
    from pythonjsonlogger.json import JsonFormatter

    record = logging.LogRecord("scf.test", logging.INFO, __file__, 1, "paid %s", ("CN-1",), None)
    assert RequestIdFilter().filter(record)
    assert record.request_id == current_request_id() == "-"
    formatter = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
                              rename_fields={"levelname": "level", "name": "logger"})
    line = json.loads(formatter.format(record))
    assert (line["level"], line["logger"], line["request_id"], line["message"]) == ("INFO", "scf.test", "-",
                                                                                     "paid CN-1")


@override_settings(DEBUG=False)
def test_production_logs_json_by_default(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("ALLOWED_HOSTS", "scf.example.com")
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    import importlib

    import scf.settings.production as production
    production = importlib.reload(production)
    assert production.LOGGING["handlers"]["console"]["formatter"] == "json"
    assert production.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize(("task", "queue"), [
    ("documents.render_document", "documents"),
    ("documents.finalize_document", "documents"),
    ("documents.render_documents", "documents"),
    ("documents.finalize_documents", "documents"),
    ("scf.core.tasks.run_daily", "nightly"),
    ("scf.parties.tasks.kyc_notify", "mail"),
    ("workflows.factoring.tasks.send_maturity_reminder", "mail"),
    ("workflows.factoring.tasks.send_recourse_demand", "mail"),
    ("scf.ping", "celery"),
])
def test_tasks_go_to_the_queue_their_workers_consume(task, queue):
    app.loader.import_default_modules()
    assert task in app.tasks
    assert app.amqp.router.route({}, task)["queue"].name == queue


def test_the_procfile_consumes_every_queue():
    from pathlib import Path

    procfile = (Path(__file__).resolve().parents[2] / "Procfile").read_text()
    for queue in ("documents,celery", "--queues mail", "--queues nightly"):
        assert queue in procfile
    assert procfile.count("celery -A scf beat") == 1


def test_celery_workers_log_through_djangos_logging_so_their_lines_carry_the_request_id(settings):
    from celery.signals import setup_logging

    from scf.celery import use_django_logging

    # Connected, the signal stops Celery from replacing the root logger's handlers with its own format.
    assert any(receiver() is use_django_logging for _key, receiver in setup_logging.receivers)
    use_django_logging()
    console = next(h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)
                   and any(isinstance(f, RequestIdFilter) for f in h.filters))
    assert "%(request_id)s" in console.formatter._fmt
