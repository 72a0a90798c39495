"""Margin calls (跌价补偿) and warning notices, opened and followed by the revaluations (DESIGN §5).

Worked by hand (w 0.65, c 0.70, l 0.80, r 0.60), on Tuesday 2026-12-01 (Asia/Shanghai):

* copper 100.000 t and EV battery packs 10 pcs; batteries at 12,800.00 = 128,000.00;
* copper at 10,000.00: V = 1,000,000.00 + 128,000.00 = 1,128,000.00; principal 700,000.00 →
  LTV 0.620567 < 0.65: normal;
* copper falls to 8,720.00: V = 872,000.00 + 128,000.00 = 1,000,000.00; E = 700,000.00;
  LTV = 0.700000 ≥ c: margin call; K = 700,000.00 − 1,000,000.00 × 0.60 = 100,000.00;
  copper alone: 100,000 / (8,720 × 0.6) = 100,000 / 5,232 = 19.11314… → 19.114 t (up to 0.001);
  batteries alone: 100,000 / (12,800 × 0.6) = 100,000 / 7,680 = 13.02… → 14 pcs (up to 1);
  deadline: 3 business days after Tue 2026-12-01 = Fri 2026-12-04 (no holiday that week).
* with principal 750,000.00 at V 1,000,000.00: LTV 0.75, K = 750,000 − 600,000 = 150,000.00;
  a cash margin of 30,000.00: E = 720,000.00, LTV 0.72 ≥ 0.70, K = 720,000 − 600,000 = 120,000.00 (partly met);
  20,001.00 more: E = 699,999.00, LTV 0.699999 < 0.70: cured.
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from documents.models import Document
from scf.audit.models import AuditRecord
from scf.core import jobs
from tests.pledge.collateral_helpers import approve_price
from tests.pledge.test_revaluation import make_agreement
from tests.pledge.test_valuation import pledge
from workflows.pledge.exceptions import MarginCallClosed
from workflows.pledge.margin_calls import cure_goods, margin_call_pay_cash, margin_calls_expire
from workflows.pledge.models import PledgeAgreement, PledgeMarginCall, PledgeValuation, PledgeWarningNotice
from workflows.pledge.revaluation import revalue_agreements

pytestmark = pytest.mark.django_db

# What the pages' tests (test_margin_call_pages.py) take from here: the figures and the fixtures, not the tests.
__all__ = ["DAY", "TZ", "book", "called", "on_day"]

D = Decimal
DAY = datetime.date(2026, 12, 1)
TZ = datetime.timezone(datetime.timedelta(hours=8))


@pytest.fixture
def on_day():
    with time_machine.travel(datetime.datetime(2026, 12, 1, 10, 0, tzinfo=TZ), tick=False):
        yield


def book(world, principal="700000.00", n=1):
    """The agreement valued first at copper 10,000.00 and batteries 12,800.00: V 1,128,000.00, normal."""
    approve_price(world, world.copper, "10000.00", on=DAY - datetime.timedelta(days=2))
    approve_price(world, world.batteries, "12800.00", on=DAY - datetime.timedelta(days=1))
    agreement = make_agreement(world, n, principal=principal)
    pledge(world, agreement, world.copper, "100.000", f"WR-{n}")
    pledge(world, agreement, world.batteries, "10", f"LOT-{n}")
    revalue_agreements(lender=world.lender, on=DAY, acting_user=None)
    assert PledgeValuation.objects.get(agreement=agreement).value == D("1128000.00")
    return agreement


@pytest.fixture
def called(world, on_day, django_capture_on_commit_callbacks):
    """The agreement of the docstring, in the call zone after copper fell to 8,720.00."""
    agreement = book(world)
    assert not PledgeMarginCall.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        approve_price(world, world.copper, "8720.00", on=DAY)
    return agreement


def test_a_price_fall_opens_the_call_with_its_cure_amount_deadline_and_notice(world, called):
    call = PledgeMarginCall.objects.get(agreement=called)
    assert call.state == PledgeMarginCall.State.ISSUED
    assert (call.value_at_opening, call.exposure_at_opening, call.ltv_at_opening, call.call_line) == (
        D("1000000.00"), D("700000.00"), D("0.700000"), D("0.700000"))
    assert (call.amount_at_opening, call.cure_amount) == (D("100000.00"), D("100000.00"))
    assert (call.opened_on, call.deadline) == (DAY, datetime.date(2026, 12, 4))
    goods = {row["commodity"].code: row["quantity"] for row in cure_goods(call)}
    assert goods == {"CU": D("19.114"), "EVB": D("14")}
    # One audit record for the run's calls and notices, on the revaluation that opened the call.
    [record] = AuditRecord.objects.filter(action="pledge.revaluation.margin_calls", object_id=str(call.opened_by_id))
    assert record.note.startswith("margin calls opened 1, cured 0")
    # After commit: the notice rendered (eager Celery) and the pledgor's people mailed.
    document = Document.objects.get(kind="pledge_margin_call_notice", object_id=call.pk)
    assert document.state == Document.State.SIGNED  # no party signs: sealed at once
    [message] = [m for m in mail.outbox if call.reference in m.subject]
    assert message.to == [world.pledgor_user.email] and "100,000.00" in message.body and "2026-12-04" in message.body


def test_a_further_fall_keeps_one_open_call_and_raises_its_amount(world, called):
    # copper 8,500.00: V = 850,000 + 128,000 = 978,000.00; LTV 0.715746; K = 700,000 − 586,800 = 113,200.00
    approve_price(world, world.copper, "8500.00", on=DAY)
    [call] = PledgeMarginCall.objects.filter(agreement=called)
    assert (call.state, call.cure_amount, call.amount_at_opening) == (PledgeMarginCall.State.ISSUED,
                                                                       D("113200.00"), D("100000.00"))


def test_the_warning_zone_records_a_warning_notice_and_no_call(world, on_day, django_capture_on_commit_callbacks):
    agreement = book(world, principal="680000.00")
    # copper 8,720.00: V 1,000,000.00, LTV 0.68: 0.65 ≤ 0.68 < 0.70, warning
    with django_capture_on_commit_callbacks(execute=True):
        approve_price(world, world.copper, "8720.00", on=DAY)
    notice = PledgeWarningNotice.objects.get(agreement=agreement)
    assert (notice.value, notice.exposure, notice.ltv) == (D("1000000.00"), D("680000.00"), D("0.680000"))
    assert not PledgeMarginCall.objects.exists()
    assert Document.objects.filter(kind="pledge_warning_notice", object_id=notice.pk).exists()


def test_cash_margins_partly_meet_then_cure_the_call_and_a_closed_call_refuses_more(world, on_day):
    agreement = book(world, principal="750000.00")
    approve_price(world, world.copper, "8720.00", on=DAY)
    call = PledgeMarginCall.objects.get(agreement=agreement)
    assert call.cure_amount == D("150000.00")

    call = margin_call_pay_cash(call=call, amount=D("30000.00"), bank_reference="BK-1", received_on=DAY,
                                acting_user=world.ops)
    assert (call.state, call.cure_amount) == (PledgeMarginCall.State.PARTLY_MET, D("120000.00"))
    agreement.refresh_from_db()
    assert agreement.cash_margin == D("30000.00")

    call = margin_call_pay_cash(call=call, amount=D("20001.00"), bank_reference="BK-2", received_on=DAY,
                                acting_user=world.ops)
    assert (call.state, call.cure_amount) == (PledgeMarginCall.State.CURED, D("0.00"))
    assert call.closed_at is not None
    # Each revaluation that moved the call summed it up in its one audit record: opened, partly met, cured.
    notes = list(AuditRecord.objects.filter(action="pledge.revaluation.margin_calls").order_by("seq")
                 .values_list("note", flat=True))
    # (the first record is the book's first valuation: LTV 0.665, a warning notice only)
    assert [note.split(";")[0] for note in notes[1:]] == [
        "margin calls opened 1, cured 0, partly met 0, cure amount raised 0",
        "margin calls opened 0, cured 0, partly met 1, cure amount raised 0",
        "margin calls opened 0, cured 1, partly met 0, cure amount raised 0"]

    with pytest.raises(MarginCallClosed) as refused:
        margin_call_pay_cash(call=call, amount=D("1.00"), bank_reference="BK-3", received_on=DAY,
                             acting_user=world.ops)
    assert refused.value.code == "pledge_margin_call_closed" and refused.value.http_status == 409
    agreement.refresh_from_db()
    assert agreement.cash_margin == D("50001.00")  # 30,000.00 + 20,001.00, nothing for the refused one


def test_a_cash_margin_with_bad_input_changes_nothing(world, called):
    call = PledgeMarginCall.objects.get(agreement=called)
    with pytest.raises(ValidationError) as bad:
        margin_call_pay_cash(call=call, amount=D("-5.00"), bank_reference="", received_on=DAY, acting_user=world.ops)
    assert set(bad.value.message_dict) == {"amount", "bank_reference"}
    called.refresh_from_db()
    assert called.cash_margin == D("0.00")
    call.refresh_from_db()
    assert (call.state, call.cure_amount) == (PledgeMarginCall.State.ISSUED, D("100000.00"))


def test_calls_past_their_deadline_expire_once(world, called):
    call = PledgeMarginCall.objects.get(agreement=called)
    assert margin_calls_expire(datetime.date(2026, 12, 4)) == []  # the deadline day itself still cures
    with time_machine.travel(datetime.datetime(2026, 12, 5, 9, 0, tzinfo=TZ), tick=False):
        expired = margin_calls_expire(datetime.date(2026, 12, 5))
    assert [c.pk for c in expired] == [call.pk]
    call.refresh_from_db()
    assert call.state == PledgeMarginCall.State.EXPIRED and call.closed_at is not None
    assert margin_calls_expire(datetime.date(2026, 12, 5)) == []  # idempotent
    assert AuditRecord.objects.filter(action="pledge.pledgemargincall.expire", object_id=str(call.pk)).count() == 1
    with pytest.raises(MarginCallClosed):
        margin_call_pay_cash(call=call, amount=D("100000.00"), bank_reference="BK-9", received_on=DAY,
                             acting_user=world.ops)


def test_the_daily_expiry_puts_the_agreement_in_default_with_a_disposal_once(world, called):
    from workflows.pledge.margin_calls import margin_calls_expire_daily
    from workflows.pledge.models import PledgeDisposal

    call = PledgeMarginCall.objects.get(agreement=called)
    assert margin_calls_expire_daily(datetime.date(2026, 12, 4)) == 0  # still within the deadline
    assert PledgeAgreement.objects.get(pk=called.pk).state == PledgeAgreement.State.ACTIVE
    with time_machine.travel(datetime.datetime(2026, 12, 5, 9, 0, tzinfo=TZ), tick=False):
        assert margin_calls_expire_daily(datetime.date(2026, 12, 5)) == 1
        assert margin_calls_expire_daily(datetime.date(2026, 12, 5)) == 0  # a re-run changes nothing
    call.refresh_from_db()
    assert call.state == PledgeMarginCall.State.DEFAULT
    agreement = PledgeAgreement.objects.get(pk=called.pk)
    assert agreement.state == PledgeAgreement.State.DEFAULTED and call.reference in agreement.default_reason
    disposal = PledgeDisposal.objects.get(agreement=agreement)
    assert disposal.state == PledgeDisposal.State.OPENED and disposal.principal_due == agreement.principal_outstanding


def test_the_expiry_is_a_daily_job_after_the_revaluation():
    by_name = {job.name: job.order for job in jobs.daily_jobs()}
    assert by_name["pledge.revaluation"] < by_name["pledge.margin_call_expiry"] == 220


@pytest.mark.parametrize("size", [3, 12])
def test_a_20_percent_shock_opens_every_call_in_a_fixed_number_of_queries(world, on_day, size,
                                                                         django_assert_max_num_queries):
    # Each agreement: copper 100.000 t at 10,000.00 = 1,000,000.00, principal 600,000.00: LTV 0.60, normal.
    # The 20 % shock, 8,000.00: V 800,000.00, LTV 0.75: call; K = 600,000 − 480,000 = 120,000.00.
    agreements = []
    for n in range(1, size + 1):
        agreement = make_agreement(world, n, principal="600000.00")
        pledge(world, agreement, world.copper, "100.000", f"WR-{n}")
        agreements.append(agreement)
    approve_price(world, world.copper, "10000.00", on=DAY - datetime.timedelta(days=1))
    with django_assert_max_num_queries(50):  # the year's first call also creates its numbers' row
        approve_price(world, world.copper, "8000.00", on=DAY)
    calls = PledgeMarginCall.objects.filter(agreement__in=agreements)
    assert calls.count() == size
    assert {c.cure_amount for c in calls} == {D("120000.00")}
    assert PledgeAgreement.objects.filter(pk__in=[a.pk for a in agreements], margin_calls__isnull=True).count() == 0


def test_additional_goods_confirmed_by_the_warehouse_cure_the_call(world, called):
    # 1.000 t more copper at 8,720.00: V = 1,000,000.00 + 8,720.00 = 1,008,720.00;
    # LTV = 700,000 / 1,008,720 = 0.693944… < 0.70: cured.
    from workflows.pledge.collateral import intake_make_effective
    from workflows.pledge.models import CollateralIntake, PledgedItem, WarehouseReceipt

    intake = CollateralIntake.objects.create(agreement=called, reference="CIN-T-MORE", declared_by=world.pledgor_user)
    CollateralIntake.objects.filter(pk=intake.pk).update(state=CollateralIntake.State.NOTICE_ISSUED)
    receipt = WarehouseReceipt.objects.create(warehouse=world.warehouse, number="WR-MORE", owner=world.pledgor,
                                              commodity=world.copper, quantity=D("1.000"),
                                              issued_on=datetime.date(2026, 11, 30), created_by=world.warehouse_user)
    PledgedItem.objects.create(intake=intake, agreement=called, commodity=world.copper, receipt=receipt,
                               declared_quantity=D("1.000"), counted_quantity=D("1.000"), quantity=D("1.000"),
                               status=PledgedItem.Status.PROPOSED)
    intake_make_effective(intake=CollateralIntake.objects.get(pk=intake.pk), acting_user=None)
    call = PledgeMarginCall.objects.get(agreement=called)
    assert (call.state, call.cure_amount) == (PledgeMarginCall.State.CURED, D("0.00"))
    assert PledgeValuation.objects.get(agreement=called).value == D("1008720.00")


def test_the_queries_of_a_shock_opening_and_curing_calls_do_not_grow_with_the_agreements(world, on_day):
    """5 agreements on copper, 50 on batteries: each shock and each rise takes the same number of queries.

    Each agreement: 100 units at 10,000.00 = 1,000,000.00, principal 600,000.00: LTV 0.60, normal.
    The fall to 8,000.00: V 800,000.00, LTV 0.75 ≥ 0.70: a call, K = 600,000 − 800,000 × 0.60 = 120,000.00.
    The rise back to 10,000.00: LTV 0.60 < 0.70: cured, K 0.00.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from scf.core.models import NumberSequence

    facility = make_agreement(world, 1, principal="600000.00").facility
    books = {world.copper: [], world.batteries: []}
    for n in range(1, 56):
        agreement = make_agreement(world, n + 1, principal="600000.00", facility=facility)
        commodity = world.copper if n <= 5 else world.batteries
        pledge(world, agreement, commodity, "100.000" if commodity is world.copper else "100", f"G-{n}")
        books[commodity].append(agreement)
    for commodity in books:
        approve_price(world, commodity, "10000.00", on=DAY - datetime.timedelta(days=1))

    # The year's row of numbers exists: the first call of a year creates it (a few queries, once).
    NumberSequence.objects.create(key="pledge.margin_call", year=2026)
    queries = {}
    for commodity, agreements in books.items():
        with CaptureQueriesContext(connection) as fall:
            approve_price(world, commodity, "8000.00", on=DAY)
        calls = PledgeMarginCall.objects.filter(agreement__in=agreements)
        assert [(c.state, c.cure_amount) for c in calls] == [(PledgeMarginCall.State.ISSUED, D("120000.00"))] * len(
            agreements)
        with CaptureQueriesContext(connection) as rise:
            approve_price(world, commodity, "10000.00", on=DAY)
        assert [(c.state, c.cure_amount) for c in calls.all()] == [(PledgeMarginCall.State.CURED, D("0.00"))] * len(
            agreements)
        queries[len(agreements)] = (len(fall.captured_queries), len(rise.captured_queries))
    assert queries[5] == queries[50], queries
    # The references run per year in the order the calls were opened, by agreement within a run.
    references = list(PledgeMarginCall.objects.order_by("agreement_id").values_list("reference", flat=True))
    assert references == [f"PMC-2026-{n:05d}" for n in range(1, 56)]
