"""Emails about factoring financings, sent by Celery tasks after the change is committed."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from scf.parties.accounts import printed_account
from scf.parties.models import User

from .models import FactoringFinancing


def _people(*organizations) -> list[User]:
    return list(User.objects.filter(memberships__organization__in=organizations, is_active=True)
                .exclude(email="").distinct())


def send_maturity_reminder(financing: FactoringFinancing, days: int) -> int:
    """Tell supplier and debtor that the financing falls due in `days` days; return the number of emails sent."""
    lender = financing.lender
    account = printed_account(financing.debtor_pays_into()) or {"bank": "", "number": "—"}
    sent = 0
    for user in _people(financing.supplier, financing.debtor):
        with translation.override(user.preferred_language):
            sent += send_mail(
                _("%(ref)s falls due in %(days)d day(s)") % {"ref": financing.reference, "days": days},
                _("%(debtor)s is to pay %(currency)s %(amount)s for financing %(ref)s on %(due)s into the "
                  "collection account of %(lender)s: %(bank)s %(number)s.")
                % {"debtor": financing.debtor.legal_name, "currency": financing.currency,
                   "amount": f"{financing.confirmed_amount:,}", "ref": financing.reference,
                   "due": financing.due_date.isoformat(), "lender": lender.legal_name,
                   "bank": account["bank"], "number": account["number"]},
                settings.DEFAULT_FROM_EMAIL, [user.email],
            )
    return sent


def send_recourse_demand(financing: FactoringFinancing) -> int:
    """Ask the supplier to buy the receivables back; return the number of emails sent."""
    sent = 0
    for user in _people(financing.supplier):
        with translation.override(user.preferred_language):
            sent += send_mail(
                _("Buy-back demanded on %(ref)s") % {"ref": financing.reference},
                _("The receivables of %(ref)s are unpaid. Under the recourse clause of the factoring agreement, "
                  "please buy them back by paying %(currency)s %(amount)s plus penalty interest accruing daily.")
                % {"ref": financing.reference, "currency": financing.currency,
                   "amount": f"{financing.lender_owed:,}"},
                settings.DEFAULT_FROM_EMAIL, [user.email],
            )
    return sent
