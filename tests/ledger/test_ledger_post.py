import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.utils import IntegrityError
from django.utils import timezone

from scf.core.exceptions import IdempotencyConflict
from scf.ledger.exceptions import UnbalancedEntry
from scf.ledger.models import Account, AppendOnlyError, JournalEntry, Posting
from scf.ledger.selectors import account_balance, balances_by_account
from scf.ledger.services import Line, account_for, ledger_post

from ..factories import LenderFactory, OrganizationFactory
from .helpers import ledger_row_counts

D = Decimal


def _disbursement_lines(accounts):
    # Advance 1,000,000.00 to the supplier, keeping a 1,500.00 fee: 1,000,000.00 = 998,500.00 + 1,500.00.
    return [
        Line(account=accounts.advances, amount=D("1000000.00")),
        Line(account=accounts.settlement, amount=D("-998500.00")),
        Line(account=accounts.fee_income, amount=D("-1500.00")),
    ]


# --- posting a balanced entry -------------------------------------------------------------------


def test_ledger_post_balanced_entry_stores_one_entry_and_its_postings(accounts, credit_officer):
    entry = ledger_post(idempotency_key="drawdown:1:disburse", lines=_disbursement_lines(accounts),
                        description="Disbursement of drawdown 1", acting_user=credit_officer,
                        value_date=datetime.date(2026, 3, 2))

    assert ledger_row_counts() == (1, 3)
    entry = JournalEntry.objects.get(pk=entry.pk)
    assert entry.idempotency_key == "drawdown:1:disburse"
    assert entry.description == "Disbursement of drawdown 1"
    assert entry.posted_by == credit_officer
    assert entry.value_date == datetime.date(2026, 3, 2)
    assert entry.reverses is None
    assert sorted((p.account.code, p.amount, p.currency) for p in entry.postings.select_related("account")) == sorted([
        (accounts.advances.code, D("1000000.00"), "CNY"),
        (accounts.settlement.code, D("-998500.00"), "CNY"),
        (accounts.fee_income.code, D("-1500.00"), "CNY"),
    ])


def test_account_balance_is_the_sum_of_the_accounts_postings_over_entries(accounts, credit_officer):
    ledger_post(idempotency_key="drawdown:1:disburse", lines=_disbursement_lines(accounts),
                description="Disbursement", acting_user=credit_officer)
    # The supplier's 998,500.00 is then paid out of the lender's funding account.
    ledger_post(idempotency_key="drawdown:1:payout", description="Payout", acting_user=credit_officer, lines=[
        Line(account=accounts.settlement, amount=D("998500.00")),
        Line(account=accounts.funding, amount=D("-998500.00")),
    ])

    assert account_balance(account=accounts.advances) == D("1000000.00")
    assert account_balance(account=accounts.settlement) == D("0.00")  # -998,500.00 + 998,500.00
    assert account_balance(account=accounts.fee_income) == D("-1500.00")
    assert account_balance(account=accounts.funding) == D("-998500.00")
    assert account_balance(account=accounts.usd_advances) == D("0.00")  # never posted to


def test_account_balance_is_exact_to_the_cent_when_cents_add_up(accounts):
    # SQLite sums decimals as floats: -0.03 + 0.01 + 0.02 came back as 3.47E-18 and 0.10 + 0.20 as
    # 0.300000000000000 before the selectors rounded to the cent.
    for key, debit, credit, amount in [
        ("a", "fee_income", "funding", "-0.03"), ("b", "fee_income", "funding", "0.01"),
        ("c", "fee_income", "funding", "0.02"),
        ("d", "advances", "settlement", "0.10"), ("e", "advances", "settlement", "0.20"),
    ]:
        ledger_post(idempotency_key=key, description="d", acting_user=None, lines=[
            Line(getattr(accounts, debit), D(amount)), Line(getattr(accounts, credit), -D(amount)),
        ])

    assert account_balance(account=accounts.fee_income) == D("0.00")  # -0.03 + 0.01 + 0.02
    assert str(account_balance(account=accounts.advances)) == "0.30"  # 0.10 + 0.20
    balances = balances_by_account(accounts=Account.objects.all())
    assert {code: str(balances[account.pk]) for code, account in vars(accounts).items() if account.pk in balances} == {
        "fee_income": "0.00", "funding": "0.00", "advances": "0.30", "settlement": "-0.30",
    }


def test_ledger_post_without_value_date_uses_today_and_without_user_leaves_posted_by_empty(accounts):
    entry = ledger_post(idempotency_key="k", lines=_disbursement_lines(accounts), description="System job",
                        acting_user=None)
    entry.refresh_from_db()
    assert entry.value_date == timezone.localdate()
    assert entry.posted_by is None


def test_ledger_post_accepts_trailing_zeros_beyond_the_cent(accounts):
    entry = ledger_post(idempotency_key="k", description="d", acting_user=None, lines=[
        Line(account=accounts.advances, amount=D("100.000")),
        Line(account=accounts.settlement, amount="-100"),
    ])
    assert sorted(entry.postings.values_list("amount", flat=True)) == [D("-100.00"), D("100.00")]


