"""Pressed twice, retried, or sent by two operators at once: money moves once (PostgreSQL races)."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection

from scf.collections.models import Receipt
from scf.ledger.models import JournalEntry
from workflows.factoring import settlement
from workflows.factoring.models import FactoringFinancing

from .test_settlement import _disbursed

pytestmark = pytest.mark.django_db(transaction=True)


def _race(n, work):
    barrier = threading.Barrier(n)
    outcomes, lock = [], threading.Lock()

    def run(i):
        try:
            barrier.wait(timeout=30)
            work(i)
            result = "ok"
        except BaseException as error:  # reported, not swallowed
            result = f"error: {error!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_eight_concurrent_disbursements_post_one_entry_and_draw_the_facility_once(postgres_only, world):
    financing = _disbursed(world)
    # Start again from signed, as if the button were pressed eight times at once.
    FactoringFinancing.objects.filter(pk=financing.pk).update(state="signed", disbursed_on=None)
    outcomes = _race(8, lambda i: settlement.financing_disburse(financing=financing, acting_user=world.ops,
                                                                on=datetime.date(2026, 11, 25)))
    assert outcomes == ["ok"] * 8
    assert JournalEntry.objects.filter(idempotency_key=f"factoring:{financing.reference}:disbursement").count() == 1
    world.facility.refresh_from_db()
    assert world.facility.outstanding_amount == Decimal("760000.00")


def test_eight_concurrent_recordings_of_one_bank_receipt_apply_it_once(postgres_only, world):
    financing = _disbursed(world)
    outcomes = _race(8, lambda i: settlement.receipt_record(
        financing=financing, amount=Decimal("300000.00"), value_date=datetime.date(2026, 11, 25),
        bank_reference="RACE-1", acting_user=world.ops))
    assert outcomes == ["ok"] * 8
    financing.refresh_from_db()
    assert Receipt.objects.filter(bank_reference="RACE-1").count() == 1
    assert financing.advance_outstanding == Decimal("460000.00")
    world.facility.refresh_from_db()
    assert world.facility.outstanding_amount == Decimal("460000.00")
