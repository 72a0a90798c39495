"""A margin call cured by repayments (the drawdown repayment service re-values the called agreement).

The set-up of tests/pledge/drawdown_setup.py: copper 100.000 t at 10,000.00 (V 1,000,000.00, r 0.60), a loan
of 400,000.00 disbursed on 2026-03-02. Copper falls to 5,500.00: V = 550,000.00, LTV = 400,000 / 550,000 =
0.727272… ≥ 0.70: call; K = 400,000.00 − 550,000.00 × 0.60 = 400,000 − 330,000 = 70,000.00.

* 5,000.00 repaid (no interest yet, the same day): E 395,000.00, LTV 0.718181… ≥ 0.70: partly met,
  K = 395,000 − 330,000 = 65,000.00;
* 10,000.00 more: E 385,000.00, LTV = 0.70 exactly, still a call: K = 55,000.00;
* 0.01 more: E 384,999.99, LTV 0.69999998… < 0.70: cured.
"""

from decimal import Decimal

import pytest

from tests.pledge.collateral_helpers import approve_price
from tests.pledge.drawdown_setup import *  # noqa: F403  (the fixtures dw, today)
from tests.pledge.drawdown_setup import TODAY
from tests.pledge.test_drawdowns import disbursed
from workflows.pledge import drawdowns
from workflows.pledge.models import PledgeMarginCall

pytestmark = pytest.mark.django_db

D = Decimal


def test_repayments_partly_meet_then_cure_the_call(dw, today):
    drawdown = disbursed(dw)
    approve_price(dw.world, dw.copper, "5500.00", on=TODAY)
    call = PledgeMarginCall.objects.get(agreement=dw.agreement)
    assert (call.state, call.cure_amount) == (PledgeMarginCall.State.ISSUED, D("70000.00"))

    def repay(amount, reference):
        drawdowns.drawdown_repay(drawdown=drawdown, amount=D(amount), bank_reference=reference, on=TODAY,
                                 acting_user=dw.ops)
        call.refresh_from_db()
        return call.state, call.cure_amount

    assert repay("5000.00", "R-1") == (PledgeMarginCall.State.PARTLY_MET, D("65000.00"))
    assert repay("10000.00", "R-2") == (PledgeMarginCall.State.PARTLY_MET, D("55000.00"))
    assert repay("0.01", "R-3") == (PledgeMarginCall.State.CURED, D("0.00"))
