"""Properties of the ledger over generated entries: balanced ones post and add up, others store nothing.

Every example runs in its own savepoint that is rolled back, so examples do not see each other's
postings and the expected balances are just the sums of the example's own lines.
"""

import uuid
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from scf.ledger.exceptions import UnbalancedEntry
from scf.ledger.models import JournalEntry, Posting
from scf.ledger.selectors import account_balance
from scf.ledger.services import Line, ledger_post

from .helpers import ledger_row_counts

CNY_ACCOUNTS = ["advances", "settlement", "fee_income", "funding"]
USD_ACCOUNTS = ["usd_advances", "usd_settlement"]
ALL_ACCOUNTS = CNY_ACCOUNTS + USD_ACCOUNTS

PROPERTY_SETTINGS = settings(
    max_examples=50, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Up to 10,000,000,000.00 a line: realistic, and within the 15 significant digits that SQLite keeps exactly.
cents = st.integers(min_value=-10**12, max_value=10**12).filter(lambda c: c != 0)


def _currency_lines(names):
    """Lines in one currency, made to balance by a last line of minus their sum (if not already zero)."""
    free_lines = st.lists(st.tuples(st.sampled_from(names), cents), min_size=1, max_size=5)

    def balance(args):
        lines, balancing_account = args
        total = sum(amount for _name, amount in lines)
        return lines + [(balancing_account, -total)] if total else lines

    return st.tuples(free_lines, st.sampled_from(names)).map(balance)


balanced_entry = st.tuples(_currency_lines(CNY_ACCOUNTS), st.one_of(st.just([]), _currency_lines(USD_ACCOUNTS))).map(
    lambda pair: pair[0] + pair[1]
)


def _lines(accounts, generated) -> list[Line]:
    return [Line(getattr(accounts, name), Decimal(amount) / 100) for name, amount in generated]


@PROPERTY_SETTINGS
@given(entries=st.lists(balanced_entry, min_size=1, max_size=4), shuffle=st.randoms(use_true_random=False))
def test_balanced_entries_post_and_every_balance_is_the_sum_of_its_postings(accounts, entries, shuffle):
    with transaction.atomic():
        posted = [
            ledger_post(idempotency_key=str(uuid.uuid4()), lines=_lines(accounts, generated), description="p",
                        acting_user=None)
            for generated in entries
        ]

        assert ledger_row_counts() == (len(entries), sum(len(generated) for generated in entries))

        per_entry_currency: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
        for entry_id, currency, amount in Posting.objects.values_list("entry_id", "currency", "amount"):
            per_entry_currency[entry_id, currency] += amount
        assert set(entry_id for entry_id, _currency in per_entry_currency) == {entry.pk for entry in posted}
        assert all(total == 0 for total in per_entry_currency.values()), per_entry_currency

        expected_cents: dict[str, int] = defaultdict(int)
        for generated in entries:
            for name, amount in generated:
                expected_cents[name] += amount
        for name in ALL_ACCOUNTS:
            expected = (Decimal(expected_cents[name]) / 100).quantize(Decimal("0.01"))
            # Compared as text too: a balance is to the cent, never 0.300000000000000 or -0.00.
            assert str(account_balance(account=getattr(accounts, name))) == str(expected), name

        # Replaying an entry with its lines in any order posts nothing and returns the first entry.
        replay = list(entries[0])
        shuffle.shuffle(replay)
        again = ledger_post(idempotency_key=posted[0].idempotency_key, lines=_lines(accounts, replay),
                            description="replay", acting_user=None)
        assert again.pk == posted[0].pk
        assert JournalEntry.objects.count() == len(entries)

        transaction.set_rollback(True)


# Amounts in mills (0.001) so that some lines have a third decimal place, zero included.
mills = st.integers(min_value=-10**9, max_value=10**9)
any_lines = st.lists(st.tuples(st.sampled_from(ALL_ACCOUNTS), mills), max_size=6)


def _would_be_valid(generated) -> bool:
    if len(generated) < 2 or any(amount == 0 or amount % 10 for _name, amount in generated):
        return False
    totals: dict[str, int] = defaultdict(int)
    for name, amount in generated:
        totals["USD" if name in USD_ACCOUNTS else "CNY"] += amount
    return all(total == 0 for total in totals.values())


def _nudge(args):
    """Return a balanced entry (in mills) with one line moved by a non-zero number of mills."""
    generated, delta, index = args
    in_mills = [(name, amount * 10) for name, amount in generated]
    name, amount = in_mills[index % len(in_mills)]
    in_mills[index % len(in_mills)] = (name, amount + delta)
    return in_mills


nudged_entry = st.tuples(balanced_entry, st.integers(min_value=-10**6, max_value=10**6).filter(bool),
                         st.integers(min_value=0, max_value=20)).map(_nudge)


@PROPERTY_SETTINGS
@given(generated=st.one_of(any_lines, nudged_entry))
def test_entries_that_do_not_balance_to_the_cent_are_refused_and_store_nothing(accounts, generated):
    assume(not _would_be_valid(generated))
    with transaction.atomic():
        ledger_post(idempotency_key=str(uuid.uuid4()), description="earlier", acting_user=None,
                    lines=[Line(accounts.advances, Decimal("10.00")), Line(accounts.funding, Decimal("-10.00"))])
        before = ledger_row_counts()
        balances_before = {name: account_balance(account=getattr(accounts, name)) for name in ALL_ACCOUNTS}

        try:
            ledger_post(idempotency_key=str(uuid.uuid4()), description="refused", acting_user=None,
                        lines=[Line(getattr(accounts, name), Decimal(amount) / 1000) for name, amount in generated])
        except UnbalancedEntry:
            pass
        else:
            raise AssertionError(f"posted an entry that does not balance: {generated}")

        assert ledger_row_counts() == before
        assert {name: account_balance(account=getattr(accounts, name)) for name in ALL_ACCOUNTS} == balances_before
        transaction.set_rollback(True)
