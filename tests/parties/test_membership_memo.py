"""Who belongs where is asked once per unit of work, and again as soon as a membership changes."""

import pytest

from scf.audit.services import audited
from scf.parties.models import Membership
from scf.parties.permissions import is_member
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_unit_of_work_asks_once_and_the_next_unit_asks_again(django_assert_num_queries):
    user, organization, other = UserFactory(), OrganizationFactory(), OrganizationFactory()
    MembershipFactory(user=user, organization=organization, role=Membership.Role.OPERATOR)

    @audited
    def unit():
        return is_member(user, organization), is_member(user, organization.pk), is_member(user, other)

    with django_assert_num_queries(4):  # the savepoint and its release, one question for each organization
        assert unit() == (True, True, False)
    Membership.objects.filter(user=user).update(organization=other)  # no signal: the next unit sees it all the same
    with django_assert_num_queries(4):
        assert unit() == (False, False, True)


def test_a_membership_taken_away_within_the_unit_counts_at_once(django_assert_num_queries):
    user, organization = UserFactory(), OrganizationFactory()
    membership = MembershipFactory(user=user, organization=organization, role=Membership.Role.OPERATOR)

    @audited
    def unit():
        before = is_member(user, organization)
        membership.delete()
        return before, is_member(user, organization)

    assert unit() == (True, False)


def test_outside_a_unit_of_work_every_check_asks(django_assert_num_queries):
    user, organization = UserFactory(), OrganizationFactory()
    with django_assert_num_queries(2):
        assert not is_member(user, organization) and not is_member(user, organization)
