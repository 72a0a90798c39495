"""A confirming-warehouse world: a lender with operations staff, a seller, a distributor, a warehouse, a funded order."""

import datetime
from dataclasses import dataclass
from decimal import Decimal as D

import pytest

from scf.facilities.models import Product
from scf.parties.models import Organization, StaffGroup, User
from tests.factories import FacilityFactory
from workflows.confirming.models import ConfirmingAgreement, PurchaseOrder


@dataclass
class ConfirmingWorld:
    lender: Organization
    seller: Organization
    distributor: Organization
    warehouse: Organization
    agreement: ConfirmingAgreement
    ops: User
    distributor_user: User
    seller_user: User


@pytest.fixture
def world(lender, staff_user, corporate) -> ConfirmingWorld:
    seller, seller_user = corporate("seller", is_core=True, is_supplier=False)
    distributor, distributor_user = corporate("distributor", is_distributor=True, is_supplier=False)
    warehouse, _ = corporate("warehouse", is_warehouse=True, is_supplier=False)
    ops = staff_user(StaffGroup.OPERATIONS, "ops")
    agreement = ConfirmingAgreement.objects.create(
        reference="CWA-TEST-1", form=ConfirmingAgreement.Form.FOUR_PARTY, lender=lender, seller=seller,
        distributor=distributor, warehouse=warehouse,
        facility=FacilityFactory(lender=lender, obligor=distributor, product=Product.CONFIRMING),
        guarantee_facility=FacilityFactory(lender=lender, obligor=seller, product=Product.CONFIRMING),
        limit_amount=D("5000000.00"), release_mode=2, annual_rate=D("0.045"),
        start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2027, 1, 1), prepared_by=ops,
        state=ConfirmingAgreement.State.ACTIVE)
    return ConfirmingWorld(lender=lender, seller=seller, distributor=distributor, warehouse=warehouse,
                           agreement=agreement, ops=ops, distributor_user=distributor_user, seller_user=seller_user)


@pytest.fixture
def make_order(world):
    """An approved order of P = 1,000,000.00 at m = 0.30 (M0 = 300,000.00) awaiting its initial margin."""

    def make(reference="CWO-TEST-1", state=PurchaseOrder.State.AWAITING_MARGIN, **fields):
        return PurchaseOrder.objects.create(
            agreement=world.agreement, reference=reference, route=PurchaseOrder.Route.ACCEPTANCE_BILL,
            order_amount=D("1000000.00"), initial_margin=D("300000.00"), prepared_by=world.ops, state=state,
            **fields)
    return make
