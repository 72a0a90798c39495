"""The releases API: the same four eyes and refusals as the page, with stable codes."""

from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from scf.ledger.models import JournalEntry
from scf.parties.models import Membership, StaffGroup
from tests.factories import LenderFactory, MembershipFactory, UserFactory
from workflows.factoring.releases import disbursement_prepare

from .cases import signed_financing


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_preparer_is_refused_the_second_user_releases_and_a_second_release_is_a_conflict(world):
    financing = signed_financing(world)
    release = disbursement_prepare(financing=financing, acting_user=world.ops)
    url = f"/api/v1/releases/{release.pk}/release/"
    listed = _api(world.ops2).get("/api/v1/releases/").json()
    assert [(r["id"], r["action"], r["amount"], r["may_release"]) for r in listed] == [
        (release.pk, "factoring.disburse", "742900.00", True)]
    assert _api(world.ops).get("/api/v1/releases/").json()[0]["may_release"] is False
    entries = JournalEntry.objects.count()

    mine = _api(world.ops).post(url)
    assert (mine.status_code, mine.json()["error"]["code"]) == (403, "four_eyes")
    no_reason = _api(world.ops2).post(f"/api/v1/releases/{release.pk}/reject/", {"comment": ""}, format="json")
    assert no_reason.status_code == 400 and "comment" in no_reason.json()["error"]["fields"]
    assert JournalEntry.objects.count() == entries

    done = _api(world.ops2).post(url)
    assert (done.status_code, done.json()["status"], done.json()["decided_by"]) == (200, "released", "ops2")
    assert JournalEntry.objects.count() == entries + 1
    again = _api(world.ops2).post(url)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "illegal_transition")
    assert JournalEntry.objects.count() == entries + 1
    bad_filter = _api(world.ops2).get("/api/v1/releases/?status=lost")
    assert bad_filter.status_code == 400


def test_another_lender_and_clients_get_404_and_see_nothing(world):
    financing = signed_financing(world)
    release = disbursement_prepare(financing=financing, acting_user=world.ops)
    elsewhere = UserFactory(username="ops-other-lender")
    elsewhere.groups.add(Group.objects.get(name=StaffGroup.OPERATIONS))
    MembershipFactory(user=elsewhere, organization=LenderFactory(), role=Membership.Role.OPERATOR)
    for user in (elsewhere, world.supplier_user):
        assert _api(user).get("/api/v1/releases/").json() == []
        assert _api(user).post(f"/api/v1/releases/{release.pk}/release/").status_code == 404
        assert _api(user).post(f"/api/v1/releases/{release.pk}/withdraw/").status_code == 404
    release.refresh_from_db()
    assert release.status == "pending"
