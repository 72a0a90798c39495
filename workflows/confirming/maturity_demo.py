"""A refund demand in the demo, and the margin payments and refund demand the documents print their samples from.

With the life cycle, the demo's funded order by acceptance bill gets its refund notice through the service
(operations demand the shortfall ahead of the job). Without it (the document engine's tests, which issue
nothing), the sample order of the releases' demo (release_demo.py) gets its two margin payments and an open
refund demand written row by row, so that `demo_documents` prints the margin receipt and the refund notice.

The sample order: P = 883,000.00, M0 = 264,900.00, then 120,000.00 more: M = 384,900.00;
S = P − M = 498,100.00, due at maturity, noticed k = 5 business days before it.
"""

from __future__ import annotations

from decimal import Decimal

from scf.core.demo import DemoContext

from .maturity import refund_demand_open, refund_notice_date
from .models import MarginPayment, OrderLine, PurchaseOrder, RefundDemand


def seed_confirming_maturity(context: DemoContext) -> None:
    """Give the demo one refund demand once (idempotent): through the service with the life cycle, else as rows."""
    if RefundDemand.objects.filter(order__agreement__lender=context.lender).exists():
        return
    if context.lifecycle:
        order = (PurchaseOrder.objects.filter(agreement__lender=context.lender, state=PurchaseOrder.State.FUNDED,
                                              route=PurchaseOrder.Route.ACCEPTANCE_BILL)
                 .order_by("id").first())
        ops = context.staff.get("ops")
        if order is not None and ops is not None and order.margin_paid < order.order_amount:
            refund_demand_open(order=order, acting_user=ops)
        return
    _sample_rows(context)


def _sample_rows(context: DemoContext) -> None:
    order = (PurchaseOrder.objects.filter(agreement__lender=context.lender, seller_order_number="SO-DEMO-0001")
             .select_related("agreement").order_by("id").first())
    ops = context.staff.get("ops")
    if order is None or ops is None or order.maturity_date is None:
        return
    if not order.margin_payments.exists():
        MarginPayment.objects.create(order=order, amount=Decimal("264900.00"), received_on=order.funded_on,
                                     bank_reference="CWM-DEMO-S1", recorded_by=ops)
        MarginPayment.objects.create(order=order, amount=Decimal("120000.00"), received_on=order.funded_on,
                                     bank_reference="CWM-DEMO-S2", recorded_by=ops)
    RefundDemand.objects.create(order=order, amount=order.order_amount - order.margin_paid,
                                notice_date=refund_notice_date(order), due_date=order.maturity_date)
    _settled_sample(order, ops)


def _settled_sample(funded: PurchaseOrder, ops) -> None:
    """A closed order the settlement advice prints from: P 1,000,000.00 by loan, M 500,000.00, S 500,000.00.

    M0 300,000.00 paid the seller with a loan of 700,000.00; the loan was repaid from the margin beyond M0
    (200,000.00) and the refund (500,000.00); the distributor took its 500,000.00 of goods, the seller kept
    the rest.
    """
    day = funded.maturity_date
    reference = f"{funded.reference}-S"
    if PurchaseOrder.objects.filter(reference=reference).exists():
        return
    order = PurchaseOrder.objects.create(
        agreement=funded.agreement, reference=reference, seller_order_number="SO-DEMO-0002",
        currency=funded.currency, route=PurchaseOrder.Route.LOAN, order_amount=Decimal("1000000.00"),
        initial_margin=Decimal("300000.00"), margin_paid=Decimal("500000.00"), refund_paid=Decimal("500000.00"),
        goods_kept_value=Decimal("500000.00"), allowed_value=Decimal("500000.00"),
        released_value=Decimal("500000.00"), delivered_value=Decimal("500000.00"),
        loan_principal=Decimal("700000.00"), funded_on=funded.funded_on, maturity_date=day, settled_on=day,
        prepared_by=ops, state=PurchaseOrder.State.CLOSED)
    OrderLine.objects.create(order=order, description="螺纹钢 HRB400 Rebar", unit="t", quantity=Decimal("1000.000"),
                             unit_price=Decimal("1000.00"), amount=Decimal("1000000.00"),
                             delivered_quantity=Decimal("500.000"))
