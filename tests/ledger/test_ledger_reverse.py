from decimal import Decimal

import pytest

from scf.ledger.exceptions import AlreadyReversed
from scf.ledger.models import JournalEntry
from scf.ledger.selectors import account_balance
from scf.ledger.services import Line, ledger_post, ledger_reverse

from .helpers import ledger_row_counts

D = Decimal


def _post_disbursement(accounts, key="drawdown:3:disburse"):
    # 250,000.00 advanced; the supplier gets 249,000.00 and 1,000.00 is fee income.
    return ledger_post(idempotency_key=key, description="Disbursement", acting_user=None, lines=[
        Line(accounts.advances, D("250000.00")),
        Line(accounts.settlement, D("-249000.00")),
        Line(accounts.fee_income, D("-1000.00")),
    ])


def test_ledger_reverse_posts_the_mirror_entry_and_links_it(accounts, risk_manager):
    original = _post_disbursement(accounts)

    reversal = ledger_reverse(entry=original, reason="wrong supplier account", acting_user=risk_manager)

    assert ledger_row_counts() == (2, 6)
    reversal = JournalEntry.objects.get(pk=reversal.pk)
    assert reversal.pk != original.pk
    assert reversal.reverses_id == original.pk
    assert JournalEntry.objects.get(pk=original.pk).reversed_by == reversal
    assert reversal.idempotency_key == "reversal:drawdown:3:disburse"
    assert "wrong supplier account" in reversal.description
    assert reversal.posted_by == risk_manager
    assert sorted((p.account_id, p.amount) for p in reversal.postings.all()) == sorted([
        (accounts.advances.pk, D("-250000.00")),
        (accounts.settlement.pk, D("249000.00")),
        (accounts.fee_income.pk, D("1000.00")),
    ])


def test_ledger_reverse_brings_the_balances_back_to_zero(accounts):
    original = _post_disbursement(accounts)
    assert account_balance(account=accounts.advances) == D("250000.00")

    ledger_reverse(entry=original, reason="duplicate", acting_user=None)

    for account in (accounts.advances, accounts.settlement, accounts.fee_income):
        assert account_balance(account=account) == D("0.00")


def test_ledger_reverse_undoes_only_the_reversed_entry(accounts):
    kept = ledger_post(idempotency_key="kept", description="d", acting_user=None, lines=[
        Line(accounts.advances, D("40000.00")), Line(accounts.settlement, D("-40000.00")),
    ])
    mistaken = _post_disbursement(accounts)

    ledger_reverse(entry=mistaken, reason="posted twice", acting_user=None)

    assert account_balance(account=accounts.advances) == D("40000.00")  # 40,000 + 250,000 - 250,000
    assert account_balance(account=accounts.settlement) == D("-40000.00")  # -40,000 - 249,000 + 249,000
    assert account_balance(account=accounts.fee_income) == D("0.00")  # -1,000 + 1,000
    assert not JournalEntry.objects.filter(reverses=kept).exists()


def test_ledger_reverse_of_a_multi_currency_entry_mirrors_each_currency(accounts):
    original = ledger_post(idempotency_key="fx", description="d", acting_user=None, lines=[
        Line(accounts.advances, D("7000.00")), Line(accounts.settlement, D("-7000.00")),
        Line(accounts.usd_advances, D("1000.00")), Line(accounts.usd_settlement, D("-1000.00")),
    ])

    reversal = ledger_reverse(entry=original, reason="r", acting_user=None)

    assert sorted((p.currency, p.amount) for p in reversal.postings.all()) == [
        ("CNY", D("-7000.00")), ("CNY", D("7000.00")), ("USD", D("-1000.00")), ("USD", D("1000.00")),
    ]
    assert account_balance(account=accounts.usd_advances) == D("0.00")


def test_ledger_reverse_twice_raises_already_reversed_and_posts_nothing_more(accounts):
    original = _post_disbursement(accounts)
    ledger_reverse(entry=original, reason="first", acting_user=None)
    before = ledger_row_counts()

    with pytest.raises(AlreadyReversed) as error:
        ledger_reverse(entry=original, reason="second", acting_user=None)

    assert error.value.code == "already_reversed"
    assert error.value.http_status == 409
    assert ledger_row_counts() == before == (2, 6)
    assert account_balance(account=accounts.advances) == D("0.00")  # not -250,000.00
