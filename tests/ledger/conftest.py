"""Ledger fixtures: a small chart of accounts for one lender and one supplier, in CNY and USD."""

from types import SimpleNamespace

import pytest

from scf.ledger.models import Account
from scf.ledger.services import account_for
from tests.factoring.conftest import world  # noqa: F401  (the migration test finances through the factoring world)

from ..factories import OrganizationFactory


@pytest.fixture
def supplier(db):
    return OrganizationFactory(legal_name="测试供应商有限公司", legal_name_en="Test Supplier Co., Ltd.")


@pytest.fixture
def accounts(lender, supplier):
    """Return the accounts the tests post to; the house (owner None) keeps advances and income."""
    P = Account.Purpose
    return SimpleNamespace(
        funding=account_for(lender=lender, owner=lender, purpose=P.LENDER_FUNDING),
        advances=account_for(lender=lender, owner=None, purpose=P.ADVANCES),
        settlement=account_for(lender=lender, owner=supplier, purpose=P.SUPPLIER_SETTLEMENT),
        fee_income=account_for(lender=lender, owner=None, purpose=P.FEE_INCOME),
        usd_advances=account_for(lender=lender, owner=None, purpose=P.ADVANCES, currency="USD"),
        usd_settlement=account_for(lender=lender, owner=supplier, purpose=P.SUPPLIER_SETTLEMENT, currency="USD"),
    )

