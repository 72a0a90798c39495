"""Drawdowns under a pledge agreement: figures worked by hand, refusals with their figures, idempotent money.

V = 100.000 t × 10,000.00 = 1,000,000.00; r 0.60 → max loan 600,000.00. A loan of 400,000.00 leaves
200,000.00 to draw. Interest at 6.5%, ACT/360: 400,000.00 × 0.065 × 30 / 360 = 2,166.666… → 2,166.67.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from scf.collections.models import Receipt
from scf.core.exceptions import ActionNotPermitted
from scf.facilities.models import CreditFacility, FacilityReservation
from scf.ledger.models import JournalEntry
from scf.parties.exceptions import NoSettlementAccount
from scf.parties.models import SettlementAccount
from workflows.approval.exceptions import FourEyesViolation
from workflows.pledge import drawdowns
from workflows.pledge.exceptions import (
    AgreementNotActive,
    CollateralPriceMissing,
    DisbursementBeforeRegistration,
    DrawdownAboveAvailable,
    DrawdownStateConflict,
    ValuationStale,
)
from workflows.pledge.models import PledgeAgreement, PledgeDrawdown, PledgeDrawdownRepayment, PledgeRegistration
from workflows.pledge.valuation import agreement_valuation

from .drawdown_setup import *  # noqa: F403  (the fixtures dw, today)
from .drawdown_setup import TODAY, D, balance, collateral, ledger_balanced

pytestmark = pytest.mark.django_db


def request(dw, amount="400000.00", **kwargs):
    return drawdowns.drawdown_request(agreement=dw.agreement, amount=D(amount), acting_user=dw.pledgor_user,
                                      **kwargs)


def approved(dw, amount="400000.00"):
    drawdown = request(dw, amount)
    return drawdowns.drawdown_approve(drawdown=drawdown, approver=dw.officer)


def disbursed(dw, amount="400000.00"):
    return drawdowns.drawdown_disburse(drawdown=approved(dw, amount), acting_user=dw.ops)


def facility(dw) -> CreditFacility:
    return CreditFacility.objects.get(pk=dw.agreement.facility_id)


def agreement(dw) -> PledgeAgreement:
    return PledgeAgreement.objects.get(pk=dw.agreement.pk)


# --- request --------------------------------------------------------------------------------------

def test_a_request_reserves_on_the_facility_and_leaves_the_rest_available(dw):
    availability = drawdowns.drawdown_availability(dw.agreement, TODAY)
    assert (availability.valuation.value, availability.max_loan, availability.available) == (
        D("1000000.00"), D("600000.00"), D("600000.00"))
    drawdown = request(dw)
    assert drawdown.state == PledgeDrawdown.State.REQUESTED
    assert drawdown.reference == "PLD-2026-00001"
    assert drawdown.maturity_date == dw.agreement.end_date
    assert facility(dw).reserved_amount == D("400000.00")
    # The request pending counts against what is left: 600,000.00 − 400,000.00.
    assert drawdowns.drawdown_availability(agreement(dw), TODAY).available == D("200000.00")
    assert drawdown.approval_case.required_groups == ["credit_officer"]


def test_a_request_above_what_is_available_is_refused_with_the_figures(dw):
    request(dw)
    with pytest.raises(DrawdownAboveAvailable) as refused:
        request(dw, "200000.01")
    message = refused.value.message
    assert "200,000.01" in message and "200,000.00 available" in message
    assert "max loan 600,000.00" in message and "requests pending 400,000.00" in message
    assert PledgeDrawdown.objects.count() == 1
    assert facility(dw).reserved_amount == D("400000.00")
    assert request(dw, "200000.00").amount == D("200000.00")  # exactly what is available


def test_what_is_available_is_capped_by_the_facilitys_headroom(dw):
    CreditFacility.objects.filter(pk=dw.agreement.facility_id).update(outstanding_amount=D("4700000.00"))
    with pytest.raises(DrawdownAboveAvailable) as refused:
        request(dw)
    assert "300,000.00 available" in refused.value.message and "headroom 300,000.00" in refused.value.message


def test_a_stale_valuation_refuses_a_new_drawdown(dw, today):
    today.move_to(datetime.datetime(2026, 3, 10, 10, 0, tzinfo=datetime.UTC), tick=False)  # price 8 days old > 5
    with pytest.raises(ValuationStale):
        request(dw)
    assert not PledgeDrawdown.objects.exists()
    assert facility(dw).reserved_amount == 0


def test_a_commodity_without_approved_price_refuses_a_drawdown(dw):
    collateral(dw.world, dw.agreement, quantity="4", number="LOT-B", on=TODAY)  # copper again: priced
    from tests.pledge.test_valuation import pledge
    pledge(dw.world, dw.agreement, dw.batteries, "10", "LOT-NOPRICE")
    with pytest.raises(CollateralPriceMissing):
        request(dw)


def test_no_request_before_registration(dw):
    PledgeRegistration.objects.filter(agreement=dw.agreement).delete()
    with pytest.raises(DisbursementBeforeRegistration) as refused:
        request(dw)
    assert "no disbursement before registration" in refused.value.message
    assert not PledgeDrawdown.objects.exists()


def test_no_request_under_an_agreement_not_active(dw):
    PledgeAgreement.objects.filter(pk=dw.agreement.pk).update(state=PledgeAgreement.State.CLOSED)
    with pytest.raises(AgreementNotActive):
        request(dw)


@pytest.mark.parametrize("amount", ["0", "-5", "10.001"])
def test_a_bad_amount_is_a_field_error(dw, amount):
    with pytest.raises(ValidationError) as refused:
        request(dw, amount)
    assert "amount" in refused.value.message_dict


def test_only_the_pledgors_operator_requests(dw):
    with pytest.raises(ActionNotPermitted):
        drawdowns.drawdown_request(agreement=dw.agreement, amount=D("1000.00"), acting_user=dw.warehouse_user)


# --- credit review --------------------------------------------------------------------------------

def test_a_credit_officer_approves_and_the_requester_never_does(dw):
    drawdown = request(dw)
    with pytest.raises(FourEyesViolation):
        drawdowns.drawdown_approve(drawdown=drawdown, approver=dw.pledgor_user)
    drawdown = drawdowns.drawdown_approve(drawdown=drawdown, approver=dw.officer)
    assert drawdown.state == PledgeDrawdown.State.APPROVED


def test_a_rejection_needs_a_comment_and_releases_the_reservation(dw):
    drawdown = request(dw)
    with pytest.raises(ValidationError):
        drawdowns.drawdown_reject(drawdown=drawdown, approver=dw.officer, comment="")
    drawdown = drawdowns.drawdown_reject(drawdown=drawdown, approver=dw.officer, comment="Stock too thin")
    assert drawdown.state == PledgeDrawdown.State.REJECTED
    assert facility(dw).reserved_amount == 0
    assert FacilityReservation.objects.get(reference=drawdown.reference).status == FacilityReservation.Status.RELEASED
    assert drawdowns.drawdown_availability(agreement(dw), TODAY).available == D("600000.00")


def test_a_withdrawn_request_gives_its_reservation_back(dw):
    drawdown = drawdowns.drawdown_withdraw(drawdown=request(dw), acting_user=dw.pledgor_user)
    assert drawdown.state == PledgeDrawdown.State.WITHDRAWN
    assert facility(dw).reserved_amount == 0


# --- disbursement ---------------------------------------------------------------------------------

def test_disbursement_posts_one_balanced_entry_once_and_counts_in_the_exposure(dw):
    drawdown = approved(dw)
    drawdown = drawdowns.drawdown_disburse(drawdown=drawdown, acting_user=dw.ops)
    again = drawdowns.drawdown_disburse(drawdown=drawdown, acting_user=dw.ops)
    assert again.state == drawdown.state == PledgeDrawdown.State.DISBURSED
    assert drawdown.disbursed_on == TODAY and drawdown.principal_outstanding == D("400000.00")
    assert JournalEntry.objects.filter(idempotency_key=f"pledge:{drawdown.reference}:disbursement").count() == 1
    assert ledger_balanced()
    assert balance(":advances:CNY") == D("400000.00")
    assert balance(":lender_funding:CNY") == D("-400000.00")
    f = facility(dw)
    assert (f.reserved_amount, f.outstanding_amount) == (0, D("400000.00"))
    valuation = agreement_valuation(agreement(dw), TODAY)
    assert valuation.exposure == D("400000.00")
    assert valuation.available == D("200000.00")
    assert drawdowns.drawdown_availability(agreement(dw), TODAY).available == D("200000.00")


def test_exposure_counts_every_drawdown_of_the_agreement(dw):
    disbursed(dw, "400000.00")
    disbursed(dw, "150000.00")
    assert agreement(dw).principal_outstanding == D("550000.00")
    assert agreement_valuation(agreement(dw), TODAY).available == D("50000.00")
    with pytest.raises(DrawdownAboveAvailable):
        request(dw, "50000.01")


def test_disbursement_only_after_approval_and_by_operations(dw):
    drawdown = request(dw)
    with pytest.raises(DrawdownStateConflict):
        drawdowns.drawdown_disburse(drawdown=drawdown, acting_user=dw.ops)
    drawdown = drawdowns.drawdown_approve(drawdown=drawdown, approver=dw.officer)
    with pytest.raises(ActionNotPermitted):
        drawdowns.drawdown_disburse(drawdown=drawdown, acting_user=dw.pledgor_user)


def test_no_disbursement_once_the_registration_is_gone(dw):
    drawdown = approved(dw)
    PledgeRegistration.objects.filter(agreement=dw.agreement).delete()
    with pytest.raises(DisbursementBeforeRegistration):
        drawdowns.drawdown_disburse(drawdown=drawdown, acting_user=dw.ops)
    assert not JournalEntry.objects.filter(idempotency_key__startswith="pledge:").exists()
    assert PledgeDrawdown.objects.get().state == PledgeDrawdown.State.APPROVED


def test_no_disbursement_without_a_verified_account_of_the_pledgor(dw):
    drawdown = approved(dw)
    SettlementAccount.objects.filter(organization=dw.pledgor).delete()
    with pytest.raises(NoSettlementAccount):
        drawdowns.drawdown_disburse(drawdown=drawdown, acting_user=dw.ops)


# --- interest -------------------------------------------------------------------------------------

def test_interest_worked_by_hand_posted_daily_without_drift(dw):
    drawdown = disbursed(dw)
    day = TODAY
    posted = D("0.00")
    for _ in range(30):
        day += datetime.timedelta(days=1)
        posted += drawdowns.drawdown_accrue_interest(drawdown=drawdown, on=day)
    # 400,000.00 × 0.065 × 30 / 360 = 2,166.666… → 2,166.67, whatever each day posted.
    assert posted == D("2166.67")
    drawdown.refresh_from_db()
    assert drawdown.interest_posted == D("2166.67") and drawdown.interest_accrued_to == datetime.date(2026, 4, 1)
    # Idempotent per day: the same day again posts nothing.
    assert drawdowns.drawdown_accrue_interest(drawdown=drawdown, on=day) == 0
    assert balance(":interest_income:CNY") == D("-2166.67")
    assert ledger_balanced()


def test_the_daily_job_accrues_every_disbursed_drawdown(dw):
    disbursed(dw)
    assert drawdowns.drawdowns_accrue_interest(on=TODAY + datetime.timedelta(days=30)) == 1
    assert drawdowns.drawdowns_accrue_interest(on=TODAY + datetime.timedelta(days=30)) == 0
    assert PledgeDrawdown.objects.get().interest_posted == D("2166.67")


# --- repayment ------------------------------------------------------------------------------------

def repay(dw, drawdown, amount, reference, on):
    return drawdowns.drawdown_repay(drawdown=drawdown, amount=D(amount), bank_reference=reference, on=on,
                                    acting_user=dw.ops)


def test_a_repayment_pays_interest_first_then_principal_and_restores_the_facility(dw, today):
    drawdown = disbursed(dw)
    on = TODAY + datetime.timedelta(days=30)
    today.move_to(datetime.datetime(2026, 4, 1, 10, 0, tzinfo=datetime.UTC), tick=False)
    repayment = repay(dw, drawdown, "102166.67", "B-1", on)
    assert (repayment.interest_part, repayment.principal_part) == (D("2166.67"), D("100000.00"))
    drawdown.refresh_from_db()
    assert drawdown.principal_outstanding == D("300000.00") and drawdown.interest_outstanding == 0
    assert drawdown.state == PledgeDrawdown.State.DISBURSED
    assert agreement(dw).principal_outstanding == D("300000.00")
    assert facility(dw).outstanding_amount == D("300000.00")  # revolving: the headroom is back
    receipt = Receipt.objects.get(bank_reference="B-1")
    assert (receipt.applied_interest, receipt.applied_advance, receipt.suspense) == (
        D("2166.67"), D("100000.00"), 0)
    assert ledger_balanced()
    # The same bank line again: the first repayment answers, nothing more is posted or restored.
    assert repay(dw, drawdown, "102166.67", "B-1", on).pk == repayment.pk
    assert PledgeDrawdownRepayment.objects.count() == 1 and Receipt.objects.count() == 1
    assert facility(dw).outstanding_amount == D("300000.00")


def test_the_last_repayment_marks_the_loan_repaid_and_more_than_owed_waits_in_suspense(dw, today):
    drawdown = disbursed(dw)
    on = TODAY + datetime.timedelta(days=30)
    today.move_to(datetime.datetime(2026, 4, 1, 10, 0, tzinfo=datetime.UTC), tick=False)
    repayment = repay(dw, drawdown, "402200.00", "B-ALL", on)
    assert (repayment.interest_part, repayment.principal_part) == (D("2166.67"), D("400000.00"))
    drawdown.refresh_from_db()
    assert drawdown.state == PledgeDrawdown.State.REPAID and drawdown.repaid_on == on
    assert Receipt.objects.get(bank_reference="B-ALL").suspense == D("33.33")
    assert agreement(dw).principal_outstanding == 0
    assert facility(dw).outstanding_amount == 0
    assert balance(":advances:CNY") == 0 and balance(":interest_receivable:CNY") == 0
    assert ledger_balanced()
    with pytest.raises(DrawdownStateConflict):
        repay(dw, drawdown, "10.00", "B-MORE", on)


def test_interest_after_a_partial_repayment_runs_on_the_principal_left(dw, today):
    drawdown = disbursed(dw)
    today.move_to(datetime.datetime(2026, 5, 1, 10, 0, tzinfo=datetime.UTC), tick=False)
    repay(dw, drawdown, "202166.67", "B-P", TODAY + datetime.timedelta(days=30))
    drawdown.refresh_from_db()
    # Then 200,000.00 × 0.065 × 30 / 360 = 1,083.333… → total 3,250.00 over 60 days.
    drawdowns.drawdown_accrue_interest(drawdown=drawdown, on=TODAY + datetime.timedelta(days=60))
    drawdown.refresh_from_db()
    assert drawdown.interest_posted == D("3250.00")
    assert drawdown.interest_outstanding == D("1083.33")


def test_a_repayment_dated_before_the_interest_posted_is_refused(dw, today):
    drawdown = disbursed(dw)
    drawdowns.drawdown_accrue_interest(drawdown=drawdown, on=TODAY + datetime.timedelta(days=10))
    today.move_to(datetime.datetime(2026, 4, 1, 10, 0, tzinfo=datetime.UTC), tick=False)
    with pytest.raises(ValidationError) as refused:
        repay(dw, drawdown, "1000.00", "B-EARLY", TODAY + datetime.timedelta(days=5))
    assert "value_date" in refused.value.message_dict
    assert not Receipt.objects.exists()


def test_a_non_revolving_facility_does_not_get_the_principal_back(dw, today):
    CreditFacility.objects.filter(pk=dw.agreement.facility_id).update(revolving=False)
    drawdown = disbursed(dw)
    today.move_to(datetime.datetime(2026, 4, 1, 10, 0, tzinfo=datetime.UTC), tick=False)
    repay(dw, drawdown, "102166.67", "B-NR", TODAY + datetime.timedelta(days=30))
    f = facility(dw)
    assert (f.outstanding_amount, f.retired_amount) == (D("300000.00"), D("100000.00"))
