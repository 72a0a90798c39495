"""Registering receivables: validation, tenancy, and never the same invoice twice."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from scf.core.exceptions import ActionNotPermitted
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from workflows.factoring.exceptions import DuplicateReceivable
from workflows.factoring.models import Receivable
from workflows.factoring.services import receivable_create

ISSUE = datetime.date(2026, 11, 1)
DUE = datetime.date(2027, 2, 28)
pytestmark = pytest.mark.usefixtures("registration_day")


@pytest.fixture
def parties(db, corporate):
    supplier, user = corporate("sup")
    debtor = OrganizationFactory(is_supplier=False, is_core=True, legal_name="核心企业甲")
    return supplier, user, debtor


def _create(parties, invoice="INV-2026-001", **overrides):
    supplier, user, debtor = parties
    values = dict(supplier=supplier, debtor=debtor, invoice_number=invoice, issue_date=ISSUE, due_date=DUE,
                  face_amount=Decimal("250000.00"), acting_user=user)
    values.update(overrides)
    return receivable_create(**values)


@pytest.mark.django_db
def test_a_receivable_is_registered_in_draft_with_a_normalised_key(parties):
    receivable = _create(parties, invoice=" inv 2026-001 ")
    assert (receivable.state, receivable.invoice_key, receivable.face_amount) == (
        "draft", "INV2026001", Decimal("250000.00"))


@pytest.mark.django_db
def test_a_receivable_and_its_audit_record_commit_together(parties, monkeypatch):
    from scf.audit.models import AuditRecord

    _create(parties, invoice="INV-OK")
    record = AuditRecord.objects.get(action="factoring.receivable.create")
    assert record.note.startswith("INVOK CNY 250000.00")

    def refuse(*args, **kwargs):
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr(AuditRecord.objects, "bulk_create", refuse)
    with pytest.raises(RuntimeError):
        _create(parties, invoice="INV-LOST")
    # No receivable without its audit record: the insert was undone with the failed audit write.
    assert not Receivable.objects.filter(invoice_key="INVLOST").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("variant", ["INV-2026-001", "inv2026001", "INV 2026 001", "Inv-2026 -001"])
def test_the_same_invoice_written_differently_is_a_duplicate(parties, variant):
    _create(parties, invoice="INV-2026-001")
    with pytest.raises(DuplicateReceivable) as error:
        _create(parties, invoice=variant)
    assert error.value.http_status == 409
    assert Receivable.objects.count() == 1


@pytest.mark.django_db
def test_the_same_invoice_number_on_another_debtor_is_a_different_receivable(parties):
    _create(parties)
    other_debtor = OrganizationFactory(is_supplier=False, is_core=True)
    _create(parties, debtor=other_debtor)
    assert Receivable.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("overrides, field", [
    ({"due_date": datetime.date(2026, 10, 31)}, "due_date"),
    ({"face_amount": Decimal("0.00")}, "face_amount"),
    ({"face_amount": Decimal("-1.00")}, "face_amount"),
    ({"invoice_number": " - "}, "invoice_number"),
])
def test_bad_input_names_the_field_and_stores_nothing(parties, overrides, field):
    with pytest.raises(ValidationError) as error:
        _create(parties, **overrides)
    assert field in error.value.message_dict
    assert Receivable.objects.count() == 0


@pytest.mark.django_db
def test_a_debtor_that_is_not_a_core_enterprise_is_refused(parties):
    with pytest.raises(ValidationError) as error:
        _create(parties, debtor=OrganizationFactory())
    assert "debtor" in error.value.message_dict


@pytest.mark.django_db
def test_an_invoice_of_another_supplier_is_refused(parties, corporate):
    other_supplier, _other_user = corporate("other")
    with pytest.raises(ActionNotPermitted):
        _create(parties, supplier=other_supplier)  # the acting user is not an operator of it
    assert Receivable.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_submissions_of_one_invoice_accept_exactly_one(corporate):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real concurrency: set DATABASE_URL=postgres://user@host:5432/name")
    supplier, user = corporate("race-sup")
    debtor = OrganizationFactory(is_supplier=False, is_core=True)
    # A second operator of the same supplier submits too: "whoever submits it".
    colleague = UserFactory(username="race-colleague")
    MembershipFactory(user=colleague, organization=supplier, role="operator")
    spellings = ["INV-9-001", "inv9001", "INV 9 001", "Inv-9-001"]
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            receivable_create(supplier=supplier, debtor=debtor, invoice_number=spellings[i % 4], issue_date=ISSUE,
                              due_date=DUE, face_amount=Decimal("1000.00"),
                              acting_user=user if i % 2 else colleague)
            result = "accepted"
        except DuplicateReceivable:
            result = "duplicate"
        except BaseException as error:  # anything else is a failure to report
            result = f"error: {error!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(set(outcomes)) == ["accepted", "duplicate"], outcomes
    assert outcomes.count("accepted") == 1 and outcomes.count("duplicate") == 19
    assert Receivable.objects.filter(debtor=debtor, supplier=supplier).count() == 1
