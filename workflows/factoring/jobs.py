"""Daily jobs of factoring: maturity reminders, overdue marking, penalty accrual, recourse.

Each runs for a given day and is idempotent: run twice on the same day, it changes nothing
the second time (reminders remember the days they were sent for, overdue and recourse are
state transitions, and penalty postings are keyed by financing and day).
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from scf.parties.models import User

from .models import FactoringFinancing
from .settlement import financing_accrue_penalty, overdue_from

logger = logging.getLogger(__name__)
State = FactoringFinancing.State
REMINDER_DAYS = (7, 1)


def _people(*organizations) -> list[User]:
    return list(User.objects.filter(memberships__organization__in=organizations, is_active=True)
                .exclude(email="").distinct())


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
                transaction.on_commit(lambda pk=financing.pk, d=days: _email_reminder(pk, d))
                reminded += 1
    return reminded


def _email_reminder(financing_pk: int, days: int) -> None:
    financing = FactoringFinancing.objects.select_related("supplier", "debtor", "lender").get(pk=financing_pk)
    account = financing.lender
    for user in _people(financing.supplier, financing.debtor):
        with translation.override(user.preferred_language):
            send_mail(
                _("%(ref)s falls due in %(days)d day(s)") % {"ref": financing.reference, "days": days},
                _("%(debtor)s is to pay %(currency)s %(amount)s for financing %(ref)s on %(due)s into the "
                  "collection account of %(lender)s: %(bank)s %(number)s.")
                % {"debtor": financing.debtor.legal_name, "currency": financing.currency,
                   "amount": f"{financing.confirmed_amount:,}", "ref": financing.reference,
                   "due": financing.due_date.isoformat(), "lender": account.legal_name,
                   "bank": account.bank_name, "number": account.bank_account_number},
                settings.DEFAULT_FROM_EMAIL, [user.email],
            )


def mark_overdue(on: datetime.date) -> int:
    """Mark financings still owing the advance after the grace days as overdue."""
    marked = 0
    candidates = FactoringFinancing.objects.filter(state=State.DISBURSED, advance_outstanding__gt=0,
                                                   due_date__lt=on).select_related("facility")
    for financing in candidates:
        if on < overdue_from(financing):
            continue
        with transaction.atomic():
            financing = FactoringFinancing.objects.select_for_update().get(pk=financing.pk)
            if financing.state == State.DISBURSED and financing.advance_outstanding > 0:
                financing.mark_overdue(note=_("unpaid after the grace days"))
                financing.save()
                marked += 1
    return marked


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
                transaction.on_commit(lambda pk=financing.pk: _email_recourse(pk))
                claimed += 1
    return claimed


def _email_recourse(financing_pk: int) -> None:
    financing = FactoringFinancing.objects.select_related("supplier").get(pk=financing_pk)
    for user in _people(financing.supplier):
        with translation.override(user.preferred_language):
            send_mail(
                _("Buy-back demanded on %(ref)s") % {"ref": financing.reference},
                _("The receivables of %(ref)s are unpaid. Under the recourse clause of the factoring agreement, "
                  "please buy them back by paying %(currency)s %(amount)s plus penalty interest accruing daily.")
                % {"ref": financing.reference, "currency": financing.currency,
                   "amount": f"{financing.lender_owed:,}"},
                settings.DEFAULT_FROM_EMAIL, [user.email],
            )


def factoring_daily(on: datetime.date) -> dict[str, int]:
    """Run every daily job of factoring for the day, in order."""
    result = {
        "reminded": send_maturity_reminders(on),
        "overdue": mark_overdue(on),
        "penalties": accrue_penalties(on),
        "recourse": claim_recourse(on),
    }
    logger.info("factoring daily jobs for %s: %s", on, result)
    return result
