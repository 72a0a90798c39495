"""Releasing the same prepared movement twice at once posts it once (PostgreSQL, real threads).

Two operations users press Release on the same disbursement at the same moment, each on its own
connection, released together by a barrier: the release's row lock lets one post and the other
find it released. SQLite serialises every writer, so the race means nothing there.
"""


import pytest
from django.contrib.auth.models import Group

from scf.core.exceptions import IllegalTransition
from scf.ledger.models import JournalEntry
from scf.parties.models import Membership, StaffGroup
from scf.releases.models import Release
from scf.releases.services import release_approve
from tests.factories import MembershipFactory, UserFactory
from tests.races import run_together
from workflows.factoring.models import FactoringFinancing
from workflows.factoring.releases import disbursement_prepare, receipt_prepare

from .cases import signed_financing

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]





def _third_ops(world):
    user = UserFactory(username="ops3")
    user.groups.add(Group.objects.get(name=StaffGroup.OPERATIONS))
    MembershipFactory(user=user, organization=world.lender, role=Membership.Role.OPERATOR)
    return user


@pytest.mark.parametrize("round_", range(3))
def test_two_releases_of_one_disbursement_at_once_post_it_once(postgres_only, world, round_):
    financing = signed_financing(world)
    release = disbursement_prepare(financing=financing, acting_user=world.ops)
    entries = JournalEntry.objects.count()
    checkers = (world.ops2, _third_ops(world))

    results, errors = run_together(*(
        (lambda user=user: release_approve(release=Release(pk=release.pk), acting_user=user)) for user in checkers))

    assert len(results) == 1 and len(errors) == 1, (results, errors)
    (error,) = errors.values()
    assert isinstance(error, IllegalTransition) and "already released" in str(error.message)
    assert JournalEntry.objects.count() == entries + 1
    release.refresh_from_db()
    (winner,) = results
    assert (release.status, release.decided_by) == ("released", checkers[winner])
    assert FactoringFinancing.objects.get(pk=financing.pk).state == "disbursed"


def test_two_releases_of_one_receipt_at_once_record_it_once(postgres_only, world, time_machine):
    import datetime
    from decimal import Decimal

    from scf.collections.models import Receipt

    financing = signed_financing(world)
    release_approve(release=disbursement_prepare(financing=financing, acting_user=world.ops), acting_user=world.ops2)
    financing.refresh_from_db()
    release = receipt_prepare(financing=financing, amount=Decimal("100000.00"), value_date=datetime.date(2026, 11, 25),
                              bank_reference="RACE-R-1", payer=world.debtor, acting_user=world.ops)
    entries = JournalEntry.objects.count()
    results, errors = run_together(
        *((lambda user=user: release_approve(release=Release(pk=release.pk), acting_user=user))
          for user in (world.ops2, _third_ops(world))))
    assert len(results) == 1 and [type(e) for e in errors.values()] == [IllegalTransition]
    assert Receipt.objects.filter(bank_reference="RACE-R-1").count() == 1
    assert JournalEntry.objects.count() == entries + 1
    financing.refresh_from_db()
    assert financing.advance_outstanding == Decimal("660000.00")  # 760,000.00 − 100,000.00, once
