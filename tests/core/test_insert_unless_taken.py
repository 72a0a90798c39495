"""insert_unless_taken: one row inserted unless its unique key is taken, told apart without a look-up."""

import pytest
from django.db import connection

from scf.core.races import insert_unless_taken
from scf.ledger.models import Account
from tests.factories import LenderFactory

pytestmark = pytest.mark.django_db


def _account(lender, purpose="suspense"):
    return Account(code=f"HOUSE:{lender.uscc}:{purpose}:CNY", lender=lender, owner=None, purpose=purpose,
                   currency="CNY")


@pytest.mark.parametrize("returning", [True, False], ids=["RETURNING", "a savepoint without RETURNING"])
def test_the_first_row_is_inserted_and_a_second_with_its_key_is_skipped(returning, monkeypatch):
    if not returning:  # SQLite before 3.35; PostgreSQL always returns the key (its driver has no lastrowid)
        if connection.vendor != "sqlite":
            assert connection.features.can_return_columns_from_insert
            return
        monkeypatch.setattr(connection.features, "can_return_columns_from_insert", False)
    lender = LenderFactory()
    first, second = _account(lender), _account(lender)
    assert insert_unless_taken(first) is True
    assert first.pk is not None and not first._state.adding
    assert insert_unless_taken(second) is False
    assert second.pk is None and second._state.adding
    assert list(Account.objects.values_list("pk", flat=True)) == [first.pk]
    other = _account(lender, purpose="fee_income")
    assert insert_unless_taken(other) is True and Account.objects.count() == 2


def test_a_saved_row_or_one_with_parent_tables_is_refused():
    lender = LenderFactory()
    account = _account(lender)
    insert_unless_taken(account)
    with pytest.raises(ValueError):
        insert_unless_taken(account)
    from workflows.inbox.models import CaseProcess

    with pytest.raises(TypeError):
        insert_unless_taken(CaseProcess(reference="X"))
