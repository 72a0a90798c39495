"""Revaluation of one agreement after a disbursement, a repayment, a release, an intake or a stock count.

Worked by hand (drawdown_setup: 100.000 t of copper; w 0.65, c 0.70, l 0.80, r 0.60):

* at 10,000.00 a tonne V = 1,000,000.00; a loan of 560,000.00 (≤ max loan 600,000.00) gives
  E = 560,000.00, LTV = 0.560000: normal;
* the price falls to 8,000.00: V = 800,000.00, LTV = 560,000 / 800,000 = 0.700000 ≥ 0.70: call;
* a repayment of 100,000.00 the same day (no interest: 0 days) leaves E = 460,000.00,
  LTV = 460,000 / 800,000 = 0.575000 < 0.65: normal again.
"""

import pytest

from workflows.pledge import drawdowns
from workflows.pledge.models import PledgeRevaluation, PledgeValuation
from workflows.pledge.revaluation import revalue_agreement, revalue_agreements

from .collateral_helpers import approve_price, declare, make_effective, receipt_line
from .drawdown_setup import *  # noqa: F403  (the fixtures dw, today)
from .drawdown_setup import TODAY, D, collateral
from .release_helpers import pledge_goods, priced_agreement
from .test_release_execution import release_and_execute
from .test_revaluation import make_agreement

pytestmark = pytest.mark.django_db

Trigger = PledgeRevaluation.Trigger


def stored(agreement) -> PledgeValuation:
    return PledgeValuation.objects.get(agreement=agreement)


def disburse(dw, amount):
    drawdown = drawdowns.drawdown_request(agreement=dw.agreement, amount=D(amount), acting_user=dw.pledgor_user)
    drawdown = drawdowns.drawdown_approve(drawdown=drawdown, approver=dw.officer)
    return drawdowns.drawdown_disburse(drawdown=drawdown, acting_user=dw.ops)


def test_a_disbursement_stores_the_new_exposure_at_once(dw):
    disburse(dw, "560000.00")
    valuation = stored(dw.agreement)
    assert (valuation.value, valuation.exposure, valuation.ltv, valuation.zone) == (
        D("1000000.00"), D("560000.00"), D("0.560000"), "normal")
    assert PledgeRevaluation.objects.filter(trigger=Trigger.DRAWDOWN).get().agreements == 1


def test_after_a_repayment_the_stored_exposure_and_zone_change(dw):
    drawdown = disburse(dw, "560000.00")
    approve_price(dw.world, dw.copper, "8000.00", on=TODAY)
    valuation = stored(dw.agreement)
    assert (valuation.exposure, valuation.ltv, valuation.zone) == (D("560000.00"), D("0.700000"), "call")
    drawdowns.drawdown_repay(drawdown=drawdown, amount=D("100000.00"), bank_reference="B-RV-1", on=TODAY,
                             acting_user=dw.ops)
    valuation = stored(dw.agreement)
    assert (valuation.value, valuation.exposure, valuation.ltv) == (D("800000.00"), D("460000.00"), D("0.575000"))
    assert (valuation.zone, valuation.previous_zone) == ("normal", "call")
    run = PledgeRevaluation.objects.filter(trigger=Trigger.REPAYMENT).get()
    assert valuation.zone_changed_in_id == run.pk and run.zone_changes == 1


def test_revaluing_one_agreement_leaves_the_lenders_others_as_stored(dw):
    other = make_agreement(dw.world, 1, principal="100.00")
    collateral(dw.world, other, quantity="1.000", number="WR-OTHER")
    revalue_agreements(lender=dw.lender, on=TODAY, acting_user=None)
    before = stored(other).revaluation_id
    PledgeValuation.objects.filter(agreement=dw.agreement).delete()
    outcomes = revalue_agreement(agreement=dw.agreement, trigger=Trigger.MANUAL)
    assert [o.agreements for o in outcomes] == [1]
    assert stored(dw.agreement).revaluation_id == outcomes[0].revaluation.pk
    assert stored(other).revaluation_id == before


def test_an_empty_list_of_agreements_revalues_nothing(dw):
    assert revalue_agreements(lender=dw.lender, agreements=[], on=TODAY, acting_user=None).revaluation is None


# --- goods out and goods in (copper at 5,000.00/t, E = 180,000.00) ---------------------------------

def test_an_executed_release_stores_the_lower_value(world, active_agreement):
    agreement = priced_agreement(world, active_agreement)
    (lot,) = pledge_goods(world, agreement, lots=[("LOT-RV", "100.000")])
    # Before: V = 100 × 5,000.00 = 500,000.00; LTV = 180,000 / 500,000 = 0.360000.
    revalue_agreement(agreement=agreement, trigger=Trigger.MANUAL)
    assert stored(agreement).value == D("500000.00")
    release_and_execute(world, agreement, (lot, "40.000"))
    # After 40 t went out: V = 60 × 5,000.00 = 300,000.00; LTV = 180,000 / 300,000 = 0.600000, normal.
    valuation = stored(agreement)
    assert (valuation.value, valuation.ltv, valuation.zone) == (D("300000.00"), D("0.600000"), "normal")
    assert PledgeRevaluation.objects.filter(trigger=Trigger.RELEASE).count() == 1


def test_an_effective_intake_stores_the_added_value(world, active_agreement, django_capture_on_commit_callbacks):
    agreement = priced_agreement(world, active_agreement)
    intake = declare(world, agreement, receipt_line("WR-RV-IN", commodity=world.copper, quantity="120.500"))
    make_effective(world, agreement, intake, django_capture_on_commit_callbacks)
    # V = 120.5 × 5,000.00 = 602,500.00; LTV = 180,000 / 602,500 = 0.298755… → 0.298755.
    valuation = stored(agreement)
    assert (valuation.value, valuation.ltv) == (D("602500.00"), D("0.298755"))
    assert PledgeRevaluation.objects.filter(trigger=Trigger.INTAKE).count() == 1
