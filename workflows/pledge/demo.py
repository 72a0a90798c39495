"""Pledge's part of the demo: eligible commodities, warehouse1 approved as supervisor, two approved prices."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from scf.core.demo import DemoContext

from .models import Commodity, CommodityEligibility, CommodityPrice, WarehouseApproval
from .services import commodity_create, commodity_eligibility_set, price_approve, price_propose, warehouse_approve

DEMO_COMMODITIES = [
    # code, English, Chinese, unit, precision, pledge rate, demo price
    ("CU", "Copper cathode", "电解铜", Commodity.Unit.TONNE, "0.001", Decimal("0.60"), Decimal("68450.00")),
    ("EVB", "EV battery pack", "动力电池包", Commodity.Unit.PIECE, "1", Decimal("0.50"), Decimal("12800.00")),
]
WAREHOUSE1_LIMIT = Decimal("50000000.00")


def seed_pledge_demo(context: DemoContext) -> None:
    """Make the commodities eligible, approve warehouse1 as supervisor and approve one price of each.

    Safe to run again: it looks before creating.
    """
    lender = context.lender
    admin, ops, risk = context.staff["lender_admin"], context.staff["ops"], context.staff["risk"]
    today = timezone.localdate()
    for code, name_en, name_zh, unit, precision, rate, price in DEMO_COMMODITIES:
        commodity = Commodity.objects.filter(code=code).first() or commodity_create(
            code=code, name_en=name_en, name_zh=name_zh, unit=unit, precision=precision, acting_user=admin)
        if not CommodityEligibility.objects.filter(lender=lender, commodity=commodity).exists():
            commodity_eligibility_set(lender=lender, commodity=commodity, pledge_rate=rate, acting_user=admin)
        if not CommodityPrice.objects.filter(lender=lender, commodity=commodity).exists():
            proposed = price_propose(lender=lender, commodity=commodity, price=price,
                                     source=CommodityPrice.Source.SPOT, effective_date=today,
                                     reference="Demo spot quote", acting_user=ops)
            price_approve(price=proposed, acting_user=risk)
    warehouse = context.organizations.get("warehouse1")
    if warehouse is not None and not WarehouseApproval.objects.filter(lender=lender, warehouse=warehouse).exists():
        warehouse_approve(lender=lender, warehouse=warehouse, concentration_limit=WAREHOUSE1_LIMIT,
                          acting_user=admin)
