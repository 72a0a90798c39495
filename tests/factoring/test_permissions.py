"""One predicate per action: who may act on a factoring financing, within its own lender."""

import pytest
from django.contrib.auth.models import Group

from scf.parties.models import Membership, StaffGroup
from tests.factories import LenderFactory, MembershipFactory, UserFactory
from workflows.factoring import permissions as can
from workflows.factoring.flows import FactoringFlow

from .test_settlement import _disbursed


@pytest.fixture
def people(world):
    other = LenderFactory()
    stranger = UserFactory(username="ops-elsewhere")
    stranger.groups.add(Group.objects.get(name=StaffGroup.OPERATIONS))
    MembershipFactory(user=stranger, organization=other, role=Membership.Role.OPERATOR)
    return {"supplier": world.supplier_user, "debtor": world.debtor_user, "officer": world.officer,
            "risk": world.risk, "committee": world.committee, "ops": world.ops, "ops_elsewhere": stranger,
            "root": UserFactory(username="root", is_superuser=True)}


@pytest.mark.parametrize("predicate, allowed", [
    (can.can_disburse, {"ops", "root"}),
    (can.can_record_receipt, {"ops", "root"}),
    (can.can_settle, {"ops", "root"}),
    (can.can_write_off, {"risk", "committee", "root"}),
    (can.can_withdraw, {"supplier", "officer", "risk", "committee", "ops", "root"}),
    (can.can_revise, {"supplier"}),
    (can.can_generate_contracts, {"supplier", "officer", "risk", "committee", "ops", "root"}),
    (can.can_see_pricing, {"supplier", "officer", "risk", "committee", "ops", "root"}),
    (can.can_see_facility, {"supplier", "officer", "risk", "committee", "ops", "root"}),
])
def test_each_action_is_answered_by_one_predicate(world, people, predicate, allowed):
    financing = _disbursed(world)
    assert {name for name, user in people.items() if predicate(user, financing)} == allowed


def test_the_flow_assigns_the_lenders_steps_by_the_predicates_permission():
    assert FactoringFlow.disburse._owner_permission == can.DISBURSE
    assert FactoringFlow.collect._owner_permission == can.RECORD_RECEIPTS
    assert FactoringFlow.settle._owner_permission == can.RECORD_RECEIPTS
