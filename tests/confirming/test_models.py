"""The database holds confirming's cumulative rules whatever a service forgets: rows written directly."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from workflows.confirming.models import ConfirmingAgreement, PurchaseOrder, RefundDemand, ReleaseRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreement(world):
    return world.agreement


@pytest.fixture
def order(agreement):
    # P = 1,000,000.00, m = 0.30: M0 = 300,000.00; after 510,000.00 of margin mode 2 allows 300,000.00 out
    return PurchaseOrder.objects.create(
        agreement=agreement, reference="CWO-TEST-1", route=PurchaseOrder.Route.ACCEPTANCE_BILL,
        order_amount=D("1000000.00"), initial_margin=D("300000.00"), margin_paid=D("510000.00"),
        allowed_value=D("300000.00"), prepared_by=agreement.prepared_by)


def test_released_and_requested_never_pass_the_allowance(order):
    PurchaseOrder.objects.filter(pk=order.pk).update(released_value=D("300000.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        PurchaseOrder.objects.filter(pk=order.pk).update(released_value=D("300000.01"))
    order.refresh_from_db()
    assert order.releasable_value == D("0.00")
    assert order.exposure == D("490000.00")


def test_the_allowance_never_passes_the_order(order):
    with pytest.raises(IntegrityError), transaction.atomic():
        PurchaseOrder.objects.filter(pk=order.pk).update(allowed_value=D("1000000.01"))


def test_delivered_never_passes_released(order):
    with pytest.raises(IntegrityError), transaction.atomic():
        PurchaseOrder.objects.filter(pk=order.pk).update(delivered_value=D("0.01"))


def test_one_refund_demand_in_flight_per_order(order):
    RefundDemand.objects.create(order=order, amount=D("490000.00"), notice_date=datetime.date(2026, 6, 1),
                                due_date=datetime.date(2026, 6, 8))
    with pytest.raises(IntegrityError), transaction.atomic():
        RefundDemand.objects.create(order=order, amount=D("490000.00"), notice_date=datetime.date(2026, 6, 2),
                                    due_date=datetime.date(2026, 6, 8))
    RefundDemand.objects.filter(order=order).update(state=RefundDemand.State.PAID)
    assert RefundDemand.objects.create(order=order, amount=D("1.00"), notice_date=datetime.date(2026, 6, 3),
                                       due_date=datetime.date(2026, 6, 8)).state == "open"


def test_a_four_party_agreement_names_its_warehouse_and_a_three_party_one_none(agreement):
    with pytest.raises(IntegrityError), transaction.atomic():
        ConfirmingAgreement.objects.filter(pk=agreement.pk).update(warehouse=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        ConfirmingAgreement.objects.filter(pk=agreement.pk).update(form=ConfirmingAgreement.Form.THREE_PARTY)


@pytest.mark.parametrize("change", [{"margin_ratio": D("1")}, {"release_mode": 4},
                                    {"allows_loan": False, "allows_acceptance_bill": False}])
def test_agreement_terms_out_of_range_are_refused(agreement, change):
    with pytest.raises(IntegrityError), transaction.atomic():
        ConfirmingAgreement.objects.filter(pk=agreement.pk).update(**change)


def test_a_release_lives_its_own_state_machine(order):
    release = ReleaseRequest.objects.create(order=order, reference="CWR-1", value=D("100000.00"),
                                            requested_by=order.prepared_by)
    release.issue_notice(by=order.prepared_by)
    release.notify_delivery()
    release.confirm_delivery(at=datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC))
    release.save()
    assert ReleaseRequest.objects.get(pk=release.pk).state == ReleaseRequest.State.DELIVERED
