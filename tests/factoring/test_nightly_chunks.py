"""The chunked nightly jobs give exactly what the per-row jobs gave, and finish after a crash between chunks.

A book of one lender's financings around the day D = 2027-02-16 (grace 3 days, recourse after 30,
ACT/360, advance 760,000.00 at 0.065 × 1.5 penalty: 205.8333… a day on the full advance):
reminders due in 7 and 1 days (one already reminded), newly overdue financings on two lines (one
still in its grace days), overdue ones accruing penalty (one already accrued to D − 3, one with a
partial repayment in the overdue period), recourse due on D (and one without recourse), a claimed
one still accruing, a settled one that nothing touches. Both versions run the days D to D + 3 from
the same book (the per-row one inside a savepoint that is then rolled back); the financings, the
ledger entries (key, description, value date, accounts and amounts), the financings' audit
records and the lines' states must be equal. The chunk size is 3, so every job spans chunks.
"""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from scf.audit.models import AuditRecord
from scf.collections.models import Receipt
from scf.core import jobs as core_jobs
from scf.facilities.models import CreditFacility
from scf.ledger.models import JournalEntry
from tests.factories import FacilityFactory, OrganizationFactory
from workflows.factoring import jobs
from workflows.factoring.models import FactoringFinancing

from . import per_row_jobs
from .test_settlement import _disbursed

D = Decimal
DAY = datetime.date(2027, 2, 16)
DAYS = [DAY + datetime.timedelta(days=n) for n in range(4)]
State = FactoringFinancing.State


def _clone(base, n, **fields):
    financing = FactoringFinancing.objects.get(pk=base.pk)
    financing.pk = None
    financing.reference = f"FF-2026-9{n:04d}"
    financing.approval_case = None
    financing.save()
    FactoringFinancing.objects.filter(pk=financing.pk).update(**fields)
    return financing


@pytest.fixture
def book(world):
    base = _disbursed(world)
    supplier2 = OrganizationFactory(legal_name="第二供应商有限公司", legal_name_en="Second Supplier Co., Ltd.")
    facility2 = FacilityFactory(lender=world.lender, obligor=supplier2, anchor=world.debtor,
                                product=world.facility.product, limit_amount=D("20000000.00"),
                                valid_from=datetime.date(2026, 1, 1), valid_to=datetime.date(2027, 12, 31),
                                max_tenor_days=180, state=CreditFacility.State.ACTIVE)

    def before(days):
        return DAY - datetime.timedelta(days=days)

    plan = [
        dict(due_date=DAY + datetime.timedelta(days=7)),                      # reminder, 7 days
        dict(due_date=DAY + datetime.timedelta(days=1)),                      # reminder, 1 day
        dict(due_date=DAY + datetime.timedelta(days=7), reminded_days=[7]),   # already reminded
        dict(due_date=before(days=4)),                                        # overdue on D
        dict(due_date=before(days=2)),                                        # in its grace days until D + 2
        dict(due_date=before(days=5), supplier=supplier2, facility=facility2),  # overdue, the second line
        dict(due_date=before(days=10), state=State.OVERDUE),                  # accruing from nothing posted
        dict(due_date=before(days=20), state=State.OVERDUE, penalty_accrued=D("2675.83"),
             penalty_outstanding=D("2675.83"), penalty_accrued_to=before(days=3)),  # 13 days posted
        dict(due_date=before(days=31), state=State.OVERDUE),                  # recourse on D
        dict(due_date=before(days=31), state=State.OVERDUE, with_recourse=False),  # no recourse: accrues only
        dict(due_date=before(days=40), state=State.RECOURSE_CLAIMED),         # claimed, still accruing
        dict(due_date=before(days=15), state=State.OVERDUE),                  # partly repaid, below
        dict(due_date=before(days=15), state=State.SETTLED, advance_outstanding=D("0.00")),
    ]
    clones = [_clone(base, n, **fields) for n, fields in enumerate(plan)]
    FactoringFinancing.objects.filter(pk=base.pk).update(state=State.SETTLED, advance_outstanding=D("0.00"))
    repaid = clones[11]
    # 300,000.00 repaid of the advance on D − 5, within its overdue period (from D − 11).
    Receipt.objects.create(case_type=ContentType.objects.get_for_model(FactoringFinancing), case_id=repaid.pk,
                           case_reference=repaid.reference, lender=world.lender, kind=Receipt.Kind.DEBTOR_PAYMENT,
                           bank_reference="B-PART", value_date=before(days=5), currency="CNY", amount=D("300000.00"),
                           applied_advance=D("300000.00"), entry=JournalEntry.objects.first())
    FactoringFinancing.objects.filter(pk=repaid.pk).update(advance_outstanding=D("460000.00"))
    return clones


