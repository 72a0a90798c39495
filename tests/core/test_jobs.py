"""The daily-jobs registry: every product's jobs, in order, each isolated from the others' failures."""

import datetime
import io
import logging

import pytest
from django.core.management import CommandError, call_command

from scf.core import jobs
from scf.core.models import NumberSequence
from scf.core.tasks import run_daily as run_daily_task

DAY = datetime.date(2026, 11, 25)


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test, so that only its own jobs run."""
    monkeypatch.setattr(jobs, "_daily", {})
    return jobs


def _job(log: list, name: str, count: int):
    def run(on: datetime.date) -> int:
        log.append((name, on))
        return count

    return run


def test_jobs_run_in_their_order_whatever_the_order_they_were_registered_in(registry):
    ran = []
    registry.register_daily("pledge.revalue", _job(ran, "pledge.revalue", 3), order=200)
    registry.register_daily("factoring.overdue", _job(ran, "factoring.overdue", 2), order=120)
    registry.register_daily("factoring.reminded", _job(ran, "factoring.reminded", 1), order=110)

    counts = registry.run_daily(DAY)

    assert ran == [("factoring.reminded", DAY), ("factoring.overdue", DAY), ("pledge.revalue", DAY)]
    assert list(counts.items()) == [("factoring.reminded", 1), ("factoring.overdue", 2), ("pledge.revalue", 3)]


def test_a_failing_job_is_logged_and_left_out_while_the_others_still_run(registry, caplog):
    ran = []

    def broken(on):
        raise ZeroDivisionError("a bug in one product's job")

    registry.register_daily("a.first", _job(ran, "a.first", 1), order=10)
    registry.register_daily("b.broken", broken, order=20)
    registry.register_daily("c.last", _job(ran, "c.last", 3), order=30)

    with caplog.at_level(logging.ERROR, logger="scf.core.jobs"):
        counts = registry.run_daily(DAY)

    assert counts == {"a.first": 1, "c.last": 3}
    assert [name for name, _on in ran] == ["a.first", "c.last"]
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "b.broken" in record.getMessage() and record.exc_info[0] is ZeroDivisionError


@pytest.mark.django_db
def test_a_job_failing_in_the_database_does_not_break_the_transaction_for_the_next(registry):
    def clashing(on):
        NumberSequence.objects.create(key="test.clash", year=on.year)
        NumberSequence.objects.create(key="test.clash", year=on.year)  # the unique (key, year) refuses it
        return 2

    def counting(on):
        return NumberSequence.objects.count()

    registry.register_daily("a.clashing", clashing, order=10)
    registry.register_daily("b.counting", counting, order=20)

    # The test runs inside a transaction, as a caller in a shell might: the failed job is rolled back alone.
    assert registry.run_daily(DAY) == {"b.counting": 0}


def test_a_name_is_registered_once(registry):
    def first(on):
        return 0

    def other(on):
        return 0

    registry.register_daily("factoring.overdue", first, order=10)
    registry.register_daily("factoring.overdue", first, order=10)  # ready() run again: nothing changes
    with pytest.raises(RuntimeError):
        registry.register_daily("factoring.overdue", other, order=10)
    assert [job.run for job in registry.daily_jobs()] == [first]


def test_the_command_runs_the_day_given_and_prints_each_jobs_count(registry):
    ran = []
    registry.register_daily("a.first", _job(ran, "a.first", 1), order=10)
    registry.register_daily("b.second", _job(ran, "b.second", 0), order=20)
    out = io.StringIO()

    call_command("run_daily", date="2026-11-20", stdout=out)

    assert out.getvalue().strip() == "2026-11-20: a.first 1, b.second 0"
    assert ran == [("a.first", datetime.date(2026, 11, 20)), ("b.second", datetime.date(2026, 11, 20))]


def test_the_command_names_the_failed_jobs_and_exits_with_an_error(registry):
    def broken(on):
        raise RuntimeError("boom")

    registry.register_daily("a.first", _job([], "a.first", 1), order=10)
    registry.register_daily("b.broken", broken, order=20)
    out = io.StringIO()

    with pytest.raises(CommandError, match="b.broken"):
        call_command("run_daily", date="2026-11-20", stdout=out)
    assert out.getvalue().strip() == "2026-11-20: a.first 1"


def test_the_command_refuses_a_bad_or_future_date(registry, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 25, 10, tzinfo=datetime.UTC), tick=False)
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_daily", date="25/11/2026")
    with pytest.raises(CommandError):
        call_command("run_daily", date="2026-11-26")


def test_the_beat_task_runs_every_job_for_today_or_the_day_given(registry, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 25, 10, tzinfo=datetime.UTC), tick=False)
    ran = []
    registry.register_daily("a.first", _job(ran, "a.first", 4), order=10)

    assert run_daily_task.delay().get() == {"a.first": 4}
    assert run_daily_task.delay(on="2026-11-01").get() == {"a.first": 4}
    assert ran == [("a.first", datetime.date(2026, 11, 25)), ("a.first", datetime.date(2026, 11, 1))]
