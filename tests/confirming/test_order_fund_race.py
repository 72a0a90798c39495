"""Operations pressing "Fund" several times at once pay the seller once (PostgreSQL, real threads).

The set-up of tests/confirming/order_setup.py: P = 503,827.00, M0 = 151,148.10 paid; a loan lends 352,678.90.
"""

import pytest
from django.db import connection

from scf.ledger.models import Account, JournalEntry
from scf.parties.models import User
from tests.races import run_together
from workflows.confirming import orders
from workflows.confirming.models import PurchaseOrder

from .order_setup import *  # noqa: F403  (the fixtures ow, today)
from .order_setup import D, balance, paid

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_four_fund_clicks_at_once_pay_the_seller_once(postgres_only, ow):
    assert connection.vendor == "postgresql"
    order = paid(ow, "loan")

    def fund():
        return orders.order_fund(order=PurchaseOrder.objects.get(pk=order.pk),
                                 acting_user=User.objects.get(pk=ow.ops.pk))

    results, errors = run_together(fund, fund, fund, fund)
    assert not errors, {i: repr(e) for i, e in errors.items()}
    assert len(results) == 4 and {result.state for result in results.values()} == {"funded"}
    assert JournalEntry.objects.filter(idempotency_key__contains=f"{order.reference}:funding").count() == 1
    assert balance(Account.Purpose.ADVANCES, ow.distributor) == D("352678.90")