def test_account_for_returns_the_same_account_for_the_same_party_purpose_and_currency(lender):
    first = account_for(lender=lender, owner=lender, purpose=Account.Purpose.MARGIN)
    again = account_for(lender=lender, owner=lender, purpose=Account.Purpose.MARGIN)
    usd = account_for(lender=lender, owner=lender, purpose=Account.Purpose.MARGIN, currency="USD")
    assert first.pk == again.pk
    assert usd.pk != first.pk
    assert (first.code, usd.code) == (f"{lender.uscc}:{lender.uscc}:margin:CNY", f"{lender.uscc}:{lender.uscc}:margin:USD")


# --- refusals: nothing is stored ----------------------------------------------------------------

REFUSED = {
    "off_by_one_cent": lambda a: [Line(a.advances, D("100.00")), Line(a.settlement, D("-99.99"))],
    "single_line": lambda a: [Line(a.advances, D("100.00"))],
    "no_lines": lambda a: [],
    "a_zero_line": lambda a: [Line(a.advances, D("100.00")), Line(a.settlement, D("-100.00")),
                              Line(a.fee_income, D("0.00"))],
    "three_decimal_places": lambda a: [Line(a.advances, D("100.005")), Line(a.settlement, D("-100.005"))],
    "line_currency_not_the_accounts": lambda a: [Line(a.advances, D("100.00"), currency="USD"),
                                                 Line(a.usd_settlement, D("-100.00"))],
    "balanced_in_total_not_per_currency": lambda a: [Line(a.advances, D("100.00")),
                                                     Line(a.usd_settlement, D("-100.00"))],
    "one_currency_of_two_off": lambda a: [Line(a.advances, D("100.00")), Line(a.settlement, D("-100.00")),
                                          Line(a.usd_advances, D("50.00")), Line(a.usd_settlement, D("-49.99"))],
}


@pytest.mark.parametrize("case", REFUSED)
def test_ledger_post_refuses_an_invalid_entry_and_stores_nothing(accounts, case):
    ledger_post(idempotency_key="earlier", lines=_disbursement_lines(accounts), description="d", acting_user=None)
    before = ledger_row_counts()
    assert before == (1, 3)

    with pytest.raises(UnbalancedEntry) as error:
        ledger_post(idempotency_key=f"refused:{case}", lines=REFUSED[case](accounts), description="d",
                    acting_user=None)

    assert error.value.code == "unbalanced_entry"
    assert error.value.http_status == 400
    assert ledger_row_counts() == before
    assert not JournalEntry.objects.filter(idempotency_key=f"refused:{case}").exists()


def test_ledger_post_names_the_currency_and_difference_of_an_unbalanced_entry(accounts):
    with pytest.raises(UnbalancedEntry) as error:
        ledger_post(idempotency_key="k", description="d", acting_user=None, lines=REFUSED["one_currency_of_two_off"](
            accounts))
    assert "USD +0.01" in str(error.value)  # 50.00 - 49.99
    assert "CNY" not in str(error.value)  # CNY balances: 100.00 - 100.00


def test_ledger_post_refuses_float_amounts_and_stores_nothing(accounts):
    with pytest.raises(TypeError):
        ledger_post(idempotency_key="k", description="d", acting_user=None,
                    lines=[Line(accounts.advances, 0.1), Line(accounts.settlement, D("-0.10"))])
    assert ledger_row_counts() == (0, 0)


def test_ledger_post_balanced_per_currency_is_accepted_with_several_currencies(accounts):
    entry = ledger_post(idempotency_key="fx", description="Two-currency drawdown", acting_user=None, lines=[
        Line(accounts.advances, D("700000.00")),
        Line(accounts.settlement, D("-700000.00")),
        Line(accounts.usd_advances, D("100000.00")),
        Line(accounts.usd_settlement, D("-99850.50")),
        Line(accounts.usd_settlement, D("-149.50")),  # 99,850.50 + 149.50 = 100,000.00
    ])

    assert ledger_row_counts() == (1, 5)
    by_currency = {}
    for posting in entry.postings.all():
        by_currency[posting.currency] = by_currency.get(posting.currency, D("0")) + posting.amount
    assert by_currency == {"CNY": D("0.00"), "USD": D("0.00")}
    assert account_balance(account=accounts.usd_settlement) == D("-100000.00")
    assert account_balance(account=accounts.usd_advances) == D("100000.00")
    assert account_balance(account=accounts.advances) == D("700000.00")


# --- idempotency --------------------------------------------------------------------------------


def test_ledger_post_same_key_and_lines_in_another_order_returns_the_first_entry(accounts):
    first = ledger_post(idempotency_key="drawdown:7:disburse", lines=_disbursement_lines(accounts),
                        description="First", acting_user=None)
    replay_lines = list(reversed(_disbursement_lines(accounts)))
    # The same amounts written differently (an int, a string) are the same lines.
    replay_lines[0] = Line(accounts.fee_income, "-1500")
    replay_lines[2] = Line(accounts.advances, 1000000)

    again = ledger_post(idempotency_key="drawdown:7:disburse", lines=replay_lines, description="Replayed",
                        acting_user=None)

    assert again.pk == first.pk
    assert ledger_row_counts() == (1, 3)
    assert JournalEntry.objects.get().description == "First"
    assert account_balance(account=accounts.advances) == D("1000000.00")  # not 2,000,000.00


