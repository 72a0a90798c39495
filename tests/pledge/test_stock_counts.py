"""Stock counts (盘库): the warehouse's count against the books; a shortfall lowers the pledged quantity and re-values.

Worked by hand (drawdown_setup: 100.000 t of copper at 10,000.00, V = 1,000,000.00; a loan of
560,000.00; w 0.65): LTV = 560,000 / 1,000,000 = 0.560000, normal. A count of 85.000 t: variance
85 − 100 = −15.000, a shortfall; the pledged quantity becomes 85.000, V = 850,000.00,
LTV = 560,000 / 850,000 = 0.6588235… → 0.658824 ≥ 0.65: warning.
"""

import pytest
from django.core.exceptions import ValidationError

from workflows.pledge import drawdowns
from workflows.pledge.exceptions import NotYourWarehouse
from workflows.pledge.models import (
    PledgedItem,
    PledgeRevaluation,
    PledgeStockCount,
    PledgeStockCountLine,
    PledgeValuation,
)
from workflows.pledge.stock_counts import stock_count_record

from .drawdown_setup import *  # noqa: F403  (the fixtures dw, today)
from .drawdown_setup import D

pytestmark = pytest.mark.django_db


def loan(dw, amount="560000.00"):
    drawdown = drawdowns.drawdown_request(agreement=dw.agreement, amount=D(amount), acting_user=dw.pledgor_user)
    drawdown = drawdowns.drawdown_approve(drawdown=drawdown, approver=dw.officer)
    return drawdowns.drawdown_disburse(drawdown=drawdown, acting_user=dw.ops)


def item(dw) -> PledgedItem:
    return PledgedItem.objects.get(agreement=dw.agreement)


def test_a_shortfall_lowers_the_pledged_quantity_flags_the_line_revalues_and_tells_the_lender(
        dw, mailoutbox, django_capture_on_commit_callbacks):
    loan(dw)
    assert PledgeValuation.objects.get(agreement=dw.agreement).zone == "normal"
    pledged = item(dw)
    with django_capture_on_commit_callbacks(execute=True):
        count = stock_count_record(agreement=dw.agreement, counts={pledged.pk: "85.000"},
                                   acting_user=dw.warehouse_user)
    line = PledgeStockCountLine.objects.get(stock_count=count)
    assert (line.book_quantity, line.counted_quantity, line.variance, line.shortfall) == (
        D("100.000"), D("85.000"), D("-15.000"), True)
    assert count.shortfall and count.warehouse == dw.warehouse
    pledged.refresh_from_db()
    assert pledged.quantity == D("85.000") and pledged.counted_quantity == D("100.000")
    valuation = PledgeValuation.objects.get(agreement=dw.agreement)
    assert (valuation.value, valuation.ltv, valuation.zone, valuation.previous_zone) == (
        D("850000.00"), D("0.658824"), "warning", "normal")
    assert PledgeRevaluation.objects.filter(trigger=PledgeRevaluation.Trigger.STOCK_COUNT).count() == 1
    assert mailoutbox and all(dw.agreement.reference in mail.subject for mail in mailoutbox)
    assert {mail.to[0] for mail in mailoutbox} >= {dw.ops.email}


def test_a_surplus_is_recorded_and_never_raises_the_pledged_quantity(dw, mailoutbox,
                                                                     django_capture_on_commit_callbacks):
    pledged = item(dw)
    with django_capture_on_commit_callbacks(execute=True):
        count = stock_count_record(agreement=dw.agreement, counts={pledged.pk: D("101.500")},
                                   acting_user=dw.warehouse_user)
    line = count.lines.get()
    assert (line.variance, line.shortfall, count.shortfall) == (D("1.500"), False, False)
    assert item(dw).quantity == D("100.000")
    assert mailoutbox == []


@pytest.mark.parametrize(("raw", "code"), [("-1", "quantity_negative"), ("99.0001", "quantity_invalid"),
                                           ("abc", "invalid"), ("", "required")])
def test_a_bad_quantity_is_refused_and_nothing_changes(dw, raw, code):
    pledged = item(dw)
    with pytest.raises(ValidationError) as caught:
        stock_count_record(agreement=dw.agreement, counts={pledged.pk: raw}, acting_user=dw.warehouse_user)
    assert caught.value.error_dict[f"counts.{pledged.pk}"][0].code == code
    assert not PledgeStockCount.objects.exists() and item(dw).quantity == D("100.000")


def test_a_count_of_zero_is_a_shortfall_of_everything(dw):
    pledged = item(dw)
    stock_count_record(agreement=dw.agreement, counts={pledged.pk: "0"}, acting_user=dw.warehouse_user)
    assert item(dw).quantity == 0
    assert PledgeValuation.objects.get(agreement=dw.agreement).value == D("0.00")


def test_only_the_agreements_warehouse_counts(dw):
    pledged = item(dw)
    for user in (dw.pledgor_user, dw.ops):
        with pytest.raises(NotYourWarehouse):
            stock_count_record(agreement=dw.agreement, counts={pledged.pk: "85"}, acting_user=user)
    assert not PledgeStockCount.objects.exists()
