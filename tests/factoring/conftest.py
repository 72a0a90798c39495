"""A factoring world: lender with its staff, a supplier and a core enterprise, and a facility."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from scf.facilities.models import CreditFacility, Product
from scf.parties.models import Membership, Organization, StaffGroup, User
from workflows.approval.services import approval_matrix_ensure_default
from tests.factories import FacilityFactory, LenderFactory, MembershipFactory, OrganizationFactory, UserFactory

TODAY = datetime.date(2026, 11, 25)


@dataclass
class World:
    lender: Organization
    supplier: Organization
    debtor: Organization
    facility: CreditFacility
    supplier_user: User
    debtor_user: User
    officer: User
    risk: User
    committee: User
    ops: User
    ops2: User  # a second operations user: releases what `ops` prepared (maker-checker)


def _staff(lender, username, group, *, signatory=False):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=group))
    MembershipFactory(user=user, organization=lender, role=Membership.Role.OPERATOR)
    if signatory:
        MembershipFactory(user=user, organization=lender, role=Membership.Role.SIGNATORY)
    return user


def _client(organization, username):
    user = UserFactory(username=username)
    MembershipFactory(user=user, organization=organization, role=Membership.Role.OPERATOR)
    MembershipFactory(user=user, organization=organization, role=Membership.Role.SIGNATORY)
    return user


@pytest.fixture
def world(db, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 25, 10, 0, tzinfo=datetime.UTC), tick=False)
    # A transactional test starts from flushed tables: put the default approval matrix back.
    approval_matrix_ensure_default()
    lender = LenderFactory(legal_name="测试银行", legal_name_en="Test Bank", bank_name="Test Bank Shanghai Branch",
                           bank_account_name="Test Bank factoring collection", bank_account_number="31001234567890")
    supplier = OrganizationFactory(legal_name="上海供应商有限公司", legal_name_en="Shanghai Supplier Co., Ltd.",
                                   bank_name="ICBC", bank_account_name="Shanghai Supplier", bank_account_number="1001")
    debtor = OrganizationFactory(legal_name="核心企业集团", legal_name_en="Core Group", is_supplier=False, is_core=True)
    facility = FacilityFactory(
        lender=lender, obligor=supplier, anchor=debtor, product=Product.FACTORING,
        limit_amount=Decimal("20000000.00"), valid_from=datetime.date(2026, 1, 1),
        valid_to=datetime.date(2027, 12, 31), max_tenor_days=180,
    )
    return World(
        lender=lender, supplier=supplier, debtor=debtor, facility=facility,
        supplier_user=_client(supplier, "sup"), debtor_user=_client(debtor, "core"),
        officer=_staff(lender, "officer", StaffGroup.CREDIT_OFFICER),
        risk=_staff(lender, "risk", StaffGroup.RISK_MANAGER),
        committee=_staff(lender, "committee", StaffGroup.CREDIT_COMMITTEE),
        ops=_staff(lender, "ops", StaffGroup.OPERATIONS, signatory=True),
        ops2=_staff(lender, "ops2", StaffGroup.OPERATIONS),
    )


@pytest.fixture
def registration_day(time_machine):
    """Run on the day the fixed invoice dates were written for: registration refuses an invoice already due."""
    time_machine.move_to(datetime.datetime(2026, 11, 25, 10, 0, tzinfo=datetime.UTC))
