"""A refund demand in the demo, and the margin payments and refund demand the documents print their samples from.

With the life cycle, the demo's funded order by acceptance bill gets its refund notice through the service
(operations demand the shortfall ahead of the job). Without it (the document engine's tests, which issue
nothing), the sample order of the releases' demo (release_demo.py) gets its two margin payments and an open
refund demand written row by row, so that `demo_documents` prints the margin receipt and the refund notice.

The sample order: P = 883,000.00, M0 = 264,900.00, then 120,000.00 more: M = 384,900.00;
S = P − M = 498,100.00, due at maturity, noticed k = 5 business days before it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from scf.core.demo import DemoContext

from .maturity import refund_demand_open, refund_notice_date
from .models import ConfirmingAgreement, MarginPayment, OrderLine, PurchaseOrder, RefundDemand


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
    _advanced_sample(order, ops)


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


def _advanced_sample(funded: PurchaseOrder, ops) -> None:
    """An advanced order, repaid, the advance documents print from: P 800,000.00 by loan, M = M0 = 240,000.00.

    Nothing refunded at maturity: the lender advanced S = 800,000.00 − 240,000.00 = 560,000.00 (the loan of
    P − M0 left overdue); repaid 10 days later with penalty interest 560,000.00 × 0.045 × 1.5 / 360 × 10 = 1,050.00
    (at the demo agreement's 4.5% and the facility's 1.5 multiplier, ACT/360).
    """
    day = funded.maturity_date
    reference = f"{funded.reference}-A"
    if PurchaseOrder.objects.filter(reference=reference).exists():
        return
    repaid_on = day + datetime.timedelta(days=10)
    order = PurchaseOrder.objects.create(
        agreement=funded.agreement, reference=reference, seller_order_number="SO-DEMO-0003",
        currency=funded.currency, route=PurchaseOrder.Route.LOAN, order_amount=Decimal("800000.00"),
        initial_margin=Decimal("240000.00"), margin_paid=Decimal("240000.00"), allowed_value=Decimal("0.00"),
        loan_principal=Decimal("560000.00"), funded_on=funded.funded_on, maturity_date=day, advanced_on=day,
        advance_amount=Decimal("560000.00"), core_claim_amount=Decimal("560000.00"),
        penalty_accrued=Decimal("1050.00"), penalty_accrued_to=repaid_on, prepared_by=ops,
        state=PurchaseOrder.State.CLOSED)
    OrderLine.objects.create(order=order, description="螺纹钢 HRB400 Rebar", unit="t", quantity=Decimal("800.000"),
                             unit_price=Decimal("1000.00"), amount=Decimal("800000.00"))


# --- with the life cycle: a loan order unpaid at maturity, advanced ---------------------------------------

ADVANCE_ORDER = ("HZ-SO-2026-0105", [("铲斗 Excavator bucket", "个", "30", "15000.00")])


def seed_confirming_advance(context: DemoContext) -> None:
    """Give the demo (with the life cycle) one loan order advanced at maturity, once (idempotent).

    dist1 buys 30 buckets at 15,000.00 = 450,000.00 from core1 by loan and pays only M0 = 135,000.00; core1
    refunds nothing. The demo cannot wait 180 days: the order is marked to mature today (a demo shortcut),
    then advanced through the service, S = 450,000.00 − 135,000.00 = 315,000.00, its advance notice issued.
    The risk stop froze dist1's and core1's facilities; the demo's risk manager lifts it so that the other
    demo cases can go on.
    """
    from scf.facilities.models import CreditFacility
    from scf.facilities.services import facility_unfreeze

    from .advances import order_advance
    from .orders import (
        order_confirm_receipt,
        order_create,
        order_fund,
        order_margin_apply,
        order_review_decide,
        order_seller_confirm,
        order_submit,
    )

    if not context.lifecycle:
        return
    dist1, core1 = context.organizations.get("dist1"), context.organizations.get("core1")
    agreement = ConfirmingAgreement.objects.filter(lender=context.lender, distributor=dist1, seller=core1,
                                                   state=ConfirmingAgreement.State.ACTIVE).first()
    staff = context.staff
    seller_order_number, lines = ADVANCE_ORDER
    if (agreement is None or "ops" not in staff or "risk" not in staff
            or PurchaseOrder.objects.filter(agreement=agreement, seller_order_number=seller_order_number).exists()):
        return
    distributor_user, seller_user = context.clients["dist1"], context.clients["core1"]
    today = timezone.localdate()
    order = order_create(agreement=agreement, route=PurchaseOrder.Route.LOAN, acting_user=distributor_user,
                         seller_order_number=seller_order_number,
                         lines=[{"description": d, "unit": u, "quantity": Decimal(q), "unit_price": Decimal(p)}
                                for d, u, q, p in lines])
    order_submit(order=order, acting_user=distributor_user)
    order_seller_confirm(order=order, acting_user=seller_user, note="Demo: order matches our sales order.")
    order_review_decide(order=order, approver=staff["officer2"], decision="approve",
                        comment="Demo: a short order to show the advance at maturity.")
    order.refresh_from_db()
    order_margin_apply(order=order, amount=order.initial_margin, received_on=today, bank_reference="CWM-DEMO-105",
                       acting_user=staff["ops"])
    order_fund(order=order, acting_user=staff["ops"])
    order_confirm_receipt(order=order, acting_user=seller_user)
    PurchaseOrder.objects.filter(pk=order.pk).update(maturity_date=today)
    order_advance(order=order, acting_user=None, on=today)
    for facility in CreditFacility.objects.filter(lender=context.lender, obligor__in=[dist1, core1],
                                                  state=CreditFacility.State.FROZEN):
        facility_unfreeze(facility=facility, acting_user=staff["risk"],
                          note="Demo: risk stop lifted so that the other demo cases can go on.")