def test_ledger_post_same_key_with_different_amounts_is_a_conflict_and_posts_nothing(accounts):
    ledger_post(idempotency_key="k", description="d", acting_user=None,
                lines=[Line(accounts.advances, D("1000.00")), Line(accounts.settlement, D("-1000.00"))])

    with pytest.raises(IdempotencyConflict) as error:
        ledger_post(idempotency_key="k", description="d", acting_user=None,
                    lines=[Line(accounts.advances, D("1000.01")), Line(accounts.settlement, D("-1000.01"))])

    assert error.value.code == "idempotency_conflict"
    assert error.value.http_status == 409
    assert ledger_row_counts() == (1, 2)
    assert account_balance(account=accounts.advances) == D("1000.00")


def test_ledger_post_same_key_with_same_amounts_on_other_accounts_is_a_conflict(accounts):
    ledger_post(idempotency_key="k", description="d", acting_user=None,
                lines=[Line(accounts.advances, D("1000.00")), Line(accounts.settlement, D("-1000.00"))])

    with pytest.raises(IdempotencyConflict):
        ledger_post(idempotency_key="k", description="d", acting_user=None,
                    lines=[Line(accounts.advances, D("1000.00")), Line(accounts.fee_income, D("-1000.00"))])

    assert ledger_row_counts() == (1, 2)
    assert account_balance(account=accounts.fee_income) == D("0.00")


# --- append-only --------------------------------------------------------------------------------


def test_journal_entry_save_of_a_posted_entry_raises_and_changes_nothing(accounts):
    entry = ledger_post(idempotency_key="k", lines=_disbursement_lines(accounts), description="Original",
                        acting_user=None)
    entry.description = "Edited"
    with pytest.raises(AppendOnlyError):
        entry.save()
    assert JournalEntry.objects.get(pk=entry.pk).description == "Original"


def test_journal_entry_delete_raises_and_keeps_the_entry(accounts):
    entry = ledger_post(idempotency_key="k", lines=_disbursement_lines(accounts), description="d", acting_user=None)
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert ledger_row_counts() == (1, 3)


def test_posting_delete_and_save_raise_and_keep_the_posting(accounts):
    entry = ledger_post(idempotency_key="k", lines=_disbursement_lines(accounts), description="d", acting_user=None)
    posting = entry.postings.get(account=accounts.advances)
    with pytest.raises(AppendOnlyError):
        posting.delete()
    posting.amount = D("1.00")
    with pytest.raises(AppendOnlyError):
        posting.save()
    assert Posting.objects.get(pk=posting.pk).amount == D("1000000.00")
    assert ledger_row_counts() == (1, 3)


RAW_CHANGES = {
    "update_posting": "UPDATE ledger_posting SET amount = amount + 1 WHERE entry_id = %s",
    "delete_posting": "DELETE FROM ledger_posting WHERE entry_id = %s",
    "update_entry": "UPDATE ledger_journalentry SET description = 'edited' WHERE id = %s",
    "delete_entry": "DELETE FROM ledger_journalentry WHERE id = %s",
}


@pytest.mark.parametrize("change", RAW_CHANGES)
def test_postgres_trigger_refuses_raw_sql_changes_to_posted_rows(postgres_only, accounts, change):
    entry = ledger_post(idempotency_key="k", lines=_disbursement_lines(accounts), description="d", acting_user=None)

    # The trigger raises SQLSTATE 23000 (integrity_constraint_violation), which Django maps to IntegrityError.
    with pytest.raises(IntegrityError, match="append-only table ledger_"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(RAW_CHANGES[change], [entry.pk])

    assert ledger_row_counts() == (1, 3)
    assert JournalEntry.objects.get(pk=entry.pk).description == "d"
    assert account_balance(account=accounts.advances) == D("1000000.00")


# --- concurrency (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_ledger_post_same_key_from_ten_threads_at_once_posts_one_entry(postgres_only):
    lender = LenderFactory()
    supplier = OrganizationFactory()
    advances = account_for(lender=lender, owner=lender, purpose=Account.Purpose.ADVANCES)
    settlement = account_for(lender=lender, owner=supplier, purpose=Account.Purpose.SUPPLIER_SETTLEMENT)
    lines = [Line(advances, D("500000.00")), Line(settlement, D("-500000.00"))]
    threads_count = 10
    barrier = threading.Barrier(threads_count)
    entry_ids: list[int] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            barrier.wait(timeout=10)
            entry = ledger_post(idempotency_key="drawdown:42:disburse", lines=lines, description="Race",
                                acting_user=None)
            entry_ids.append(entry.pk)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(entry_ids) == threads_count
    assert len(set(entry_ids)) == 1
    assert list(JournalEntry.objects.values_list("pk", flat=True)) == entry_ids[:1]
    assert Posting.objects.count() == 2
    assert account_balance(account=advances) == D("500000.00")
