"""The organization a user acts for in a role: at most two returned, so callers can refuse to guess."""

import pytest
from django.contrib.auth.models import AnonymousUser

from scf.parties.models import Membership
from scf.parties.selectors import acting_organizations
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _member(user, role=Membership.Role.OPERATOR, **org_kwargs):
    organization = OrganizationFactory(**org_kwargs)
    MembershipFactory(user=user, organization=organization, role=role)
    return organization


def test_only_organizations_playing_the_role_are_returned():
    user = UserFactory()
    supplier = _member(user)
    core = _member(user, is_supplier=False, is_core=True)
    _member(UserFactory(), is_supplier=False, is_core=True)  # someone else's
    assert acting_organizations(user=user, role="supplier") == [supplier]
    assert acting_organizations(user=user, role="core") == [core]
    assert acting_organizations(user=user, role="warehouse") == []


def test_at_most_two_are_returned_and_a_credit_code_picks_one():
    user = UserFactory()
    first, second, third = (_member(user) for _ in range(3))
    assert acting_organizations(user=user, role="supplier") == [first, second]
    assert acting_organizations(user=user, role="supplier", uscc=third.uscc.lower()) == [third]
    assert acting_organizations(user=user, role="supplier", uscc=OrganizationFactory().uscc) == []


def test_membership_roles_leave_out_organizations_where_the_user_only_signs():
    user = UserFactory()
    _member(user, Membership.Role.SIGNATORY, is_supplier=False, is_core=True)
    admin_of = _member(user, Membership.Role.ADMIN, is_supplier=False, is_core=True)
    assert len(acting_organizations(user=user, role="core")) == 2
    assert acting_organizations(user=user, role="core", membership_roles=["operator", "admin"]) == [admin_of]


def test_an_anonymous_user_acts_for_nobody():
    assert acting_organizations(user=AnonymousUser(), role="supplier") == []
