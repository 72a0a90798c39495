"""The per-row daily jobs of factoring, as they were before the chunked ones: the reference the
chunked jobs (workflows/factoring/jobs.py) must match exactly (tests/factoring/test_nightly_chunks.py).

Daily jobs of factoring: maturity reminders, overdue marking, penalty accrual, recourse.

Each runs for a given day and is idempotent: run twice on the same day, it changes nothing
the second time (reminders remember the days they were sent for, overdue and recourse are
state transitions, and penalty postings are keyed by financing and day). Mails go out after
commit, one Celery task per financing, each retried on its own (`tasks.py`).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from scf.facilities.services import facilities_risk_stop
from workflows.factoring import tasks
from workflows.factoring.models import FactoringFinancing
from workflows.factoring.settlement import financing_accrue_penalty, overdue_from

State = FactoringFinancing.State
REMINDER_DAYS = (7, 1)


def send_maturity_reminders(on: datetime.date) -> int:
    """Remind supplier and debtor 7 and 1 days before maturity; return the number of financings reminded."""
    reminded = 0
    for days in REMINDER_DAYS:
        due = on + datetime.timedelta(days=days)
        for financing in FactoringFinancing.objects.filter(state=State.DISBURSED, due_date=due):
            with transaction.atomic():
                financing = FactoringFinancing.objects.select_for_update().get(pk=financing.pk)
                if days in financing.reminded_days:
                    continue
                financing.reminded_days = sorted([*financing.reminded_days, days])
                financing.save(update_fields=["reminded_days"])
                tasks.send_maturity_reminder.delay_on_commit(financing_id=financing.pk, days=days)
                reminded += 1
    return reminded


def mark_overdue(on: datetime.date) -> int:
    """Mark financings still owing the advance after the grace days as overdue, and stop the obligor's lines.

    Every active facility the lender granted to the financing's obligor (the supplier, or the core
    enterprise whose line carries a reverse factoring) is frozen with the overdue financing as the
    reason. The freeze goes with the overdue transition, which fires once: a line a risk manager
    unfroze stays open when the day is run again.
    """
    marked = 0
    candidates = FactoringFinancing.objects.filter(state=State.DISBURSED, advance_outstanding__gt=0,
                                                   due_date__lt=on).select_related("facility")
    for financing in candidates:
        if on < overdue_from(financing):
            continue
        with transaction.atomic():
            financing = FactoringFinancing.objects.select_for_update(of=("self",)).select_related(
                "facility__obligor", "supplier", "debtor", "lender").get(pk=financing.pk)
            if financing.state == State.DISBURSED and financing.advance_outstanding > 0:
                financing.mark_overdue(note=_("unpaid after the grace days"))
                financing.save()
                _risk_stop(financing)
                marked += 1
    return marked


def _risk_stop(financing: FactoringFinancing) -> None:
    obligors = [financing.facility.obligor]
    if financing.reverse and financing.debtor_id != financing.facility.obligor_id:
        obligors.append(financing.debtor)
    facilities_risk_stop(
        lender=financing.lender, obligors=obligors,
        note=_("Risk stop: financing %(ref)s of %(supplier)s on %(debtor)s is overdue (due %(date)s).")
        % {"ref": financing.reference, "supplier": financing.supplier.legal_name,
           "debtor": financing.debtor.legal_name, "date": financing.due_date.isoformat()})


def accrue_penalties(on: datetime.date) -> int:
    """Post each overdue financing's penalty interest up to `on`; return how many got a posting."""
    posted = 0
    for financing in FactoringFinancing.objects.filter(state__in=[State.OVERDUE, State.RECOURSE_CLAIMED],
                                                       advance_outstanding__gt=0):
        if financing_accrue_penalty(financing=financing, on=on):
            posted += 1
    return posted


def claim_recourse(on: datetime.date) -> int:
    """Claim the buy-back from suppliers of financings with recourse unpaid after the recourse days."""
    claimed = 0
    for financing in FactoringFinancing.objects.filter(state=State.OVERDUE, with_recourse=True,
                                                       advance_outstanding__gt=0).select_related("facility"):
        if on <= financing.due_date + datetime.timedelta(days=financing.facility.recourse_days):
            continue
        with transaction.atomic():
            financing = FactoringFinancing.objects.select_for_update().get(pk=financing.pk)
            if financing.state == State.OVERDUE and financing.lender_owed > 0:
                financing.claim_recourse(note=_("unpaid %(days)d days after the due date")
                                         % {"days": (on - financing.due_date).days})
                financing.save()
                tasks.send_recourse_demand.delay_on_commit(financing_id=financing.pk)
                claimed += 1
    return claimed


# In the order they run: overdue marking before the day's penalty, the penalty before a claim.
DAILY_JOBS = {
    "reminded": send_maturity_reminders,
    "overdue": mark_overdue,
    "penalties": accrue_penalties,
    "recourse": claim_recourse,
}


def factoring_daily(on: datetime.date) -> dict[str, int]:
    """Run factoring's daily jobs alone, in order (`scf.core.jobs.run_daily` runs every product's)."""
    return {name: job(on) for name, job in DAILY_JOBS.items()}
