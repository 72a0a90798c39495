"""Accounts shared by every lender before ledger 0005 come through the move to per-lender books whole.

The database is migrated back to ledger 0004 (accounts keyed `HOUSE:<purpose>:<currency>` and
`<party>:<purpose>:<currency>`, no lender), two lenders' entries are written on the same shared
accounts with the historical models, and the database is migrated forward again, on SQLite and on
PostgreSQL (where postings are append-only). Worked numbers:

- lender A disburses 760,000.00 to the supplier (FA) and receives 100,000.00 of it back;
- lender B disburses 500,000.00 to the same supplier (FB), receives 5.00 unmatched and returns it
  (a reversal), and receives 7.00 unmatched recorded by a receipt under a key naming no lender.

Before: supplier advances 760,000 + 500,000 − 100,000 = 1,160,000.00; house funding
−1,260,000.00; house collection 100,000 + 5 − 5 + 7 = 100,007.00; house suspense −7.00.
After: A's books — advances 660,000.00, funding −760,000.00, collection 100,000.00;
B's books — advances 500,000.00, funding −500,000.00, collection 7.00, suspense −7.00.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from scf.ledger.models import Account, JournalEntry, Posting
from scf.ledger.selectors import account_balance
from tests.conftest import on_postgres
from tests.factories import LenderFactory
from tests.factoring.test_financing_lifecycle import _receivable
from tests.migrating import TripExecutor
from workflows.factoring import services
from workflows.factoring.models import FactoringFinancing

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal
BEFORE = [("ledger", "0004_alter_account_purpose")]
DAY = datetime.date(2026, 11, 25)


def _migrate(targets=None):
    """Migrate to `targets` (the latest migrations when None); return the historical apps of what is applied."""
    executor = TripExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()
    return MigrationExecutor(connection)._create_project_state(with_applied_migrations=True).apps


def _requested(world) -> FactoringFinancing:
    """A financing of lender A requested, not disbursed: nothing posted yet."""
    receivable = _receivable(world)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                  value_date=DAY, acting_user=world.supplier_user)
    return financing


def _of_lender_b(financing: FactoringFinancing, lender) -> FactoringFinancing:
    values = FactoringFinancing.objects.filter(pk=financing.pk).values().get()
    for key in ("id", "approval_case_id"):
        values.pop(key)
    return FactoringFinancing.objects.create(**{**values, "reference": "FF-MIG-B0001", "lender_id": lender.pk})


def test_shared_accounts_are_split_per_lender_without_changing_a_balance(world):
    lender_a, supplier = world.lender, world.supplier
    fa = _requested(world)
    lender_b = LenderFactory(legal_name="第二银行")
    fb = _of_lender_b(fa, lender_b)
    assert lender_a.pk < lender_b.pk and not Account.objects.exists()

    try:
        old = _migrate(BEFORE)
        OldAccount = old.get_model("ledger", "Account")
        OldEntry = old.get_model("ledger", "JournalEntry")
        OldPosting = old.get_model("ledger", "Posting")
        OldReceipt = old.get_model("collections", "Receipt")
        assert "lender_id" not in {f.attname for f in OldAccount._meta.fields}

        def account(owner, purpose):
            code = f"{owner.uscc if owner else 'HOUSE'}:{purpose}:CNY"
            return OldAccount.objects.create(code=code, owner_id=owner.pk if owner else None, purpose=purpose,
                                             currency="CNY").pk

        advances, funding = account(supplier, "advances"), account(None, "lender_funding")
        collection, suspense = account(None, "debtor_collection"), account(None, "suspense")
        unused = account(None, "loss")

        def post(key, *pairs, reverses=None):
            entry = OldEntry.objects.create(idempotency_key=key, fingerprint="-", description=key, value_date=DAY,
                                            reverses_id=reverses)
            OldPosting.objects.bulk_create(OldPosting(entry_id=entry.pk, account_id=acc, amount=D(amount),
                                                      currency="CNY") for acc, amount in pairs)
            return entry.pk

        post(f"factoring:{fa.reference}:disbursement", (advances, "760000.00"), (funding, "-760000.00"))
        post(f"factoring:{fb.reference}:disbursement", (advances, "500000.00"), (funding, "-500000.00"))
        post(f"factoring:{fa.reference}:receipt:R1", (collection, "100000.00"), (advances, "-100000.00"))
        u1 = post(f"receipt:{lender_b.uscc}:U1", (collection, "5.00"), (suspense, "-5.00"))
        post(f"reversal:receipt:{lender_b.uscc}:U1", (suspense, "5.00"), (collection, "-5.00"), reverses=u1)
        unnamed = post("bank-import:7", (collection, "7.00"), (suspense, "-7.00"))
        OldReceipt.objects.create(lender_id=lender_b.pk, kind="unmatched", status="suspense", payer_name="X",
                                  bank_reference="U2", value_date=DAY, currency="CNY", amount=D("7.00"),
                                  suspense=D("7.00"), entry_id=unnamed)
        postings_before = {p.pk: (p.entry_id, p.amount) for p in OldPosting.objects.all()}
        assert len(postings_before) == 12

        _migrate()

        # Every posting is still there, on the same entry, for the same amount.
        assert {p.pk: (p.entry_id, p.amount) for p in Posting.objects.all()} == postings_before
        books = {(a.lender_id, a.owner_id, a.purpose): account_balance(account=a)
                 for a in Account.objects.all()}
        assert books == {
            (lender_a.pk, supplier.pk, "advances"): D("660000.00"),
            (lender_a.pk, None, "lender_funding"): D("-760000.00"),
            (lender_a.pk, None, "debtor_collection"): D("100000.00"),
            (lender_b.pk, supplier.pk, "advances"): D("500000.00"),
            (lender_b.pk, None, "lender_funding"): D("-500000.00"),
            (lender_b.pk, None, "debtor_collection"): D("7.00"),
            (lender_b.pk, None, "suspense"): D("-7.00"),
        }
        # The first lender keeps the old rows, re-keyed; the account that held nothing is gone.
        kept = Account.objects.get(pk=advances)
        assert (kept.lender_id, kept.code) == (lender_a.pk, f"{lender_a.uscc}:{supplier.uscc}:advances:CNY")
        assert Account.objects.get(pk=suspense).code == f"HOUSE:{lender_b.uscc}:suspense:CNY"
        assert not Account.objects.filter(pk=unused).exists()
        # Each entry is in one lender's books, and each lender's books balance.
        for entry in JournalEntry.objects.all():
            assert len({p.account.lender_id for p in entry.postings.select_related("account")}) == 1, entry
        for lender in (lender_a, lender_b):
            assert sum(b for (owner, _o, _p), b in books.items() if owner == lender.pk) == 0
        # Postings are append-only again on PostgreSQL once the migration is done.
        if on_postgres():
            with pytest.raises(DatabaseError), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("UPDATE ledger_posting SET account_id = %s WHERE id = %s",
                                   [advances, min(postings_before)])
    finally:
        _migrate()


def test_an_entry_of_no_lender_that_can_be_told_stops_the_migration_and_changes_nothing(world):
    lender_b = LenderFactory(legal_name="第二银行")
    assert lender_b.pk
    try:
        old = _migrate(BEFORE)
        OldAccount = old.get_model("ledger", "Account")
        OldEntry = old.get_model("ledger", "JournalEntry")
        OldPosting = old.get_model("ledger", "Posting")
        a = OldAccount.objects.create(code="HOUSE:advances:CNY", purpose="advances", currency="CNY").pk
        b = OldAccount.objects.create(code="HOUSE:lender_funding:CNY", purpose="lender_funding", currency="CNY").pk
        entry = OldEntry.objects.create(idempotency_key="mystery", fingerprint="-", description="?", value_date=DAY)
        OldPosting.objects.bulk_create([OldPosting(entry_id=entry.pk, account_id=a, amount=D("1.00"), currency="CNY"),
                                        OldPosting(entry_id=entry.pk, account_id=b, amount=D("-1.00"),
                                                   currency="CNY")])
        with pytest.raises(RuntimeError, match="mystery"):
            _migrate()
        executor = MigrationExecutor(connection)
        assert ("ledger", "0006_account_lender_move_postings") not in executor.loader.applied_migrations
        assert set(OldAccount.objects.values_list("code", flat=True)) == {"HOUSE:advances:CNY",
                                                                          "HOUSE:lender_funding:CNY"}
        # Once the entry's lender is known (here: the only lender left), it migrates.
        lender_b.delete()
    finally:
        _migrate()
    assert set(Account.objects.values_list("lender_id", flat=True)) == {world.lender.pk}
