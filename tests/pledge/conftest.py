"""A pledge world: a lender with staff, a pledgor, a warehouse operator, two eligible commodities."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from scf.facilities.models import Product
from scf.parties.models import Organization, StaffGroup, User
from tests.factories import FacilityFactory, LenderFactory, MembershipFactory, UserFactory
from workflows.pledge.models import Commodity, PledgeAgreement
from workflows.pledge.services import commodity_eligibility_set


@dataclass
class PledgeWorld:
    lender: Organization
    pledgor: Organization
    warehouse: Organization
    copper: Commodity  # tonnes, to 0.001
    batteries: Commodity  # pieces, to 1
    ops: User  # enters prices
    risk: User  # approves prices, manages commodities and warehouses
    admin: User
    pledgor_user: User
    warehouse_user: User


@pytest.fixture
def world(lender, staff_user, corporate) -> PledgeWorld:
    pledgor, pledgor_user = corporate("pledgor", is_distributor=True, is_supplier=False)
    warehouse, warehouse_user = corporate("warehouse", is_warehouse=True, is_supplier=False)
    copper = Commodity.objects.create(code="CU", name_en="Copper cathode", name_zh="电解铜", unit="t",
                                      precision="0.001")
    batteries = Commodity.objects.create(code="EVB", name_en="EV battery pack", name_zh="动力电池包", unit="pc",
                                         precision="1")
    risk = staff_user(StaffGroup.RISK_MANAGER, "risk")
    for commodity in (copper, batteries):
        commodity_eligibility_set(lender=lender, commodity=commodity, pledge_rate=Decimal("0.60"), acting_user=risk)
    return PledgeWorld(lender=lender, pledgor=pledgor, warehouse=warehouse, copper=copper, batteries=batteries,
                       ops=staff_user(StaffGroup.OPERATIONS, "ops"), risk=risk,
                       admin=staff_user(StaffGroup.ADMIN, "lender_admin"), pledgor_user=pledgor_user,
                       warehouse_user=warehouse_user)


@pytest.fixture
def other_lender_world(corporate):
    """A second lender with its own staff, for tenancy checks."""
    other = LenderFactory(legal_name="另一银行", legal_name_en="Other Bank")
    user = UserFactory(username="other-risk")
    user.groups.add(Group.objects.get(name=StaffGroup.RISK_MANAGER))
    MembershipFactory(user=user, organization=other)
    return other, user


@pytest.fixture
def active_agreement(world):
    """A dynamic pledge agreement of the world, signed by all three (active), on a pledge facility of 5,000,000."""
    facility = FacilityFactory(lender=world.lender, obligor=world.pledgor, product=Product.PLEDGE,
                               limit_amount=Decimal("5000000.00"))
    return PledgeAgreement.objects.create(
        reference="PLA-TEST-0001", lender=world.lender, pledgor=world.pledgor, warehouse=world.warehouse,
        facility=facility, kind=PledgeAgreement.Kind.DYNAMIC, maximum_amount=Decimal("3000000.00"),
        annual_rate=Decimal("0.055"), start_date=datetime.date(2026, 1, 5), end_date=datetime.date(2027, 1, 5),
        prepared_by=world.ops, state=PledgeAgreement.State.ACTIVE)