def _snapshot():
    financings = list(FactoringFinancing.objects.order_by("pk").values_list(
        "reference", "state", "penalty_accrued", "penalty_outstanding", "penalty_accrued_to", "reminded_days"))
    entries = sorted(
        # Not the fingerprint: it hashes the accounts' ids, which differ when the rolled-back run created them.
        (e.idempotency_key, e.description, e.value_date,
         tuple(sorted((p.account.code, p.amount) for p in e.postings.select_related("account"))))
        for e in JournalEntry.objects.prefetch_related("postings"))
    financing_type = ContentType.objects.get_for_model(FactoringFinancing)
    audit = sorted(AuditRecord.objects.filter(content_type=financing_type).values_list(
        "object_id", "action", "source_state", "target_state", "note"))
    facilities = list(CreditFacility.objects.order_by("pk").values_list("reference", "state"))
    return financings, entries, audit, facilities


def _assert_same(got, expected):
    for name, mine, theirs in zip(("financings", "entries", "audit", "facilities"), got, expected, strict=True):
        assert ([x for x in mine if x not in theirs], [x for x in theirs if x not in mine]) == ([], []), name
        assert mine == theirs, name


def _run(daily, days=DAYS):
    return [daily(day) for day in days]


def _per_row(on):
    return {name: job(on) for name, job in per_row_jobs.DAILY_JOBS.items()}


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(core_jobs, "CHUNK_SIZE", 3)


def _reference():
    """Run the per-row jobs over the days inside a savepoint; return their counts and the book after, rolled back."""
    savepoint = transaction.savepoint()
    counts = _run(_per_row)
    after = _snapshot()
    transaction.savepoint_rollback(savepoint)
    return counts, after


def test_the_chunked_jobs_change_exactly_what_the_per_row_jobs_changed(book, small_chunks):
    expected_counts, expected = _reference()
    assert expected_counts[0] == {"reminded": 2, "overdue": 2, "penalties": 7, "recourse": 1}
    financings, entries, audit, facilities = expected
    assert len(entries) > 10 and any(state == "frozen" for _ref, state in facilities)

    counts = _run(jobs.factoring_daily)

    assert counts == expected_counts
    _assert_same(_snapshot(), expected)
    # A re-run of the last day changes nothing and posts nothing.
    assert jobs.factoring_daily(DAYS[-1]) == {"reminded": 0, "overdue": 0, "penalties": 0, "recourse": 0}
    assert _snapshot() == expected


def test_the_partly_repaid_financing_accrues_on_what_is_left_unpaid(book, small_chunks):
    """Overdue from D − 11 on 760,000.00: 6 days × 205.8333… = 1,235.00; from D − 5 on 460,000.00
    (460,000 × 0.065 × 1.5 / 360 = 124.5833… a day): 5 days to D = 622.9166…; to D: 1,857.9166… → 1,857.92."""
    jobs.factoring_daily(DAY)
    repaid = FactoringFinancing.objects.get(pk=book[11].pk)
    assert (repaid.penalty_accrued, repaid.penalty_accrued_to) == (D("1857.92"), DAY)


def test_a_crash_after_a_chunk_is_finished_by_running_the_day_again(book, small_chunks, monkeypatch):
    _counts, expected = _reference()
    for day in DAYS[:-1]:
        jobs.factoring_daily(day)
    real = jobs.in_chunks

    def crashing(name, candidates, work, **kwargs):
        calls = []

        def failing_on_the_second(ids):
            calls.append(ids)
            if len(calls) == 2:
                raise RuntimeError("the database went away")
            return work(ids)

        return real(name, candidates, failing_on_the_second if name == "factoring.penalties" else work, **kwargs)

    monkeypatch.setattr(jobs, "in_chunks", crashing)
    with pytest.raises(RuntimeError):
        jobs.factoring_daily(DAYS[-1])
    partial = _snapshot()
    assert partial != expected  # the first chunk's penalties are posted, the rest not
    monkeypatch.setattr(jobs, "in_chunks", real)

    jobs.factoring_daily(DAYS[-1])

    _assert_same(_snapshot(), expected)


def test_the_command_prints_each_chunk(book, small_chunks, time_machine):
    import io

    from django.core.management import call_command

    time_machine.move_to(datetime.datetime.combine(DAY, datetime.time(1), tzinfo=datetime.UTC), tick=False)
    out = io.StringIO()
    call_command("factoring_daily", date=DAY.isoformat(), stdout=out)
    lines = out.getvalue().splitlines()
    assert any(line.startswith("factoring.penalties: chunk 1/3, 3 rows, ") for line in lines), lines
    assert lines[-1] == f"{DAY}: reminded 2, overdue 2, penalties 7, recourse 1"
