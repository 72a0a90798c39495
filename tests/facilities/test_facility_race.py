"""Reserved + outstanding never exceeds the limit under any concurrency (DESIGN §5).

Real threads, each with its own PostgreSQL connection, released together by a barrier, so
the row lock in facility_lock is what keeps the balances right. SQLite serialises every
writer, so these tests mean nothing there and are skipped.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from scf.facilities.exceptions import FacilityLimitExceeded
from scf.facilities.models import CreditFacility, FacilityMovement, FacilityReservation
from scf.facilities.services import facility_consume, facility_release, facility_reserve
from tests.races import run_together

from ..factories import FacilityFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

D = Decimal
LIMIT = D("1000000.00")


@pytest.fixture
def on_postgres(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for real row locks: set DATABASE_URL=postgres://user@host:5432/name")




def _sum(queryset, field="amount"):
    return queryset.aggregate(total=Sum(field))["total"] or D("0.00")


def test_concurrent_reserves_never_exceed_the_limit_and_refuse_only_what_does_not_fit(on_postgres, credit_officer):
    facility = FacilityFactory(limit_amount=LIMIT)
    # 60,000.00 … 83,000.00: together 24 × 60,000.00 + 1,000.00 × (0 + … + 23) = 1,716,000.00 > the limit.
    amounts = [D("60000.00") + i * D("1000.00") for i in range(24)]
    assert sum(amounts) == D("1716000.00")

    def reserve(index):
        def job():
            return facility_reserve(facility=CreditFacility(pk=facility.pk), amount=amounts[index],
                                    reference=f"RACE-{index:02d}", acting_user=credit_officer)
        return job

    results, errors = run_together(*[reserve(i) for i in range(24)])

    unexpected = {i: repr(e) for i, e in errors.items() if not isinstance(e, FacilityLimitExceeded)}
    assert not unexpected, f"only FacilityLimitExceeded may refuse a reserve: {unexpected}"
    assert set(results) | set(errors) == set(range(24))
    assert errors, "no thread was refused: the race did not test anything"
    assert results, "no thread succeeded"

    facility.refresh_from_db()
    succeeded = sum(amounts[i] for i in results)
    assert facility.reserved_amount <= LIMIT
    assert facility.reserved_amount == succeeded
    assert _sum(FacilityReservation.objects.filter(facility=facility)) == succeeded
    assert FacilityReservation.objects.filter(facility=facility).count() == len(results)
    assert _sum(FacilityMovement.objects.filter(facility=facility, kind=FacilityMovement.Kind.RESERVE)) == succeeded
    assert sorted(r.reference for r in results.values()) == sorted(f"RACE-{i:02d}" for i in results)
    # Nothing was wrongly refused: what is left is too little for every refused amount.
    assert facility.available_amount == LIMIT - succeeded
    assert facility.available_amount < min(amounts[i] for i in errors)
    # Each movement's after-balance is the running total in commit order, ending at the final one.
    running = D("0.00")
    for movement in FacilityMovement.objects.filter(facility=facility).order_by("id"):
        running += movement.amount
        assert movement.reserved_after == running
        assert movement.available_after == LIMIT - running
    assert running == facility.reserved_amount


def test_concurrent_reserves_releases_and_consumes_keep_the_balances_equal_to_the_reservations(
    on_postgres, credit_officer
):
    facility = FacilityFactory(limit_amount=LIMIT)
    # Ten held reservations of 50,000.00: 500,000.00 reserved, 500,000.00 available.
    for i in range(10):
        facility_reserve(facility=facility, amount=D("50000.00"), reference=f"HELD-{i}", acting_user=credit_officer)
    # Ten new reserves of 90,000.00 … 99,000.00 = 945,000.00, more than the 750,000.00 that can ever be
    # free (500,000.00 + five releases of 50,000.00), so some must be refused.
    new_amounts = [D("90000.00") + i * D("1000.00") for i in range(10)]
    assert sum(new_amounts) == D("945000.00")

    def reserve(i):
        return lambda: facility_reserve(facility=CreditFacility(pk=facility.pk), amount=new_amounts[i],
                                        reference=f"NEW-{i}", acting_user=credit_officer)

    def release(i):
        return lambda: facility_release(facility=CreditFacility(pk=facility.pk), reference=f"HELD-{i}",
                                        acting_user=credit_officer)

    def consume(i):
        return lambda: facility_consume(facility=CreditFacility(pk=facility.pk), reference=f"HELD-{i}",
                                        acting_user=credit_officer)

    # Interleaved so that reserves, releases and consumes start side by side.
    jobs, kinds = [], []
    for i in range(5):
        jobs += [reserve(2 * i), release(i), reserve(2 * i + 1), consume(5 + i)]
        kinds += ["reserve", "release", "reserve", "consume"]
    assert len(jobs) == 20

    results, errors = run_together(*jobs)

    unexpected = {i: repr(e) for i, e in errors.items()
                  if not (kinds[i] == "reserve" and isinstance(e, FacilityLimitExceeded))}
    assert not unexpected, f"releases and consumes must all succeed; reserves may only hit the limit: {unexpected}"
    assert any(kinds[i] == "reserve" for i in errors), "no reserve was refused: the race did not test anything"

    facility.refresh_from_db()
    reservations = FacilityReservation.objects.filter(facility=facility)
    held = _sum(reservations.filter(status=FacilityReservation.Status.HELD))
    consumed = _sum(reservations.filter(status=FacilityReservation.Status.CONSUMED))
    assert facility.reserved_amount + facility.outstanding_amount + facility.retired_amount <= LIMIT
    assert facility.reserved_amount == held
    assert facility.outstanding_amount == consumed
    assert reservations.filter(status=FacilityReservation.Status.RELEASED).count() == 5
    assert consumed == D("250000.00")  # five consumed reservations of 50,000.00

    new_succeeded = sum(new_amounts[int(r.reference.split("-")[1])]
                        for i, r in results.items() if kinds[i] == "reserve")
    # Every earlier reservation was released or consumed: what is held is the new reserves that got through.
    assert held == new_succeeded
    assert reservations.filter(reference__startswith="NEW-").count() == sum(k == "reserve" for i, k in enumerate(kinds)
                                                                            if i in results)
    assert facility.available_amount == LIMIT - D("250000.00") - new_succeeded
    movements = FacilityMovement.objects.filter(facility=facility)
    by_kind = {kind: _sum(movements.filter(kind=kind)) for kind in FacilityMovement.Kind.values}
    assert by_kind[FacilityMovement.Kind.RESERVE] - by_kind[FacilityMovement.Kind.RELEASE] \
        - by_kind[FacilityMovement.Kind.CONSUME] == facility.reserved_amount
    assert by_kind[FacilityMovement.Kind.CONSUME] == facility.outstanding_amount
    # Every movement's after-balances respect the limit and replay to the final balances.
    reserved = outstanding = D("0.00")
    for movement in movements.order_by("id"):
        sign = {"reserve": (1, 0), "release": (-1, 0), "consume": (-1, 1)}[movement.kind]
        reserved += sign[0] * movement.amount
        outstanding += sign[1] * movement.amount
        assert (movement.reserved_after, movement.outstanding_after) == (reserved, outstanding)
        assert movement.reserved_after + movement.outstanding_after <= LIMIT
    assert (reserved, outstanding) == (facility.reserved_amount, facility.outstanding_amount)


def test_concurrent_reserves_with_the_same_reference_reserve_once(on_postgres, credit_officer):
    facility = FacilityFactory(limit_amount=LIMIT)

    def job():
        return facility_reserve(facility=CreditFacility(pk=facility.pk), amount=D("70000.00"),
                                reference="SAME", acting_user=credit_officer)

    results, errors = run_together(*[job] * 8)

    assert not errors, {i: repr(e) for i, e in errors.items()}
    assert len({r.pk for r in results.values()}) == 1
    facility.refresh_from_db()
    assert facility.reserved_amount == D("70000.00")
    assert FacilityReservation.objects.filter(facility=facility).count() == 1
    assert FacilityMovement.objects.filter(facility=facility).count() == 1
