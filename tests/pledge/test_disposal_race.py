"""Two settlements of the same disposal at once post its entry once (PostgreSQL, real threads).

The set-up of tests/pledge/test_disposals.py: a loan of 500,000.00, sold for 620,000.00 with 12,400.00 of
costs, interest 3,250.00 to the sale day. Two checkers approve at the same moment: the agreement's and the
disposal's row locks put them one after the other, the second finds it settled and changes nothing.
"""

import pytest
from django.db import connection

from scf.ledger.models import JournalEntry
from scf.parties.models import StaffGroup, User
from tests.races import run_together
from workflows.pledge import disposals
from workflows.pledge.models import PledgeAgreement, PledgeDisposal

from .drawdown_setup import *  # noqa: F403  (the fixtures dw, today)
from .drawdown_setup import D, balance, ledger_balanced
from .test_disposals import defaulted, loan, sale, to_sale_day

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_two_settlements_at_once_post_once(postgres_only, dw, today, staff_user):
    assert connection.vendor == "postgresql"
    loan(dw)
    disposal = defaulted(dw)
    to_sale_day(today)
    disposal = sale(dw, disposal)
    ops3 = staff_user(StaffGroup.OPERATIONS, "ops3")
    entries = JournalEntry.objects.count()

    def settle_as(user_pk):
        def job():
            return disposals.disposal_settle(disposal=PledgeDisposal.objects.get(pk=disposal.pk),
                                             acting_user=User.objects.get(pk=user_pk))
        return job

    results, errors = run_together(settle_as(dw.ops2.pk), settle_as(ops3.pk))
    assert not errors, {i: repr(e) for i, e in errors.items()}
    assert len(results) == 2
    # One settlement entry, plus the interest accrual to the sale day (3,250.00): two entries, not four.
    assert JournalEntry.objects.count() == entries + 2
    settled = PledgeDisposal.objects.get(pk=disposal.pk)
    assert (settled.state, settled.surplus) == (PledgeDisposal.State.SETTLED, D("104350.00"))
    assert PledgeAgreement.objects.get(pk=dw.agreement.pk).state == PledgeAgreement.State.CLOSED
    assert ledger_balanced()
    assert balance(":debtor_collection:") == D("620000.00")
    assert balance(":advances:") == D("0.00")
