"""Money after signing: receipts by the waterfall, short and excess payments, penalty, recourse, write-off.

Worked numbers (DESIGN §5). A disbursed financing: C = 950,000.00, A = 760,000.00, rate 0.065,
penalty multiplier 1.5, ACT/360, due 2027-02-23, grace 3 days, recourse after 30 days.
Daily penalty on the full advance: 760,000 × 0.065 × 1.5 / 360 = 205.8333…
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from scf.collections.models import Receipt
from scf.collections.services import suspense_return
from scf.core.exceptions import ActionNotPermitted, IdempotencyConflict, IllegalTransition
from scf.ledger.models import JournalEntry, Posting
from workflows.factoring import jobs, settlement
from workflows.factoring.models import FactoringFinancing
from workflows.factoring.settlement import allocate, penalty_exact

from .test_financing_lifecycle import DUE, _receivable

D = Decimal


def _disbursed(world, mode="advance", with_recourse=True):
    from workflows.factoring import services

    world.facility.interest_mode = mode
    world.facility.with_recourse = with_recourse
    world.facility.save()
    receivable = _receivable(world)
    financing = services.financing_request_create(supplier=world.supplier, receivables=[receivable],
                                                  value_date=datetime.date(2026, 11, 25),
                                                  acting_user=world.supplier_user)
    services.receivable_confirm(receivable=receivable, amount=D("950000.00"), note="quality claim",
                                acting_user=world.debtor_user)
    financing.refresh_from_db()
    services.financing_review_decide(financing=financing, approver=world.officer, decision="approve")
    # Signing is covered by the lifecycle test; here the contracts are taken as signed.
    FactoringFinancing.objects.filter(pk=financing.pk).update(state="signed")
    financing.refresh_from_db()
    return settlement.financing_disburse(financing=financing, acting_user=world.ops,
                                         on=datetime.date(2026, 11, 25))


def _pay(world, financing, amount, on, ref):
    return settlement.receipt_record(financing=financing, amount=D(amount), value_date=on, bank_reference=ref,
                                     acting_user=world.ops)


def test_the_waterfall_pays_penalty_then_interest_then_fees_then_advance_then_rebate():
    a = allocate(D("1000.00"), penalty=D("10.00"), interest=D("20.00"), fees=D("30.00"), advance=D("900.00"),
                 rebate_room=D("25.00"))
    assert (a.penalty, a.interest, a.fees, a.advance, a.rebate, a.suspense) == (
        D("10.00"), D("20.00"), D("30.00"), D("900.00"), D("25.00"), D("15.00"))
    short = allocate(D("25.00"), penalty=D("10.00"), interest=D("20.00"), fees=D("0"), advance=D("900.00"),
                     rebate_room=D("0"))
    assert (short.penalty, short.interest, short.advance, short.suspense) == (D("10.00"), D("15.00"), D("0"), D("0"))


def test_arrears_interest_is_owed_at_maturity_and_comes_off_the_rebate(world, time_machine):
    financing = _disbursed(world, mode="arrears")
    # Arrears: net = 760,000 − 4,750 = 755,250; I = 12,350 owed at maturity.
    assert (financing.net_disbursement, financing.interest_outstanding) == (D("755250.00"), D("12350.00"))
    time_machine.move_to(datetime.datetime(2027, 2, 23, 10, tzinfo=datetime.UTC), tick=False)
    receipt = _pay(world, financing, "950000.00", DUE, "B-ARR")
    # Rebate = C − A − I = 950,000 − 760,000 − 12,350 = 177,650.
    assert (receipt.applied_interest, receipt.applied_advance, receipt.rebate) == (
        D("12350.00"), D("760000.00"), D("177650.00"))


def test_a_short_payment_leaves_the_rest_outstanding_and_an_excess_waits_in_suspense(world, time_machine):
    financing = _disbursed(world)
    time_machine.move_to(datetime.datetime(2027, 2, 23, 10, tzinfo=datetime.UTC), tick=False)
    first = _pay(world, financing, "500000.00", DUE, "B-1")
    financing.refresh_from_db()
    assert (first.applied_advance, first.rebate, financing.advance_outstanding) == (
        D("500000.00"), D("0.00"), D("260000.00"))
    with pytest.raises(IllegalTransition):
        settlement.financing_settle(financing=financing, acting_user=world.ops)
    # 460,000 more: 260,000 clears the advance, 190,000 is the rebate (C − A), 10,000 is more than owed.
    second = _pay(world, financing, "460000.00", DUE, "B-2")
    assert (second.applied_advance, second.rebate, second.suspense, second.status) == (
        D("260000.00"), D("190000.00"), D("10000.00"), "suspense")
    assert Posting.objects.filter(account__purpose="suspense").get().amount == D("-10000.00")
    suspense_return(receipt=second, acting_user=world.ops, note="Paid twice by the debtor; refunded")
    assert sum(p.amount for p in Posting.objects.filter(account__purpose="suspense")) == 0


def test_the_same_bank_reference_is_applied_once_and_a_different_amount_under_it_is_refused(world, time_machine):
    financing = _disbursed(world)
    first = _pay(world, financing, "100000.00", datetime.date(2026, 11, 25), "B-SAME")
    again = _pay(world, financing, "100000.00", datetime.date(2026, 11, 25), "B-SAME")
    assert first.pk == again.pk
    with pytest.raises(IdempotencyConflict):
        _pay(world, financing, "100000.01", datetime.date(2026, 11, 25), "B-SAME")
    financing.refresh_from_db()
    assert financing.advance_outstanding == D("660000.00")
    assert JournalEntry.objects.filter(idempotency_key__contains="B-SAME").count() == 1


def test_bad_receipts_are_refused_and_change_nothing(world):
    financing = _disbursed(world)
    for amount, on, ref, field in [("0", datetime.date(2026, 11, 25), "X", "amount"),
                                   ("10.001", datetime.date(2026, 11, 25), "X", "amount"),
                                   ("10", datetime.date(2026, 11, 24), "X", "value_date"),
                                   ("10", datetime.date(2026, 11, 26), "X", "value_date"),
                                   ("10", datetime.date(2026, 11, 25), " ", "bank_reference")]:
        with pytest.raises(ValidationError) as error:
            _pay(world, financing, amount, on, ref)
        assert field in error.value.message_dict
    assert not Receipt.objects.exists()


def test_penalty_accrues_daily_without_drift_and_the_jobs_are_idempotent(world, time_machine):
    financing = _disbursed(world)
    # Overdue from 2027-02-27 (due 02-23 + 3 grace days).
    for day, overdue, posted in [(datetime.date(2027, 2, 26), 0, D("0.00")),
                                 (datetime.date(2027, 2, 27), 1, D("0.00")),
                                 (datetime.date(2027, 2, 28), 0, D("205.83")),
                                 (datetime.date(2027, 3, 1), 0, D("411.67")),
                                 (datetime.date(2027, 3, 2), 0, D("617.50"))]:
        time_machine.move_to(datetime.datetime.combine(day, datetime.time(1), tzinfo=datetime.UTC), tick=False)
        result = jobs.factoring_daily(day)
        assert jobs.factoring_daily(day) == {"reminded": 0, "overdue": 0, "penalties": 0, "recourse": 0}
        financing.refresh_from_db()
        assert (result["overdue"], financing.penalty_accrued) == (overdue, posted), day
    assert financing.state == "overdue"
    # Each day's posting: 205.83, 205.84, 205.83 — the sum is the rounded exact accrual.
    amounts = [e.postings.get(account__purpose="penalty_income").amount
               for e in JournalEntry.objects.filter(idempotency_key__contains=":penalty:").order_by("value_date")]
    assert amounts == [D("-205.83"), D("-205.84"), D("-205.83")]


def test_a_partial_payment_reduces_the_penalty_base_from_its_value_date(world, time_machine):
    financing = _disbursed(world)
    time_machine.move_to(datetime.datetime(2027, 3, 2, 1, tzinfo=datetime.UTC), tick=False)
    jobs.factoring_daily(datetime.date(2027, 2, 27))
    receipt = _pay(world, financing, "500000.00", datetime.date(2027, 3, 2), "B-LATE")
    # Penalty to 03-02 (3 days) = 617.50 is paid first; the advance gets 499,382.50.
    assert (receipt.applied_penalty, receipt.applied_advance) == (D("617.50"), D("499382.50"))
    financing.refresh_from_db()
    assert financing.advance_outstanding == D("260617.50")
    # One more day on 260,617.50: 260,617.50 × 0.0975 / 360 = 70.5839… → exact to date 688.0839… → 688.08.
    assert penalty_exact(financing, datetime.date(2027, 3, 3)).quantize(D("0.0001")) == D("688.0839")
    time_machine.move_to(datetime.datetime(2027, 3, 3, 1, tzinfo=datetime.UTC), tick=False)
    jobs.factoring_daily(datetime.date(2027, 3, 3))
    financing.refresh_from_db()
    assert (financing.penalty_accrued, financing.penalty_outstanding) == (D("688.08"), D("70.58"))


def test_recourse_is_claimed_after_the_recourse_days_and_the_buy_back_closes_the_file(world, time_machine):
    financing = _disbursed(world)
    time_machine.move_to(datetime.datetime(2027, 3, 25, 1, tzinfo=datetime.UTC), tick=False)
    assert jobs.factoring_daily(datetime.date(2027, 3, 25))["recourse"] == 0  # day 30 after due: not yet
    time_machine.move_to(datetime.datetime(2027, 3, 26, 1, tzinfo=datetime.UTC), tick=False)
    result = jobs.factoring_daily(datetime.date(2027, 3, 26))
    financing.refresh_from_db()
    assert (result["recourse"], financing.state) == (1, "recourse_claimed")
    # Penalty from 02-27 to 03-25 inclusive: 27 days × 205.8333… = 5,557.50.
    assert financing.penalty_accrued == D("5557.50")
    with pytest.raises(ActionNotPermitted):
        settlement.financing_write_off(financing=financing, acting_user=world.ops, note="x")  # ops may not
    receipt = _pay(world, financing, "765557.50", datetime.date(2027, 3, 26), "BUYBACK-1")
    assert (receipt.kind, receipt.applied_penalty, receipt.applied_advance, receipt.rebate) == (
        "buy_back", D("5557.50"), D("760000.00"), D("0.00"))
    financing.refresh_from_db()
    assert financing.state == "closed"
    # The supplier bought the invoice back: the debtor owes it again, so the invoice is not "settled".
    assert list(financing.receivables.values_list("state", flat=True)) == ["bought_back"]
    world.facility.refresh_from_db()
    assert world.facility.outstanding_amount == D("0.00")


def test_without_recourse_the_risk_manager_writes_the_loss_off(world, time_machine):
    financing = _disbursed(world, with_recourse=False)
    time_machine.move_to(datetime.datetime(2027, 4, 1, 1, tzinfo=datetime.UTC), tick=False)
    jobs.factoring_daily(datetime.date(2027, 4, 1))
    financing.refresh_from_db()
    assert financing.state == "overdue"  # no recourse to claim
    with pytest.raises(ValidationError):
        settlement.financing_write_off(financing=financing, acting_user=world.risk, note="")
    settlement.financing_write_off(financing=financing, acting_user=world.risk, note="Debtor insolvent")
    financing.refresh_from_db()
    # Penalty 02-27 to 03-31: 33 days × 205.8333… = 6,792.50; loss = 760,000 + 6,792.50.
    assert (financing.state, financing.written_off_amount) == ("closed", D("766792.50"))
    assert list(financing.receivables.values_list("state", flat=True)) == ["written_off"]
    loss = Posting.objects.get(account__purpose="loss")
    assert loss.amount == D("766792.50")
    for entry in JournalEntry.objects.all():
        assert sum(p.amount for p in entry.postings.all()) == 0


def test_the_daily_command_runs_the_jobs_and_refuses_a_future_day(world):
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("factoring_daily", date="2026-11-25", stdout=out)
    assert out.getvalue().strip() == "2026-11-25: reminded 0, overdue 0, penalties 0, recourse 0"
    with pytest.raises(CommandError):
        call_command("factoring_daily", date="2026-11-26")


def test_the_migration_marks_the_invoices_of_files_already_closed_after_a_buy_back(world, time_machine):
    import importlib

    from django.apps import apps

    from workflows.factoring.models import Receivable

    migration = importlib.import_module("workflows.factoring.migrations.0009_receivable_bought_back_written_off")
    financing = _disbursed(world)
    time_machine.move_to(datetime.datetime(2027, 3, 26, 1, tzinfo=datetime.UTC), tick=False)
    jobs.factoring_daily(datetime.date(2027, 3, 26))
    _pay(world, financing, "765557.50", datetime.date(2027, 3, 26), "BUYBACK-OLD")
    # As the earlier code left it: the bought-back file closed with its invoice marked settled.
    Receivable.objects.filter(financings=financing).update(state="settled")
    migration.mark_how_files_ended(apps, None)
    assert list(financing.receivables.values_list("state", flat=True)) == ["bought_back"]
