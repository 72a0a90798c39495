"""Default of a pledge agreement and the disposal of its goods: figures worked by hand.

Set-up (tests/pledge/drawdown_setup.py): 100.000 t of copper at 10,000.00 = V 1,000,000.00, r 0.60.
One loan of 500,000.00 disbursed on 2026-03-02 at 6.5% a year, ACT/360. Sold on 2026-04-07:
36 days (29 left in March + 7 in April... counted: 2026-03-02 → 2026-04-02 is 31 days, + 5 = 36), so
interest due = 500,000.00 × 0.065 × 36 / 360 = 3,250.00.

Surplus case: proceeds 620,000.00, costs 12,400.00 → costs 12,400.00; interest 3,250.00; principal
500,000.00; surplus 620,000.00 − 12,400.00 − 3,250.00 − 500,000.00 = 104,350.00; shortfall 0.
Shortfall case: proceeds 300,000.00, costs 6,000.00 → 294,000.00 left after costs; interest 3,250.00;
principal 294,000.00 − 3,250.00 = 290,750.00; surplus 0; shortfall 500,000.00 − 290,750.00 = 209,250.00.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from documents.models import Document
from scf.audit.models import AuditRecord
from scf.core.exceptions import ActionNotPermitted
from scf.facilities.models import CreditFacility
from scf.ledger.models import JournalEntry
from workflows.pledge import calculations as calc
from workflows.pledge import disposals, drawdowns, pledge_releases
from workflows.pledge.exceptions import (
    AgreementNotActive,
    AgreementStateConflict,
    DisposalFourEyes,
    DisposalStateConflict,
)
from workflows.pledge.models import (
    PledgeAgreement,
    PledgeDisposal,
    PledgedItem,
    PledgeDrawdown,
    PledgeRevaluation,
    PledgeValuation,
)
from workflows.pledge.revaluation import ZoneChange

from .collateral_helpers import approve_price
from .drawdown_setup import *  # noqa: F403  (the fixtures dw, today)
from .drawdown_setup import D, balance, ledger_balanced

pytestmark = pytest.mark.django_db

SALE_DAY = datetime.date(2026, 4, 7)


def loan(dw, amount="500000.00") -> PledgeDrawdown:
    drawdown = drawdowns.drawdown_request(agreement=dw.agreement, amount=D(amount), acting_user=dw.pledgor_user)
    drawdown = drawdowns.drawdown_approve(drawdown=drawdown, approver=dw.officer)
    return drawdowns.drawdown_disburse(drawdown=drawdown, acting_user=dw.ops)


def defaulted(dw) -> PledgeDisposal:
    return disposals.agreement_default(agreement=dw.agreement, reason="The margin call was not met.")


def to_sale_day(today):
    today.move_to(datetime.datetime(2026, 4, 8, 2, 0, tzinfo=datetime.UTC), tick=False)


def sale(dw, disposal, proceeds="620000.00", costs="12400.00", **kwargs) -> PledgeDisposal:
    values = {"method": PledgeDisposal.Method.AUCTION, "buyer": "上海某金属贸易有限公司", "sale_date": SALE_DAY}
    values.update(kwargs)
    return disposals.disposal_record_sale(disposal=disposal, gross_proceeds=proceeds, costs_of_sale=costs,
                                          acting_user=dw.ops, **values)


def agreement(dw) -> PledgeAgreement:
    return PledgeAgreement.objects.get(pk=dw.agreement.pk)


def snapshot(disposal: PledgeDisposal) -> tuple:
    disposal = PledgeDisposal.objects.get(pk=disposal.pk)
    return (disposal.state, disposal.gross_proceeds, disposal.costs_of_sale, disposal.surplus, disposal.shortfall,
            disposal.buyer, disposal.method, disposal.sale_date, JournalEntry.objects.count(),
            PledgeAgreement.objects.get(pk=disposal.agreement_id).principal_outstanding)


# --- the allocation -------------------------------------------------------------------------------

def test_the_allocation_pays_costs_then_interest_then_principal_and_returns_the_surplus():
    result = calc.disposal_allocation(proceeds=D("620000.00"), costs=D("12400.00"), interest_due=D("3250.00"),
                                      principal_due=D("500000.00"))
    assert (result.costs, result.interest, result.principal, result.surplus, result.shortfall) == (
        D("12400.00"), D("3250.00"), D("500000.00"), D("104350.00"), D("0.00"))


def test_the_allocation_leaves_a_shortfall_when_the_proceeds_do_not_cover_what_is_owed():
    result = calc.disposal_allocation(proceeds=D("300000.00"), costs=D("6000.00"), interest_due=D("3250.00"),
                                      principal_due=D("500000.00"))
    assert (result.costs, result.interest, result.principal, result.surplus, result.shortfall) == (
        D("6000.00"), D("3250.00"), D("290750.00"), D("0.00"), D("209250.00"))


def test_proceeds_below_the_costs_and_interest_pay_costs_first():
    # 5,000.00 − 4,000.00 costs = 1,000.00 to interest, of 3,250.00; shortfall 2,250.00 + 500,000.00.
    result = calc.disposal_allocation(proceeds=D("5000.00"), costs=D("4000.00"), interest_due=D("3250.00"),
                                      principal_due=D("500000.00"))
    assert (result.costs, result.interest, result.principal, result.surplus, result.shortfall) == (
        D("4000.00"), D("1000.00"), D("0.00"), D("0.00"), D("502250.00"))


@pytest.mark.parametrize(("proceeds", "costs", "field"), [("-1.00", "0.00", "gross_proceeds"),
                                                          ("100.00", "-0.01", "costs_of_sale"),
                                                          ("100.00", "100.01", "costs_of_sale")])
def test_the_allocation_refuses_proceeds_that_do_not_add_up(proceeds, costs, field):
    with pytest.raises(calc.PledgeCalculationError) as refused:
        calc.disposal_allocation(proceeds=D(proceeds), costs=D(costs), interest_due=D("0"), principal_due=D("1"))
    assert refused.value.field == field


# --- default --------------------------------------------------------------------------------------

def test_default_freezes_the_facility_stops_loans_and_releases_and_opens_a_disposal(dw):
    loan(dw)
    disposal = defaulted(dw)
    current = agreement(dw)
    assert current.state == PledgeAgreement.State.DEFAULTED
    assert current.default_reason == "The margin call was not met."
    assert CreditFacility.objects.get(pk=current.facility_id).state == CreditFacility.State.FROZEN
    assert disposal.state == PledgeDisposal.State.OPENED
    assert disposal.reference == "PDS-2026-00001"
    assert (disposal.principal_due, disposal.interest_due) == (D("500000.00"), D("0.00"))
    notice = Document.objects.get(kind="pledge_default_notice", object_id=current.pk)
    assert notice.language == dw.pledgor.preferred_language
    with pytest.raises(AgreementNotActive):
        drawdowns.drawdown_request(agreement=current, amount=D("1000.00"), acting_user=dw.pledgor_user)
    assert AuditRecord.objects.filter(action="pledge.pledgeagreement.declare_default").count() == 1


def test_a_second_default_changes_nothing(dw):
    loan(dw)
    first = defaulted(dw)
    entries = JournalEntry.objects.count()
    second = disposals.agreement_default(agreement=dw.agreement, reason="again")
    assert second.pk == first.pk
    assert PledgeDisposal.objects.filter(agreement=dw.agreement).count() == 1
    assert agreement(dw).default_reason == "The margin call was not met."
    assert JournalEntry.objects.count() == entries
    assert AuditRecord.objects.filter(action="pledge.pledgeagreement.declare_default").count() == 1


def test_only_an_active_agreement_defaults(dw):
    PledgeAgreement.objects.filter(pk=dw.agreement.pk).update(state=PledgeAgreement.State.CLOSED)
    with pytest.raises(AgreementStateConflict):
        defaulted(dw)
    assert not PledgeDisposal.objects.exists()


def test_an_agreement_entering_liquidation_on_a_revaluation_defaults(dw):
    loan(dw)
    # Copper at 6,000.00: V = 100.000 × 6,000.00 = 600,000.00; LTV = 500,000.00 / 600,000.00 = 0.8333 ≥ 0.80.
    approve_price(dw.world, dw.copper, "6000.00")
    current = agreement(dw)
    assert current.state == PledgeAgreement.State.DEFAULTED
    assert "liquidation" in current.default_reason
    assert PledgeDisposal.objects.filter(agreement=current, state=PledgeDisposal.State.OPENED).count() == 1


def test_a_price_that_leaves_the_agreement_in_the_call_zone_does_not_default(dw):
    loan(dw)
    # Copper at 7,000.00: LTV = 500,000.00 / 700,000.00 = 0.714…, between c 0.70 and l 0.80: a call, no default.
    approve_price(dw.world, dw.copper, "7000.00")
    assert agreement(dw).state == PledgeAgreement.State.ACTIVE
    assert not PledgeDisposal.objects.exists()


# --- settlement -----------------------------------------------------------------------------------

def test_settlement_pays_costs_interest_principal_and_the_surplus_then_closes_the_agreement(dw, today):
    drawdown = loan(dw)
    disposal = defaulted(dw)
    to_sale_day(today)
    disposal = sale(dw, disposal)
    assert disposal.state == PledgeDisposal.State.SALE_RECORDED
    # What the checker sees before approving: interest to the sale day, 3,250.00.
    assert (disposal.interest_due, disposal.surplus) == (D("3250.00"), D("104350.00"))
    disposal = disposals.disposal_settle(disposal=disposal, acting_user=dw.ops2)
    assert disposal.state == PledgeDisposal.State.SETTLED
    assert (disposal.applied_costs, disposal.applied_interest, disposal.applied_principal, disposal.surplus,
            disposal.shortfall) == (D("12400.00"), D("3250.00"), D("500000.00"), D("104350.00"), D("0.00"))
    assert disposal.approved_by == dw.ops2
    drawdown.refresh_from_db()
    assert (drawdown.state, drawdown.principal_outstanding, drawdown.interest_posted, drawdown.interest_paid) == (
        PledgeDrawdown.State.REPAID, D("0.00"), D("3250.00"), D("3250.00"))
    current = agreement(dw)
    assert (current.state, current.principal_outstanding) == (PledgeAgreement.State.CLOSED, D("0.00"))
    assert not PledgedItem.objects.filter(agreement=current, status__in=PledgedItem.HELD).exists()
    assert PledgedItem.objects.filter(agreement=current, status=PledgedItem.Status.DISPOSED).count() == 1
    assert ledger_balanced()
    assert balance(":advances:") == D("0.00")
    assert balance(":interest_receivable:") == D("0.00")
    # The surplus is owed to the pledgor: a credit of 104,350.00 on its settlement account.
    assert balance(":supplier_settlement:") == D("-104350.00")
    assert balance(":debtor_collection:") == D("620000.00")
    assert Document.objects.filter(kind="pledge_disposal_statement", object_id=disposal.pk).count() == 1


def test_a_shortfall_stays_owed_and_the_agreement_stays_in_default(dw, today):
    drawdown = loan(dw)
    disposal = defaulted(dw)
    to_sale_day(today)
    disposal = sale(dw, disposal, proceeds="300000.00", costs="6000.00", method=PledgeDisposal.Method.NEGOTIATED)
    disposal = disposals.disposal_settle(disposal=disposal, acting_user=dw.ops2)
    assert (disposal.applied_costs, disposal.applied_interest, disposal.applied_principal, disposal.surplus,
            disposal.shortfall) == (D("6000.00"), D("3250.00"), D("290750.00"), D("0.00"), D("209250.00"))
    drawdown.refresh_from_db()
    assert (drawdown.state, drawdown.principal_outstanding) == (PledgeDrawdown.State.DISBURSED, D("209250.00"))
    current = agreement(dw)
    assert (current.state, current.principal_outstanding) == (PledgeAgreement.State.DEFAULTED, D("209250.00"))
    assert ledger_balanced()
    assert balance(":advances:") == D("209250.00")
    assert balance(":supplier_settlement:") == D("0.00")
    # A new default call on the agreement still in default opens nothing new.
    assert disposals.agreement_default(agreement=current, reason="x").pk == disposal.pk


def test_a_second_settlement_posts_nothing(dw, today):
    loan(dw)
    disposal = defaulted(dw)
    to_sale_day(today)
    disposal = disposals.disposal_settle(disposal=sale(dw, disposal), acting_user=dw.ops2)
    entries = JournalEntry.objects.count()
    again = disposals.disposal_settle(disposal=disposal, acting_user=dw.ops2)
    assert again.state == PledgeDisposal.State.SETTLED
    assert JournalEntry.objects.count() == entries


# --- refusals: a clear message, nothing changed ---------------------------------------------------

@pytest.mark.parametrize(("proceeds", "costs", "field"), [("-1.00", "0.00", "gross_proceeds"),
                                                          ("1000.00", "-5.00", "costs_of_sale"),
                                                          ("1000.00", "1000.01", "costs_of_sale"),
                                                          ("abc", "0.00", "gross_proceeds")])
def test_a_sale_whose_figures_do_not_add_up_is_refused(dw, today, proceeds, costs, field):
    loan(dw)
    disposal = defaulted(dw)
    to_sale_day(today)
    before = snapshot(disposal)
    with pytest.raises(ValidationError) as refused:
        sale(dw, disposal, proceeds=proceeds, costs=costs)
    assert field in refused.value.message_dict
    assert snapshot(disposal) == before


def test_the_maker_cannot_approve_the_sale(dw, today):
    loan(dw)
    disposal = defaulted(dw)
    to_sale_day(today)
    disposal = sale(dw, disposal)
    before = snapshot(disposal)
    with pytest.raises(DisposalFourEyes) as refused:
        disposals.disposal_settle(disposal=disposal, acting_user=dw.ops)
    assert "second person" in str(refused.value)
    assert snapshot(disposal) == before


def test_a_sale_on_a_settled_disposal_is_refused(dw, today):
    loan(dw)
    disposal = defaulted(dw)
    to_sale_day(today)
    disposal = disposals.disposal_settle(disposal=sale(dw, disposal), acting_user=dw.ops2)
    before = snapshot(disposal)
    with pytest.raises(DisposalStateConflict) as refused:
        sale(dw, disposal, proceeds="700000.00")
    assert refused.value.code == "pledge_disposal_state"
    assert snapshot(disposal) == before


def test_an_open_disposal_without_a_sale_cannot_be_settled(dw):
    loan(dw)
    disposal = defaulted(dw)
    with pytest.raises(DisposalStateConflict):
        disposals.disposal_settle(disposal=disposal, acting_user=dw.ops2)


def test_the_pledgor_cannot_enter_a_sale(dw, today):
    loan(dw)
    disposal = defaulted(dw)
    to_sale_day(today)
    before = snapshot(disposal)
    with pytest.raises(ActionNotPermitted):
        disposals.disposal_record_sale(disposal=disposal, method="auction", buyer="x", sale_date=SALE_DAY,
                                       gross_proceeds="1.00", costs_of_sale="0.00", acting_user=dw.pledgor_user)
    assert snapshot(disposal) == before


def test_a_sale_dated_in_the_future_is_refused(dw):
    loan(dw)
    disposal = defaulted(dw)
    with pytest.raises(ValidationError) as refused:
        sale(dw, disposal, sale_date=datetime.date(2026, 3, 3))
    assert "sale_date" in refused.value.message_dict


def test_liquidation_for_want_of_a_price_does_not_default(dw):
    loan(dw)
    # A stored valuation in liquidation only because a price is missing is not relied on.
    run = PledgeRevaluation.objects.create(lender=dw.lender, valued_on=datetime.date(2026, 3, 2), trigger="manual",
                                           run_at=datetime.datetime(2026, 3, 2, tzinfo=datetime.UTC))
    # (The disbursement stored a valuation already: this one replaces it.)
    PledgeValuation.objects.update_or_create(agreement=dw.agreement, defaults=dict(
        valued_on=run.valued_on, value=D("0.00"), exposure=D("500000.00"), zone="liquidation", missing_price=True,
        revaluation=run, revalued_at=run.run_at))
    assert disposals.default_on_liquidation(run, [ZoneChange(dw.agreement.pk, "normal", "liquidation")]) == 0
    assert agreement(dw).state == PledgeAgreement.State.ACTIVE


def test_releases_stop_on_default(dw):
    item = PledgedItem.objects.get(agreement=dw.agreement)
    # Nothing lent yet: the whole receipt (V 1,000,000.00) may be released; the pledgor asks for it.
    release = pledge_releases.release_request(agreement=dw.agreement, lines=[pledge_releases.ReleaseRequestLine(item)],
                                              acting_user=dw.pledgor_user)
    defaulted(dw)
    with pytest.raises(AgreementNotActive) as refused:
        pledge_releases.release_order_issue(release=release, acting_user=dw.ops)
    assert "in default" in str(refused.value)
    release.refresh_from_db()
    assert release.state == release.State.REQUESTED
    with pytest.raises(AgreementNotActive):
        pledge_releases.release_request(agreement=agreement(dw), lines=[pledge_releases.ReleaseRequestLine(item)],
                                        acting_user=dw.pledgor_user)
