"""Shared steps of the collateral tests: prices, the warehouse's approval, a declared and an effective intake."""

import datetime
from decimal import Decimal

from django.utils import timezone

from documents.models import Document
from documents.services import document_sign
from workflows.pledge.collateral import IntakeLine, intake_count, intake_declare, intake_issue_notice
from workflows.pledge.models import CommodityPrice
from workflows.pledge.services import price_approve, price_propose, warehouse_approve

PASSWORD = "pw-Secret-123"


def approve_price(world, commodity, price, *, on=None):
    proposed = price_propose(lender=world.lender, commodity=commodity, price=Decimal(price),
                             source=CommodityPrice.Source.SPOT, effective_date=on or timezone.localdate(),
                             reference="test", acting_user=world.ops)
    return price_approve(price=proposed, acting_user=world.risk)


def approve_warehouse(world, limit="50000000.00"):
    return warehouse_approve(lender=world.lender, warehouse=world.warehouse, concentration_limit=Decimal(limit),
                             acting_user=world.risk)


def receipt_line(number="WR-001", commodity=None, quantity="120.500", **kwargs):
    kwargs.setdefault("issued_on", timezone.localdate() - datetime.timedelta(days=10))
    kwargs.setdefault("location", "Shanghai bonded zone, shed 3")
    return IntakeLine(kind=IntakeLine.RECEIPT, number=number, commodity=commodity, quantity=Decimal(quantity),
                      **kwargs)


def lot_line(number="LOT-001", commodity=None, quantity="40", **kwargs):
    kwargs.setdefault("location", "Row B")
    kwargs.setdefault("description", "Type A, 75 kWh")
    return IntakeLine(kind=IntakeLine.LOT, number=number, commodity=commodity, quantity=Decimal(quantity), **kwargs)


def declare(world, agreement, *lines):
    return intake_declare(agreement=agreement, lines=list(lines), acting_user=world.pledgor_user)


def sign(document, organization, user):
    return document_sign(document=document, organization=organization, signer=user, password=PASSWORD,
                         ip_address="127.0.0.1", user_agent="pytest")


def current(intake, kind):
    return Document.objects.filter(object_id=intake.pk, kind=kind).order_by("-version").first()


def make_effective(world, agreement, intake, capture):
    """Count every line whole, sign the goods list, issue the notice and confirm it, as each party."""
    with capture(execute=True):
        intake_count(intake=intake, counts={item.pk: item.declared_quantity for item in intake.items.all()},
                     acting_user=world.warehouse_user)
    with capture(execute=True):
        sign(current(intake, "pledged_goods_list"), world.warehouse, world.warehouse_user)
    with capture(execute=True):
        intake_issue_notice(intake=intake, acting_user=world.ops)
    with capture(execute=True):
        sign(current(intake, "pledge_notice"), world.warehouse, world.warehouse_user)
    intake.refresh_from_db()
    return intake
