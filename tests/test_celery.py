"""Celery: tasks run after commit; a real worker consumes the Redis queue when a broker is set."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery.result import allow_join_result
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from scf.audit import services as audit_services
from scf.celery import app, ping
from scf.parties import services
from scf.parties.demo import MINIMAL_PDF

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_kyc_submit_emails_reviewers_only_after_commit(corporate, risk_manager, django_capture_on_commit_callbacks):
    risk_manager.email = "risk@example.com"
    risk_manager.save()
    organization, user = corporate("sup", kyc_state="draft")
    services.kyc_document_upload(organization=organization, kind="business_licence",
                                 uploaded_file=SimpleUploadedFile("l.pdf", MINIMAL_PDF), acting_user=user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.kyc_submit(organization=organization, acting_user=user)
    # Besides the mail, the audit chain's extension runs after commit (scheduled once a transaction:
    # here already by the upload above, the test's transaction being one).
    mails = [callback for callback in callbacks if callback is not audit_services._chain_soon]
    assert len(mails) == 1
    assert mail.outbox == []  # nothing is sent before the commit
    mails[0]()
    assert [m.to for m in mail.outbox] == [["risk@example.com"]]
    assert organization.legal_name in mail.outbox[0].subject


def test_beat_schedule_names_registered_tasks():
    from django.conf import settings

    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


@pytest.fixture
def redis_broker():
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        pytest.skip("needs a Redis broker: set CELERY_BROKER_URL=redis://127.0.0.1:6379/0")
    return url


def test_a_real_worker_completes_a_task_from_redis(redis_broker):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "scf.settings.test", "CELERY_TASK_ALWAYS_EAGER": "false"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "scf", "worker", "--pool=solo", "--concurrency=1",
         "--without-gossip", "--without-mingle", "--loglevel=WARNING", "-n", f"ci-{uuid.uuid4().hex[:6]}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        token = uuid.uuid4().hex
        result = ping.apply_async(args=[token])
        # Eager tasks run by the race tests' threads share celery's one "inside a task" flag and can leave it
        # set in this process; this thread is not inside a task.
        with allow_join_result():
            assert result.get(timeout=60) == token
    finally:
        app.conf.task_always_eager = previous
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
