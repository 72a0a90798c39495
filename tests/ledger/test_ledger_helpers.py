"""The helpers products post with: accounts, lines, idempotency keys and the daily accrual rule."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import transaction

from scf.ledger.models import Account, JournalEntry
from scf.ledger.services import (
    Line,
    account_code,
    account_for,
    accounts_by_code,
    accrual_post,
    entry_key,
    house_account,
    lines,
    party_account,
)

P = Account.Purpose
DAY = datetime.date(2027, 3, 1)


@pytest.mark.parametrize(("parts", "key"), [
    # The forms every product has posted under: a replay must find its first entry by them.
    (("factoring", "FF-2026-00001", "disbursement"), "factoring:FF-2026-00001:disbursement"),
    (("factoring", "FF-2026-00001", "receipt", "CB20260713-0002"), "factoring:FF-2026-00001:receipt:CB20260713-0002"),
    (("factoring", "FF-2026-00001", "penalty", datetime.date(2027, 2, 28)),
     "factoring:FF-2026-00001:penalty:2027-02-28"),
    (("factoring", "FF-2026-00001", "write-off"), "factoring:FF-2026-00001:write-off"),
    (("receipt", "91310000MA1FL8XQ30", "B1", "return"), "receipt:91310000MA1FL8XQ30:B1:return"),
    (("reversal", "factoring:FF-2026-00001:rebate"), "reversal:factoring:FF-2026-00001:rebate"),
    ((7, 42), "7:42"),
])
def test_entry_key_joins_its_parts_with_colons(parts, key):
    assert entry_key(*parts) == key


@pytest.mark.parametrize("parts", [(), ("factoring", "", "receipt")], ids=["no parts", "an empty part"])
def test_entry_key_refuses_keys_that_could_collide(parts):
    with pytest.raises(ValueError):
        entry_key(*parts)


def test_house_and_party_accounts_are_the_accounts_for_their_owner_in_the_lenders_books(lender, supplier):
    house = house_account(P.SUSPENSE, "CNY", lender=lender)
    assert house == account_for(lender=lender, owner=None, purpose=P.SUSPENSE, currency="CNY")
    assert (house.code, house.lender, house.owner) == (f"HOUSE:{lender.uscc}:suspense:CNY", lender, None)
    margin = party_account(supplier, P.MARGIN, "USD", lender=lender)
    assert margin == account_for(lender=lender, owner=supplier, purpose=P.MARGIN, currency="USD")
    assert (margin.code, margin.lender, margin.owner) == (f"{lender.uscc}:{supplier.uscc}:margin:USD", lender, supplier)


def test_an_account_is_looked_up_once_its_opening_committed(lender, supplier, django_capture_on_commit_callbacks,
                                                             django_assert_num_queries):
    # Opened in a transaction rolled back: not remembered, opened again next time.
    with transaction.atomic():
        party_account(supplier, P.MARGIN, "CNY", lender=lender)
        transaction.set_rollback(True)
    assert not Account.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        opened = party_account(supplier, P.MARGIN, "CNY", lender=lender)
    with django_assert_num_queries(0):
        assert party_account(supplier, P.MARGIN, "CNY", lender=lender) == opened
    # Another currency is another account, looked up and opened in its turn.
    with django_capture_on_commit_callbacks(execute=True):
        assert party_account(supplier, P.MARGIN, "USD", lender=lender) != opened
    assert Account.objects.count() == 2


def test_an_entrys_accounts_are_opened_together_and_remembered_once_committed(lender, supplier,
                                                                              django_capture_on_commit_callbacks,
                                                                              django_assert_num_queries):
    suspense = house_account(P.SUSPENSE, "CNY", lender=lender)  # opened before, by another path
    wanted = [(lender, supplier, P.ADVANCES, "CNY"), (lender, None, P.LENDER_FUNDING, "CNY"),
              (lender, None, P.SUSPENSE, "CNY"), (lender, supplier, P.ADVANCES, "CNY")]
    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(2):  # read, open the two new
        found = accounts_by_code(wanted)
    codes = [account_code(lender=lender, owner=owner, purpose=purpose, currency=currency)
             for lender, owner, purpose, currency in wanted]
    assert set(found) == set(codes) and found[codes[2]] == suspense
    assert {code: account.pk for code, account in found.items()} == dict(
        Account.objects.filter(code__in=codes).values_list("code", "pk"))
    assert (found[codes[0]].owner, found[codes[0]].purpose, found[codes[1]].owner) == (supplier, P.ADVANCES, None)
    with django_assert_num_queries(0):
        assert accounts_by_code(wanted) == found


def test_an_account_opened_meanwhile_elsewhere_answers_the_opening_of_it(lender, supplier, monkeypatch):
    code = account_code(lender=lender, owner=supplier, purpose=P.MARGIN, currency="CNY")
    other = Account.objects.create(code=code, lender=lender, owner=supplier, purpose=P.MARGIN, currency="CNY")
    # Committed by another transaction after this one looked it up: the opening meets it and answers it.
    monkeypatch.setattr(Account.objects, "in_bulk", lambda codes, field_name: {})
    found = accounts_by_code([(lender, supplier, P.MARGIN, "CNY")])
    assert found[code].pk == other.pk and Account.objects.filter(code=code).count() == 1


def test_an_account_needs_its_lender(supplier):
    with pytest.raises(ValueError):
        account_for(lender=None, owner=supplier, purpose=P.MARGIN)
    assert not Account.objects.exists()


def test_lines_leave_out_zero_amounts(accounts):
    assert lines((accounts.advances, D("5.00")), (accounts.fee_income, D("0.00")), (accounts.funding, D("-5.00"))) == [
        Line(accounts.advances, D("5.00")), Line(accounts.funding, D("-5.00"))]


def _accrue(accounts, *, exact, posted, day=DAY, **extra):
    return accrual_post(exact=D(exact), posted=D(posted), idempotency_key=entry_key("test", "accrual", day),
                        debit=extra.get("debit", accounts.settlement), credit=extra.get("credit", accounts.fee_income),
                        description="Accrual", acting_user=None, value_date=day)


def test_accrual_posts_the_rounded_exact_accrual_less_what_is_posted(accounts):
    # Day 1: exact 10.005 → round 10.01, nothing posted yet → post 10.01.
    assert _accrue(accounts, exact="10.005", posted="0.00") == D("10.01")
    # Day 2: exact to date 20.004 → 20.00, 10.01 posted → post 9.99 (not a second 10.00: no drift).
    next_day = DAY + datetime.timedelta(days=1)
    assert _accrue(accounts, exact="20.004", posted="10.01", day=next_day) == D("9.99")
    first, second = JournalEntry.objects.order_by("value_date")
    assert (first.idempotency_key, first.value_date) == ("test:accrual:2027-03-01", DAY)
    assert sorted(p.amount for p in first.postings.all()) == [D("-10.01"), D("10.01")]
    assert first.postings.get(amount__gt=0).account == accounts.settlement
    assert sorted(p.amount for p in second.postings.all()) == [D("-9.99"), D("9.99")]
    assert second.value_date == next_day


def test_accrual_posts_nothing_when_nothing_is_due_and_never_looks_the_accounts_up(accounts):
    def unused():
        raise AssertionError("looked up although nothing is posted")

    assert _accrue(accounts, exact="20.004", posted="20.00", debit=unused, credit=unused) == D("0.00")
    assert _accrue(accounts, exact="19.99", posted="20.00", debit=unused, credit=unused) == D("0.00")
    assert not JournalEntry.objects.exists()


def test_accrual_accounts_may_be_functions_called_only_to_post(accounts):
    assert _accrue(accounts, exact="0.005", posted="0", debit=lambda: accounts.settlement,
                   credit=lambda: accounts.fee_income) == D("0.01")
    assert JournalEntry.objects.get().postings.count() == 2
