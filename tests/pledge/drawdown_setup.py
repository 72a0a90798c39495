"""Shared set-up of the drawdown tests: an active, registered agreement with collateral worth 1,000,000.00.

Figures worked by hand: 100.000 t of copper at 10,000.00 = V 1,000,000.00; r 0.60 → max loan
600,000.00; interest 6.5% a year, ACT/360; facility of 5,000,000.00 (revolving).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest

from scf.ledger.models import Posting
from scf.parties.models import StaffGroup, User
from tests.factories import SettlementAccountFactory
from tests.pledge.agreement_setup import pdf
from tests.pledge.collateral_helpers import approve_price
from tests.pledge.test_valuation import pledge
from workflows.approval.services import approval_matrix_ensure_default
from workflows.pledge import agreements
from workflows.pledge.models import PledgeAgreement

__all__ = ["dw", "today"]

D = Decimal
TODAY = datetime.date(2026, 3, 2)


@dataclass
class DrawdownWorld:
    world: object  # tests/pledge/conftest.py PledgeWorld
    agreement: PledgeAgreement
    officer: User  # credit officer: decides drawdowns up to 1,000,000
    ops2: User  # a second operations user: releases the disbursements the first one prepares

    def __getattr__(self, name):
        return getattr(self.world, name)


def register(world, agreement, **overrides):
    values = {"number": "04123456000123456789", "registered_on": datetime.date(2026, 2, 27),
              "expires_on": datetime.date(2027, 2, 27), "evidence": pdf()}
    values.update(overrides)
    return agreements.registration_record(agreement=agreement, acting_user=world.ops, **values)


def collateral(world, agreement, *, quantity="100.000", price="10000.00", number="WR-D1", on=None):
    approve_price(world, world.copper, price, on=on or TODAY)
    return pledge(world, agreement, world.copper, quantity, number)


@pytest.fixture
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC), tick=False)
    return time_machine


@pytest.fixture
def dw(today, world, active_agreement, staff_user) -> DrawdownWorld:
    approval_matrix_ensure_default()
    PledgeAgreement.objects.filter(pk=active_agreement.pk).update(annual_rate=D("0.065"))
    active_agreement.refresh_from_db()
    SettlementAccountFactory(organization=world.pledgor, account_name=world.pledgor.legal_name)
    register(world, active_agreement)
    collateral(world, active_agreement)
    return DrawdownWorld(world=world, agreement=active_agreement,
                         officer=staff_user(StaffGroup.CREDIT_OFFICER, "officer"),
                         ops2=staff_user(StaffGroup.OPERATIONS, "ops2"))


def ledger_balanced() -> bool:
    """Whether every journal entry's postings sum to zero per currency (summed in Decimal, not by SQLite)."""
    sums: dict[tuple[int, str], Decimal] = {}
    for entry_id, currency, amount in Posting.objects.values_list("entry_id", "currency", "amount"):
        sums[entry_id, currency] = sums.get((entry_id, currency), D("0")) + amount
    return bool(sums) and all(total == 0 for total in sums.values())


def balance(account_code_part: str) -> Decimal:
    """Sum of the postings on the accounts whose code contains `account_code_part`."""
    amounts = Posting.objects.filter(account__code__contains=account_code_part).values_list("amount", flat=True)
    return sum(amounts, D("0.00"))
