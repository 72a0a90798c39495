"""What a unit of work keeps for its end (scf.audit.services.at_unit_of_work_end_together)."""

import pytest
from django.db import transaction

from scf.audit.services import at_unit_of_work_end_together, audit_batch, audited

pytestmark = pytest.mark.django_db


def test_kept_items_are_handed_over_together_once_without_those_of_a_savepoint_rolled_back():
    flushed = []

    @audited
    def service():
        before = list(flushed)
        assert at_unit_of_work_end_together("things", "first", flushed.append)
        try:
            with transaction.atomic():
                at_unit_of_work_end_together("things", "rolled back", flushed.append)
                raise RuntimeError
        except RuntimeError:
            pass
        at_unit_of_work_end_together("things", "last", flushed.append)
        assert flushed == before  # not before the unit ends

    service()
    assert flushed == [["first", "last"]]
    service()  # a second unit of work keeps its own
    assert flushed == [["first", "last"], ["first", "last"]]


def test_outside_a_unit_of_work_nothing_is_kept():
    flushed = []
    assert not at_unit_of_work_end_together("things", "alone", flushed.append)
    with transaction.atomic():
        assert not at_unit_of_work_end_together("things", "alone", flushed.append)
    assert flushed == []


def test_a_unit_of_work_that_fails_hands_nothing_over():
    flushed = []

    @audited
    def service():
        at_unit_of_work_end_together("things", "doomed", flushed.append)
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        service()
    assert flushed == []



@pytest.mark.django_db(transaction=True)
def test_a_unit_of_work_outside_a_transaction_keeps_nothing_for_its_end():
    """`audit_batch` on its own, outside a transaction: an inner block commits as it ends, and what it made would
    look rolled back at the unit's end; nothing is kept, the caller writes each item at once."""
    flushed = []
    with audit_batch(), transaction.atomic():
        kept = at_unit_of_work_end_together("things", "inner", flushed.append)
    assert kept is False and flushed == []
