"""The same bank line recorded five times at once, or on both pages at once: no 500, the money moves once.

Real threads on PostgreSQL, each with its own connection, released together by a barrier; the
unique key on (lender, bank reference) lets one insert win and the others answer its receipt
(the idempotent answer) or a clear conflict. SQLite serialises writers: the race means nothing there.
"""

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from scf.collections.models import Receipt
from scf.collections.services import receipt_record_unmatched, suspense_return
from scf.core.exceptions import IdempotencyConflict
from scf.ledger.models import JournalEntry
from tests.factoring.test_settlement import _disbursed
from tests.races import run_together
from workflows.factoring import settlement

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

D = Decimal




def test_five_recordings_of_one_unmatched_receipt_at_once_answer_one_receipt(postgres_only, world):
    entries = JournalEntry.objects.count()

    def record():
        return receipt_record_unmatched(lender=world.lender, amount=D("12800.00"),
                                        value_date=datetime.date(2026, 11, 25), bank_reference="RACE-U-1",
                                        payer_name="HX", acting_user=world.ops)

    results, errors = run_together(*[record] * 5)
    assert not errors, errors
    assert len({receipt.pk for receipt in results.values()}) == 1
    assert Receipt.objects.filter(bank_reference="RACE-U-1").count() == 1
    assert JournalEntry.objects.count() == entries + 1


def test_one_bank_line_on_the_payment_task_and_the_suspense_page_at_once_is_recorded_once(postgres_only, world):
    financing = _disbursed(world)
    entries = JournalEntry.objects.count()

    def for_the_financing():
        return settlement.receipt_record(financing=financing, amount=D("100000.00"),
                                         value_date=datetime.date(2026, 11, 25), bank_reference="RACE-B-1",
                                         acting_user=world.ops, payer=world.debtor)

    def unmatched():
        return receipt_record_unmatched(lender=world.lender, amount=D("100000.00"),
                                        value_date=datetime.date(2026, 11, 25), bank_reference="RACE-B-1",
                                        payer_name="CORE", acting_user=world.ops2)

    results, errors = run_together(for_the_financing, unmatched, for_the_financing, unmatched, for_the_financing)
    # Whichever came first is the receipt; the others answer it (same page) or a conflict (the other page).
    assert all(isinstance(error, IdempotencyConflict) for error in errors.values()), errors
    assert results, "nobody recorded the receipt"
    assert Receipt.objects.filter(bank_reference="RACE-B-1").count() == 1
    assert len({receipt.pk for receipt in results.values()}) == 1
    assert JournalEntry.objects.count() == entries + 1


def test_applying_a_receipt_handled_meanwhile_answers_409_not_404(world):
    receipt = receipt_record_unmatched(lender=world.lender, amount=D("300.00"), value_date=datetime.date(2026, 11, 25),
                                       bank_reference="GONE-1", payer_name="X", acting_user=world.ops)
    suspense_return(receipt=receipt, acting_user=world.ops2, note="Paid to the wrong account")
    client = Client()
    client.force_login(world.ops)
    page = client.post("/collections/suspense/", {"action": "return", "receipt": receipt.pk, "note": "again"})
    assert page.status_code == 409 and "was already returned to the payer" in page.content.decode()
    missing = client.post("/collections/suspense/", {"action": "return", "receipt": receipt.pk + 999, "note": "x"})
    assert missing.status_code == 404


def test_five_clicks_on_the_suspense_page_and_on_release_at_once_move_the_money_once(postgres_only, world):
    from scf.releases.models import Release

    entries = JournalEntry.objects.count()

    def post(user, url, data=None):
        def job():
            client = Client()
            client.force_login(user)
            return client.post(url, data or {}).status_code
        return job

    record = {"action": "record", "amount": "4321.00", "value_date": "2026-11-25", "bank_reference": "RACE-P-1",
              "payer_name": "CORE FIN"}
    results, errors = run_together(*[post(world.ops, "/collections/suspense/", record)] * 5)
    assert not errors, errors
    assert sorted(results.values()) == [302, 409, 409, 409, 409]  # one prepared, four told it waits
    release = Release.objects.get(reference="RACE-P-1", status="pending")

    url = f"/releases/{release.pk}/release/"
    results, errors = run_together(*[post(world.ops2, url)] * 5)
    assert not errors, errors
    assert sorted(results.values()) == [302, 409, 409, 409, 409]  # one released, four told it is released
    assert Receipt.objects.filter(bank_reference="RACE-P-1").count() == 1
    assert JournalEntry.objects.count() == entries + 1
