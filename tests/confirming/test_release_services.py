"""Releases from request to delivery: what each mode lets out, the notices, the goods delivered line by line.

Worked by hand on the order of release_setup (P = 1,000,000.00, m = 0.30, M0 = 300,000.00):
  margin of 100,000.00 more → M = 400,000.00
    mode 1 (full):                 allowance = M = 400,000.00
    mode 2 (proportional):         round_down((400,000 − 300,000) / 0.70) = round_down(142,857.142857…) = 142,857.14
    mode 3 (initial margin last):  M − M0 = 100,000.00; once M = P (600,000.00 more): P = 1,000,000.00
  funded only (M = M0): mode 1 lets out 300,000.00, modes 2 and 3 nothing.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from documents.models import Document
from scf.audit.models import AuditRecord
from scf.core.exceptions import ActionNotPermitted
from tests.confirming import release_setup
from tests.confirming.release_setup import lines_of, pay
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from workflows.confirming.exceptions import (
    DeliveryAboveAvailable,
    DeliveryAboveNotice,
    DeliveryExceedsRelease,
    DeliveryLineNotOnOrder,
    OrderNotOpen,
    ReleaseExceedsAllowance,
    ReleaseStateConflict,
)
from workflows.confirming.models import OrderLine, PurchaseOrder, ReleaseRequest
from workflows.confirming.releases import (
    added_value,
    release_delivery_confirm,
    release_delivery_notify,
    release_notice_issue,
    release_position,
)
from workflows.confirming.services import release_request, release_withdraw

pytestmark = pytest.mark.django_db
funded_order = release_setup.funded_order
warehouse_user = release_setup.warehouse_user
three_party_agreement = release_setup.three_party_agreement


@pytest.mark.parametrize(("mode", "funded", "after_margin"), [
    (1, "300000.00", "400000.00"),
    (2, "0.00", "142857.14"),
    (3, "0.00", "100000.00"),
])
def test_each_mode_lets_out_what_design_says(world, funded_order, mode, funded, after_margin):
    order = funded_order(mode=mode)
    assert release_position(order).releasable == D(funded)
    pay(world, order, "100000.00", f"TT-{mode}")
    order.refresh_from_db()
    position = release_position(order)
    assert (position.margin_paid, position.allowed, position.releasable) == (
        D("400000.00"), D(after_margin), D(after_margin))
    assert order.allowed_value == D(after_margin)


def test_mode_3_lets_the_initial_margins_goods_out_only_once_all_is_paid(world, funded_order):
    order = funded_order(mode=3)
    pay(world, order, "100000.00", "TT-A")
    release_request(order=order, value=D("60000.00"), acting_user=world.distributor_user)
    order.refresh_from_db()
    assert release_position(order).releasable == D("40000.00")  # 100,000.00 − 60,000.00
    pay(world, order, "600000.00", "TT-B")  # M = P
    order.refresh_from_db()
    assert release_position(order).releasable == D("940000.00")  # P − D = 1,000,000.00 − 60,000.00


def _noticed(world, order, value="142857.14"):
    release = release_request(order=order, value=D(value), acting_user=world.distributor_user)
    return release_notice_issue(release=release, acting_user=world.ops)


def test_a_release_goes_from_request_to_delivery_line_by_line(world, funded_order, warehouse_user,
                                                              django_capture_on_commit_callbacks):
    order = funded_order(mode=2)
    pay(world, order, "100000.00", "TT-1")
    release = release_request(order=order, value=D("142857.14"), acting_user=world.distributor_user)
    with pytest.raises(ReleaseExceedsAllowance):
        release_request(order=order, value=D("0.01"), acting_user=world.distributor_user)
    release = release_notice_issue(release=release, acting_user=world.ops)
    assert release.state == ReleaseRequest.State.NOTICE_ISSUED and release.noticed_by == world.ops
    notice = Document.objects.get(kind="confirming_release_notice", object_id=release.pk)
    assert notice.language == world.warehouse.preferred_language  # four-party: to the warehouse

    # 40 t × 3,500.00 + 0.5 t × 2,500.00 = 140,000.00 + 1,250.00 = 141,250.00 ≤ 142,857.14
    with django_capture_on_commit_callbacks(execute=True):
        release = release_delivery_notify(release=release, lines=lines_of(order, "40", "0.5"),
                                          acting_user=world.seller_user)
    assert release.state == ReleaseRequest.State.DELIVERY_NOTIFIED
    assert [(line.quantity, line.value) for line in release.lines.order_by("order_line_id")] == [
        (D("40.000"), D("140000.00")), (D("0.500"), D("1250.00"))]
    delivery_notice = Document.objects.get(kind="confirming_delivery_notice", object_id=release.pk)
    # Rendered and issued for the seller's signature (the seller alone signs it).
    assert delivery_notice.state == Document.State.ISSUED and delivery_notice.number.startswith("CWDN-")
    assert list(delivery_notice.document_parties.filter(must_sign=True).values_list("role", flat=True)) == ["seller"]

    # The warehouse hands over 40 t and 0.3 t: 140,000.00 + 750.00 = 140,750.00; 2,107.14 is freed.
    release = release_delivery_confirm(release=release, lines=lines_of(order, "40", "0.3"),
                                       acting_user=warehouse_user)
    assert (release.state, release.delivered_value) == (ReleaseRequest.State.DELIVERED, D("140750.00"))
    order.refresh_from_db()
    assert (order.delivered_value, order.released_value) == (D("140750.00"), D("140750.00"))
    assert release_position(order).releasable == D("2107.14")
    assert [line.delivered_quantity for line in order.lines.order_by("pk")] == [D("40.000"), D("0.300")]
    # One record per step (the transition's own), none twice.
    assert list(AuditRecord.objects.filter(object_id=str(release.pk), action__startswith="confirming.release")
                .order_by("seq").values_list("action", flat=True)) == [
        "confirming.release.request", "confirming.releaserequest.issue_notice",
        "confirming.releaserequest.notify_delivery", "confirming.releaserequest.confirm_delivery"]


def test_goods_worth_more_than_the_release_or_more_than_the_line_holds_are_refused(world, funded_order):
    order = funded_order(mode=2)
    pay(world, order, "100000.00", "TT-1")
    release = _noticed(world, order)
    # 40 t × 3,500.00 + 1.2 t × 2,500.00 = 143,000.00 > 142,857.14
    with pytest.raises(DeliveryExceedsRelease) as error:
        release_delivery_notify(release=release, lines=lines_of(order, "40", "1.2"), acting_user=world.seller_user)
    assert "143,000.00" in error.value.message and "142,857.14" in error.value.message
    with pytest.raises(DeliveryAboveAvailable):
        release_delivery_notify(release=release, lines=lines_of(order, None, "120.001"),
                                acting_user=world.seller_user)
    release.refresh_from_db()
    assert release.state == ReleaseRequest.State.NOTICE_ISSUED and not release.lines.exists()


def test_bad_quantities_are_field_errors_by_line(world, funded_order):
    order = funded_order(mode=2)
    pay(world, order, "100000.00", "TT-1")
    release = _noticed(world, order)
    with pytest.raises(ValidationError) as error:
        release_delivery_notify(release=release, lines=lines_of(order, "abc", "0.0001"),
                                acting_user=world.seller_user)
    assert set(error.value.message_dict) == {"lines.0.quantity", "lines.1.quantity"}
    with pytest.raises(ValidationError) as error:
        release_delivery_notify(release=release, lines=[], acting_user=world.seller_user)
    assert "lines" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        release_delivery_notify(release=release, lines=lines_of(order, "-1"), acting_user=world.seller_user)
    assert error.value.message_dict["lines.0.quantity"]


def test_a_delivery_above_the_notice_or_of_another_order_is_refused(world, funded_order, warehouse_user):
    order = funded_order(mode=2)
    other = funded_order(mode=2, reference="CWO-REL-2")
    pay(world, order, "100000.00", "TT-1")
    release = _noticed(world, order)
    release_delivery_notify(release=release, lines=lines_of(order, "40", "0.5"), acting_user=world.seller_user)
    with pytest.raises(DeliveryAboveNotice) as error:
        release_delivery_confirm(release=release, lines=lines_of(order, "40", "0.501"), acting_user=warehouse_user)
    assert "0.5" in error.value.message
    with pytest.raises(DeliveryLineNotOnOrder):
        release_delivery_confirm(release=release, lines=lines_of(other, "1"), acting_user=warehouse_user)
    with pytest.raises(ValidationError):
        release_delivery_confirm(release=release, lines=lines_of(order, "0", "0"), acting_user=warehouse_user)
    release.refresh_from_db()
    order.refresh_from_db()
    assert release.state == ReleaseRequest.State.DELIVERY_NOTIFIED
    assert order.delivered_value == D("0.00")
    assert set(OrderLine.objects.filter(order=order).values_list("delivered_quantity", flat=True)) == {D("0.000")}


def test_a_delivery_notice_naming_another_orders_goods_is_refused(world, funded_order):
    order = funded_order(mode=2)
    other = funded_order(mode=2, reference="CWO-REL-2")
    pay(world, order, "100000.00", "TT-1")
    release = _noticed(world, order)
    with pytest.raises(DeliveryLineNotOnOrder):
        release_delivery_notify(release=release, lines=lines_of(other, "1"), acting_user=world.seller_user)


def test_only_the_right_party_acts_at_each_step(world, funded_order, warehouse_user):
    order = funded_order(mode=2)
    pay(world, order, "100000.00", "TT-1")
    release = release_request(order=order, value=D("1000.00"), acting_user=world.distributor_user)
    with pytest.raises(ActionNotPermitted):
        release_notice_issue(release=release, acting_user=world.distributor_user)
    release_notice_issue(release=release, acting_user=world.ops)
    # Another core enterprise's operator: not the seller of this order.
    stranger = UserFactory(username="other-seller")
    MembershipFactory(user=stranger, organization=OrganizationFactory(is_core=True), role="operator")
    with pytest.raises(ActionNotPermitted):
        release_delivery_notify(release=release, lines=lines_of(order, "0.2"), acting_user=stranger)
    with pytest.raises(ActionNotPermitted):
        release_delivery_notify(release=release, lines=lines_of(order, "0.2"), acting_user=warehouse_user)
    release_delivery_notify(release=release, lines=lines_of(order, "0.2"), acting_user=world.seller_user)
    # Four-party: the warehouse, not the seller, hands the goods over.
    with pytest.raises(ActionNotPermitted):
        release_delivery_confirm(release=release, lines=lines_of(order, "0.2"), acting_user=world.seller_user)
    release_delivery_confirm(release=release, lines=lines_of(order, "0.2"), acting_user=warehouse_user)


def test_in_a_three_party_agreement_the_seller_holds_and_delivers(world, funded_order, three_party_agreement):
    order = funded_order(mode=1, agreement=three_party_agreement)
    release = release_request(order=order, value=D("3500.00"), acting_user=world.distributor_user)
    release_notice_issue(release=release, acting_user=world.ops)
    notice = Document.objects.get(kind="confirming_release_notice", object_id=release.pk)
    assert notice.language == world.seller.preferred_language
    release_delivery_notify(release=release, lines=lines_of(order, "1"), acting_user=world.seller_user)
    release = release_delivery_confirm(release=release, lines=lines_of(order, "1"), acting_user=world.seller_user)
    assert release.delivered_value == D("3500.00")


def test_steps_out_of_order_are_refused_with_the_state(world, funded_order, warehouse_user):
    order = funded_order(mode=1)
    release = release_request(order=order, value=D("1000.00"), acting_user=world.distributor_user)
    with pytest.raises(ReleaseStateConflict):
        release_delivery_notify(release=release, lines=lines_of(order, "0.2"), acting_user=world.seller_user)
    release_notice_issue(release=release, acting_user=world.ops)
    with pytest.raises(ReleaseStateConflict):
        release_notice_issue(release=release, acting_user=world.ops)
    with pytest.raises(ReleaseStateConflict):
        release_delivery_confirm(release=release, lines=lines_of(order, "0.2"), acting_user=warehouse_user)
    with pytest.raises(ReleaseStateConflict):  # noticed: no longer withdrawn
        release_withdraw(release=release, acting_user=world.distributor_user)


def test_a_notice_on_an_order_no_longer_open_is_refused(world, funded_order):
    order = funded_order(mode=1)
    release = release_request(order=order, value=D("1000.00"), acting_user=world.distributor_user)
    # An advanced order has its advance's day and amount (a check constraint holds them together).
    PurchaseOrder.objects.filter(pk=order.pk).update(state=PurchaseOrder.State.ADVANCED, advanced_on=order.maturity_date,
                                                     advance_amount=D("1000.00"), penalty_accrued_to=order.maturity_date)
    with pytest.raises(OrderNotOpen):
        release_notice_issue(release=release, acting_user=world.ops)


def test_two_open_delivery_notices_never_name_more_than_the_line_holds(world, funded_order):
    order = funded_order(mode=1, margin_paid=D("1000000.00"))  # paid in full: all goods may go out
    first = _noticed(world, order, "500000.00")
    second = _noticed(world, order, "500000.00")
    release_delivery_notify(release=first, lines=lines_of(order, None, "100"), acting_user=world.seller_user)
    with pytest.raises(DeliveryAboveAvailable) as error:
        release_delivery_notify(release=second, lines=lines_of(order, None, "20.001"), acting_user=world.seller_user)
    assert "20" in error.value.message
    release_delivery_notify(release=second, lines=lines_of(order, None, "20"), acting_user=world.seller_user)


def test_a_line_delivered_in_parts_never_adds_up_past_its_amount():
    # 3 units at 0.335: the line's amount is round(1.005) = 1.01; one unit at a time adds 0.34, 0.33, 0.34.
    line = OrderLine(quantity=D("3.000"), unit_price=D("0.335"), amount=D("1.01"))
    parts = [added_value(line, D(out), D("1")) for out in ("0", "1", "2")]
    assert parts == [D("0.34"), D("0.33"), D("0.34")] and sum(parts) == D("1.01")


def test_withdrawing_ends_the_flow_and_frees_the_value(world, funded_order):
    from workflows.inbox.services import process_for
    order = funded_order(mode=1)
    release = release_request(order=order, value=D("1000.00"), acting_user=world.distributor_user)
    assert process_for(release).is_open
    release_withdraw(release=release, acting_user=world.distributor_user)
    assert not process_for(release).is_open
    order.refresh_from_db()
    assert order.released_value == D("0.00")


def test_the_delivery_notice_is_due_the_day_the_release_notice_was_issued(world, funded_order):
    from workflows.inbox.services import process_for
    order = funded_order(mode=1)
    release = _noticed(world, order, "1000.00")
    assert process_for(release).due_date == timezone.localdate()
