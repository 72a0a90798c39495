"""Receipts recorded before they moved to collections come through the move whole.

The database is migrated back to factoring 0004 (the receipt still factoring's, with its
`financing` column), receipts are written with the historical models, and the database is
migrated forward again: every row, amount, link and constraint must be there, on SQLite and on
PostgreSQL. Then back and forward once more with the rows in place: the move also undoes cleanly.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from scf.collections.models import Receipt
from scf.ledger.models import JournalEntry
from tests.factories import LenderFactory
from tests.factoring.test_settlement import _disbursed
from tests.migrating import TripExecutor
from workflows.factoring import settlement
from workflows.factoring.models import FactoringFinancing

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal
BEFORE = [("factoring", "0006_approval_case_parties"), ("collections", None)]
DAY = datetime.date(2026, 11, 25)
RECEIPT_CONSTRAINTS = {"receipt_lender_bank_reference", "receipt_amount_positive", "receipt_fully_allocated",
                       "receipt_case_link_complete"}


def _migrate(targets=None):
    """Migrate to `targets` (the latest migrations when None); return the historical apps there."""
    executor = TripExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    return MigrationExecutor(connection).loader.project_state([t for t in targets if t[1] is not None]).apps


def _entry(key: str) -> int:
    return JournalEntry.objects.create(idempotency_key=key, fingerprint="-", description=key, value_date=DAY).pk


def _receipt_table_constraints() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, Receipt._meta.db_table))


def _second_financing(first: FactoringFinancing) -> FactoringFinancing:
    """Another financing of the same parties, so that a receipt linked to the wrong one shows."""
    values = FactoringFinancing.objects.filter(pk=first.pk).values().get()
    for key in ("id", "approval_case_id"):
        values.pop(key)
    return FactoringFinancing.objects.create(**{**values, "reference": "FF-MIG-00002"})


def _assert_constraints_hold(financing: FactoringFinancing, entry_id: int) -> None:
    base = dict(lender=financing.lender, kind="debtor_payment", value_date=DAY, currency="CNY", entry_id=entry_id)
    refused = {
        "the same bank reference again at one lender": dict(bank_reference="MIG-A1", amount=D("1.00"),
                                                             applied_advance=D("1.00")),
        "a zero amount": dict(bank_reference="MIG-ZERO", amount=D("0.00")),
        "an amount not fully allocated": dict(bank_reference="MIG-HALF", amount=D("2.00"),
                                              applied_advance=D("1.00")),
        "a kind of case without the case": dict(bank_reference="MIG-LINK", amount=D("1.00"), suspense=D("1.00"),
                                                case_type=ContentType.objects.get_for_model(FactoringFinancing)),
    }
    for what, fields in refused.items():
        with pytest.raises(IntegrityError), transaction.atomic():
            Receipt.objects.create(**base, **fields)
            pytest.fail(f"the database accepted {what}")


def test_receipts_survive_the_move_to_collections_with_amounts_links_and_constraints(world):
    financing = _disbursed(world)
    other = _second_financing(financing)
    other_lender = LenderFactory()
    entries = [_entry(f"test:migration:{n}") for n in range(4)]
    assert Receipt._meta.db_table == "collections_receipt"

    try:
        old = _migrate(BEFORE)
        assert "collections_receipt" not in connection.introspection.table_names()
        OldReceipt = old.get_model("factoring", "Receipt")
        OldContentType = old.get_model("contenttypes", "ContentType")
        receipt_type_id = OldContentType.objects.get_or_create(app_label="factoring", model="receipt")[0].pk
        rows = [
            # The debtor's payment of the first financing: advance and rebate.
            dict(financing_id=financing.pk, lender_id=world.lender.pk, kind="debtor_payment", status="applied",
                 payer_id=world.debtor.pk, payer_name="核心企业集团", bank_reference="MIG-A1",
                 amount=D("950000.00"), applied_advance=D("760000.00"), rebate=D("190000.00"), entry_id=entries[0]),
            # More than owed on the second financing: the excess waits in suspense.
            dict(financing_id=other.pk, lender_id=world.lender.pk, kind="debtor_payment", status="suspense",
                 payer_id=world.debtor.pk, payer_name="CORE GROUP", bank_reference="MIG-B1",
                 amount=D("1234.56"), applied_penalty=D("12.34"), applied_interest=D("0.22"),
                 applied_fees=D("100.00"), applied_advance=D("1000.00"), suspense=D("122.00"), entry_id=entries[1]),
            # Unmatched money, and another lender's receipt under the same bank reference.
            dict(financing_id=None, lender_id=world.lender.pk, kind="unmatched", status="suspense",
                 payer_name="HX GROUP FIN DEPT", bank_reference="MIG-U1", amount=D("5.00"), suspense=D("5.00"),
                 entry_id=entries[2]),
            dict(financing_id=None, lender_id=other_lender.pk, kind="unmatched", status="returned",
                 payer_name="SOMEONE", bank_reference="MIG-A1", amount=D("7.00"), suspense=D("7.00"),
                 entry_id=entries[3]),
        ]
        ids = [OldReceipt.objects.create(value_date=DAY, currency="CNY", recorded_by_id=world.ops.pk, **row).pk
               for row in rows]

        _migrate()
        assert "factoring_receipt" not in connection.introspection.table_names()
        assert RECEIPT_CONSTRAINTS <= _receipt_table_constraints()
        # The receipt's content type moved with it, so what names it (audit records, permissions) still does.
        assert ContentType.objects.get(app_label="collections", model="receipt").pk == receipt_type_id
        financing_type = ContentType.objects.get_for_model(FactoringFinancing)
        moved = {receipt.pk: receipt for receipt in Receipt.objects.all()}
        assert sorted(moved) == sorted(ids)
        columns = ["lender_id", "kind", "status", "payer_id", "payer_name", "bank_reference", "amount",
                   "applied_penalty", "applied_interest", "applied_fees", "applied_advance", "rebate", "suspense",
                   "entry_id"]
        for pk, row in zip(ids, rows, strict=True):
            receipt = moved[pk]
            for column in columns:
                assert getattr(receipt, column) == row.get(column, D("0.00") if column != "payer_id" else None), (
                    pk, column)
            assert (receipt.value_date, receipt.currency, receipt.recorded_by_id) == (DAY, "CNY", world.ops.pk)
        first, second, unmatched, theirs = (moved[pk] for pk in ids)
        assert (first.case_type, first.case_id, first.case_reference) == (financing_type, financing.pk,
                                                                          financing.reference)
        assert (second.case, second.case_reference) == (other, "FF-MIG-00002")
        for receipt in (unmatched, theirs):
            assert (receipt.case_type, receipt.case_id, receipt.case_reference) == (None, None, "")
        assert list(financing.receipts.all()) == [first]
        assert list(Receipt.objects.filter(financing=other)) == [second]
        _assert_constraints_hold(financing, entries[0])
        # The services find the moved receipt: the same bank receipt recorded again applies nothing.
        again = settlement.receipt_record(financing=financing, amount=D("950000.00"), value_date=DAY,
                                          bank_reference="mig-a1", acting_user=world.ops)
        assert again.pk == first.pk

        # And back: factoring's column gets each receipt's financing again.
        old = _migrate(BEFORE)
        OldReceipt = old.get_model("factoring", "Receipt")
        assert dict(OldReceipt.objects.values_list("pk", "financing_id")) == {
            ids[0]: financing.pk, ids[1]: other.pk, ids[2]: None, ids[3]: None}
        assert old.get_model("contenttypes", "ContentType").objects.get(pk=receipt_type_id).app_label == "factoring"
    finally:
        _migrate()
    assert Receipt.objects.get(pk=ids[1]).case == other
