"""The loans' daily interest runs among the daily jobs, after factoring's, and posts once a day.

400,000.00 paid on 2026-03-02 at 6.5%, ACT/360: to 2026-04-01 (30 days) 400,000.00 × 0.065 × 30 / 360
= 2,166.666… → 2,166.67.
"""

from __future__ import annotations

import datetime

import pytest

from scf.core.jobs import daily_jobs, run_daily
from scf.ledger.models import JournalEntry
from workflows.pledge import drawdowns
from workflows.pledge.models import PledgeDrawdown

from .drawdown_setup import *  # noqa: F403  (the fixtures dw, today)
from .drawdown_setup import TODAY, D, balance, ledger_balanced

pytestmark = pytest.mark.django_db
JOB = "pledge.drawdown_interest"


def test_the_interest_job_is_registered_after_factorings():
    names = [job.name for job in daily_jobs()]
    assert JOB in names
    assert all(names.index(JOB) > names.index(name) for name in names if name.startswith("factoring."))


def test_run_daily_posts_the_interest_once(dw):
    drawdown = drawdowns.drawdown_request(agreement=dw.agreement, amount=D("400000.00"), acting_user=dw.pledgor_user)
    drawdowns.drawdown_approve(drawdown=drawdown, approver=dw.officer)
    drawdowns.drawdown_disburse(drawdown=drawdown, acting_user=dw.ops)
    on = TODAY + datetime.timedelta(days=30)
    entries = JournalEntry.objects.count()
    assert run_daily(on)[JOB] == 1
    assert JournalEntry.objects.count() == entries + 1
    assert run_daily(on)[JOB] == 0  # the same day again posts nothing
    assert JournalEntry.objects.count() == entries + 1
    drawdown = PledgeDrawdown.objects.get()
    assert drawdown.interest_posted == D("2166.67") and drawdown.interest_accrued_to == datetime.date(2026, 4, 1)
    assert balance(":interest_income:CNY") == D("-2166.67")
    assert ledger_balanced()
