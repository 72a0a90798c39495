"""sequence_next: gapless numbers per key and year, under a row lock in the caller's transaction."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

from scf.core.models import NumberSequence
from scf.core.sequences import sequence_next, sequences_next

from ..factories import LenderFactory, OrganizationFactory

THREADS = 16
JOIN_TIMEOUT = 30  # seconds; a thread still alive after this is taken as a deadlock


def _next(key: str, year: int) -> int:
    with transaction.atomic():
        return sequence_next(key=key, year=year)


@pytest.mark.django_db
def test_numbers_count_up_from_one_without_gaps():
    assert [_next("test.a", 2026) for _ in range(3)] == [1, 2, 3]
    assert NumberSequence.objects.get(key="test.a", year=2026).last_number == 3


@pytest.mark.django_db
def test_each_year_and_each_key_has_its_own_numbers():
    assert (_next("test.a", 2026), _next("test.a", 2026)) == (1, 2)
    assert _next("test.a", 2027) == 1
    assert _next("test.b", 2026) == 1
    assert _next("test.a", 2026) == 3


@pytest.mark.django_db
def test_several_keys_take_their_next_numbers_in_one_statement(django_assert_num_queries):
    assert _next("test.b", 2026) == 1
    with django_assert_num_queries(1), transaction.atomic(savepoint=False):
        taken = sequences_next(["test.c", "test.b", "test.a"], 2026)
    assert taken == {"test.a": 1, "test.b": 2, "test.c": 1}
    assert sequences_next(["test.a", "test.a"], 2026) == {"test.a": 2}  # a key named twice takes one number
    assert sequences_next([], 2026) == {}
    assert _next("test.c", 2026) == 2 and _next("test.b", 2027) == 1


@pytest.mark.django_db
def test_a_rolled_back_caller_gives_its_number_back():
    assert _next("test.a", 2026) == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        assert sequence_next(key="test.a", year=2026) == 2
        raise RuntimeError("the document could not be issued")
    assert _next("test.a", 2026) == 2


@pytest.mark.django_db
def test_a_rolled_back_first_use_leaves_no_row_behind():
    with pytest.raises(RuntimeError), transaction.atomic():
        sequence_next(key="test.a", year=2026)
        raise RuntimeError("rolled back")
    assert not NumberSequence.objects.filter(key="test.a").exists()
    assert _next("test.a", 2026) == 1


@pytest.mark.django_db(transaction=True)
def test_the_migrations_carry_document_numbers_over_and_seed_facility_numbers():
    executor = MigrationExecutor(connection)
    before = [("documents", "0001_initial"), ("facilities", "0003_pricing_and_anchor")]
    executor.migrate(before)
    DocumentSequence = executor.loader.project_state(before).apps.get_model("documents", "DocumentSequence")
    DocumentSequence.objects.create(kind="factoring_agreement", year=2026, last_number=17)
    DocumentSequence.objects.create(kind="factoring_agreement", year=2027, last_number=2)
    # Facilities as they were then (the model has grown since): the historical model, not the factory.
    state = executor.loader.project_state(before).apps
    Facility, Organization = state.get_model("facilities", "CreditFacility"), state.get_model("parties", "Organization")
    known = {f.attname for f in Organization._meta.concrete_fields} - {"id"}

    def organization(factory):
        built = factory.build()
        return Organization.objects.create(**{name: getattr(built, name) for name in known if hasattr(built, name)})

    for reference in ("CF-2031-00041", "CF-2031-00007", "CF-2032-00003"):
        Facility.objects.create(reference=reference, lender_id=organization(LenderFactory).pk,
                                obligor_id=organization(OrganizationFactory).pk,
                                product="factoring", limit_amount=Decimal("1000000.00"),
                                valid_from=datetime.date(2031, 1, 1), valid_to=datetime.date(2032, 12, 31))

    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert set(NumberSequence.objects.values_list("key", "year", "last_number")) == {
        ("factoring_agreement", 2026, 17), ("factoring_agreement", 2027, 2),
        ("facilities.facility", 2031, 41), ("facilities.facility", 2032, 3),
    }
    assert _next("factoring_agreement", 2026) == 18
    assert _next("facilities.facility", 2031) == 42


@pytest.fixture
def on_postgres(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real row locks: set DATABASE_URL=postgres://user@host:5432/name")


def _race(key: str, year: int, threads: int) -> tuple[list[int], list[BaseException]]:
    """Call sequence_next from `threads` threads at once, each in its own connection and transaction."""
    barrier = threading.Barrier(threads, timeout=JOIN_TIMEOUT)
    numbers, errors = [], []

    def take() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                number = sequence_next(key=key, year=year)
                # Hold the lock a moment, as a caller writing its row would.
                connection.cursor().execute("SELECT pg_sleep(0.01)")
            numbers.append(number)
        except BaseException as exc:  # noqa: BLE001  (every outcome is checked by the test)
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=take, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(JOIN_TIMEOUT)
    assert not [w for w in workers if w.is_alive()], "a caller never finished: deadlock or lock wait"
    return numbers, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_callers_get_distinct_consecutive_numbers(on_postgres):
    # No row yet: every caller races to create it, then waits for the lock.
    numbers, errors = _race("test.race", 2026, THREADS)

    assert errors == []
    assert sorted(numbers) == list(range(1, THREADS + 1))
    assert NumberSequence.objects.get(key="test.race", year=2026).last_number == THREADS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_continue_an_existing_sequence_without_gaps(on_postgres):
    NumberSequence.objects.create(key="test.race", year=2026, last_number=100)

    numbers, errors = _race("test.race", 2026, THREADS)

    assert errors == []
    assert sorted(numbers) == list(range(101, 101 + THREADS))
