"""Confirming-warehouse releases in the demo, and the rows the release and delivery notices print their samples from.

With the life cycle, the first funded order of the demo (seeded by the orders' seeder before this one)
gets a release taken through the services: requested by dist1, noticed by operations, answered by the
seller's delivery notice, delivered; and a second release waiting for its notice. Without it (the document
engine's tests, which issue nothing), a funded order of the demo's agreement with one release whose delivery
notice names two lines is written row by row, so that `demo_documents` has a release to print.

The sample order of core1's excavator parts, m = 0.30, mode 2:
  bucket teeth 2,000 pcs × 185.50 = 371,000.00; hydraulic cylinders 40 sets × 12,800.00 = 512,000.00
  P = 883,000.00, M0 = 264,900.00, M = 384,900.00: round_down(120,000.00 / 0.70) = 171,428.57 allowed
  release 150,000.00; its delivery notice: 300 pcs (55,650.00) and 7 sets (89,600.00) = 145,250.00
"""

from __future__ import annotations

import datetime
from decimal import ROUND_FLOOR, Decimal

from django.utils import timezone

from scf.core.demo import DemoContext
from scf.core.sequences import sequence_next

from .models import ConfirmingAgreement, OrderLine, PurchaseOrder, ReleaseLine, ReleaseRequest
from .releases import DeliveryLine, release_delivery_confirm, release_delivery_notify, release_notice_issue
from .services import order_allowance, release_request

SAMPLE_LINES = (("液压挖掘机斗齿 Excavator bucket teeth", "pcs", Decimal("2000.000"), Decimal("185.50"),
                 Decimal("371000.00"), Decimal("300.000"), Decimal("55650.00")),
                ("液压油缸总成 Hydraulic cylinder assembly", "set", Decimal("40.000"), Decimal("12800.00"),
                 Decimal("512000.00"), Decimal("7.000"), Decimal("89600.00")))


def seed_confirming_releases(context: DemoContext) -> None:
    """Give the demo its releases once (idempotent): through the services with the life cycle, else as rows."""
    lender = context.lender
    if ReleaseRequest.objects.filter(order__agreement__lender=lender).exists():
        return
    if context.lifecycle:
        _releases_through_services(context)
    else:
        _sample_rows(context)


def _releases_through_services(context: DemoContext) -> None:
    order = (PurchaseOrder.objects.filter(agreement__lender=context.lender, state=PurchaseOrder.State.FUNDED)
             .select_related("agreement").order_by("id").first())
    if order is None or order.releasable_value <= 0:
        return
    distributor = _client_of(context, order.agreement.distributor_id)
    seller = _client_of(context, order.agreement.seller_id)
    custodian = _client_of(context, order.agreement.warehouse_id or order.agreement.seller_id)
    ops = context.staff.get("ops")
    if None in (distributor, seller, custodian, ops):
        return
    line = order.lines.order_by("pk").first()
    value = order.releasable_value
    quantity = min(line.quantity - line.delivered_quantity,
                   (value / line.unit_price).to_integral_value(rounding=ROUND_FLOOR))
    if quantity <= 0:
        return
    half = (quantity / 2).to_integral_value(rounding=ROUND_FLOOR) or quantity
    first = release_request(order=order, value=value, acting_user=distributor)
    release_notice_issue(release=first, acting_user=ops)
    release_delivery_notify(release=first, lines=[DeliveryLine(line.pk, quantity)], acting_user=seller)
    # Fewer goods went out than notified: the value not delivered may be asked for again.
    release_delivery_confirm(release=first, lines=[DeliveryLine(line.pk, half)], acting_user=custodian)
    order.refresh_from_db()
    if order.releasable_value > 0:
        release_request(order=order, value=order.releasable_value, acting_user=distributor)


def _client_of(context: DemoContext, organization_id: int | None):
    for key, organization in context.organizations.items():
        if organization is not None and organization.pk == organization_id:
            return context.clients.get(key)
    return None


def _sample_rows(context: DemoContext) -> None:
    agreement = ConfirmingAgreement.objects.filter(lender=context.lender).order_by("id").first()
    distributor = _client_of(context, agreement.distributor_id) if agreement else None
    ops = context.staff.get("ops")
    if agreement is None or distributor is None or ops is None:
        return
    today = timezone.localdate()
    order = PurchaseOrder(
        agreement=agreement, reference=f"CWO-{today.year}-{sequence_next('confirming.order', today.year):05d}",
        seller_order_number="SO-DEMO-0001", currency=agreement.currency, route=PurchaseOrder.Route.ACCEPTANCE_BILL,
        order_amount=Decimal("883000.00"), initial_margin=Decimal("264900.00"), margin_paid=Decimal("384900.00"),
        released_value=Decimal("150000.00"), funded_on=today, maturity_date=today + datetime.timedelta(days=180),
        bill_number="BA-DEMO-0001", prepared_by=ops, state=PurchaseOrder.State.FUNDED)
    order.allowed_value = order_allowance(order, order.margin_paid)
    order.save()
    release = ReleaseRequest.objects.create(
        order=order, reference=f"CWR-{today.year}-{sequence_next('confirming.release', today.year):05d}",
        value=Decimal("150000.00"), requested_by=distributor, noticed_by=ops, noticed_at=timezone.now(),
        delivery_notified_at=timezone.now(), state=ReleaseRequest.State.DELIVERY_NOTIFIED)
    for description, unit, quantity, price, amount, notified, value in SAMPLE_LINES:
        line = OrderLine.objects.create(order=order, description=description, unit=unit, quantity=quantity,
                                        unit_price=price, amount=amount)
        ReleaseLine.objects.create(release=release, order_line=line, quantity=notified, value=value)
