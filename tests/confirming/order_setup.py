"""Shared set-up of the order tests: the conftest world's active agreement, its credit staff, the seller's account.

Figures worked by hand: 40 t at 12,345.675 = 493,827.00; 7.5 sets at 1,333.333 = 9,999.9975 → 10,000.00;
P = 503,827.00; m 0.30 → M0 = 151,148.10; a loan lends P − M0 = 352,678.90. One credit officer approves up
to 1,000,000. Funded on 2026-03-02 with a 180-day tenor → maturity 2026-08-29.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest

from scf.ledger.models import Posting
from scf.parties.models import StaffGroup, User
from tests.factories import SettlementAccountFactory
from workflows.approval.services import approval_matrix_ensure_default
from workflows.confirming import orders
from workflows.confirming.models import PurchaseOrder

__all__ = ["ow", "today", "LINES", "D", "apply", "approved", "paid", "balance", "ledger_balanced", "DAY"]

D = Decimal
DAY = datetime.date(2026, 3, 2)
LINES = [
    {"description": "Copper cathode", "unit": "t", "quantity": D("40"), "unit_price": D("12345.675")},
    {"description": "Cable drum", "unit": "set", "quantity": D("7.5"), "unit_price": D("1333.333")},
]


@dataclass
class OrderWorld:
    world: object  # tests/confirming/conftest.py ConfirmingWorld
    officer: User  # credit officer: decides orders up to 1,000,000
    risk: User
    ops2: User  # a second operations user: releases the funding the first one prepares

    def __getattr__(self, name):
        return getattr(self.world, name)


@pytest.fixture
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC), tick=False)
    return time_machine


@pytest.fixture
def ow(today, world, staff_user) -> OrderWorld:
    approval_matrix_ensure_default()
    SettlementAccountFactory(organization=world.seller, account_name=world.seller.legal_name)
    return OrderWorld(world=world, officer=staff_user(StaffGroup.CREDIT_OFFICER, "officer"),
                      risk=staff_user(StaffGroup.RISK_MANAGER, "risk"), ops2=staff_user(StaffGroup.OPERATIONS, "ops2"))


def apply(ow, route="loan", lines=None) -> PurchaseOrder:
    """Apply and send to the seller: the order waits for the seller's confirmation."""
    order = orders.order_create(agreement=ow.agreement, lines=lines or LINES, route=route,
                                acting_user=ow.distributor_user, seller_order_number="SO-1")
    return orders.order_submit(order=order, acting_user=ow.distributor_user)


def approved(ow, route="loan") -> PurchaseOrder:
    order = apply(ow, route)
    orders.order_seller_confirm(order=order, acting_user=ow.seller_user)
    return orders.order_review_decide(order=order, approver=ow.officer, decision="approve")


def paid(ow, route="loan") -> PurchaseOrder:
    order = approved(ow, route)
    orders.order_margin_apply(order=order, amount=D("151148.10"), received_on=DAY, bank_reference="M-1",
                              acting_user=ow.ops)
    order.refresh_from_db()
    return order


def ledger_balanced() -> bool:
    """Whether every journal entry's postings sum to zero per currency (summed in Decimal)."""
    sums: dict[tuple[int, str], Decimal] = {}
    for entry_id, currency, amount in Posting.objects.values_list("entry_id", "currency", "amount"):
        sums[entry_id, currency] = sums.get((entry_id, currency), D("0")) + amount
    return bool(sums) and all(total == 0 for total in sums.values())


def balance(purpose: str, owner=None) -> Decimal:
    """The balance of the accounts of a purpose (a party's, or the lender's own with owner=None)."""
    postings = Posting.objects.filter(account__purpose=purpose)
    postings = postings.filter(account__owner=owner) if owner is not None else postings.filter(
        account__owner__isnull=True)
    return sum(postings.values_list("amount", flat=True), D("0.00"))
