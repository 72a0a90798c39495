"""PostgreSQL: audited transactions do not wait for each other, and the chain still ends complete."""

import threading

import pytest
from django.db import connection, transaction

from scf.audit.models import AuditRecord
from scf.audit.services import audit_chain_verify, audit_record, audited

from ..races import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://... (row locks and real concurrency)")


def test_an_open_audited_transaction_does_not_hold_up_another_and_both_are_chained(on_postgres):
    """A writes its record first and stays open; B writes, commits and is chained meanwhile.

    Under the old service-wide head lock B would have waited for A. Now B commits at once, is
    chained first (chain position 1) though its seq is higher, and A is chained after it commits.
    """
    a_written, b_committed = threading.Event(), threading.Event()
    outcome = {}

    def slow_a():
        try:
            with transaction.atomic():
                outcome["a"] = audit_record(action="test.a").seq
                a_written.set()
                outcome["b_while_a_open"] = b_committed.wait(timeout=15)
        finally:
            connection.close()

    def quick_b():
        try:
            assert a_written.wait(timeout=15)
            with transaction.atomic():
                outcome["b"] = audit_record(action="test.b").seq
            # Eager Celery: the chainer ran on commit, before this line; A's record is not visible to it.
            outcome["b_chained"] = AuditRecord.objects.get(seq=outcome["b"]).chain_seq
            b_committed.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=slow_a, daemon=True), threading.Thread(target=quick_b, daemon=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads)

    assert outcome["b_while_a_open"] is True  # B committed while A was still open: no shared lock
    assert outcome["a"] < outcome["b"]
    assert outcome["b_chained"] == 1  # the committed one first, A not skipped but left for later
    chain = dict(AuditRecord.objects.values_list("seq", "chain_seq"))
    assert chain == {outcome["b"]: 1, outcome["a"]: 2}
    assert audit_chain_verify() == (2, None)


def test_eight_threads_of_audited_transactions_end_with_a_complete_verifiable_chain(on_postgres):
    @audited
    def work(thread: int, i: int) -> None:
        audit_record(action=f"test.t{thread}", note=f"{i}")
        audit_record(action=f"test.t{thread}", note=f"{i} second")

    def job(thread):
        return lambda: [work(thread, i) for i in range(15)]

    _results, errors = run_together(*(job(t) for t in range(8)))

    assert errors == {}
    assert AuditRecord.objects.count() == 8 * 15 * 2
    assert not AuditRecord.objects.filter(chain_seq__isnull=True).exists()
    assert audit_chain_verify() == (240, None)
