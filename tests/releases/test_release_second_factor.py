"""Releasing money asks a releaser who has an authenticator app for a fresh code, on the page and in the API."""

from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from scf.ledger.models import JournalEntry
from tests.second_factor import code_at, enrolled_device, force_login_verified
from workflows.factoring.releases import disbursement_prepare

from .cases import signed_financing


def _wrong(device) -> str:
    return "000000" if code_at(device) != "000000" else "111111"


def test_the_page_refuses_a_release_without_a_valid_code_and_moves_nothing(world):
    financing = signed_financing(world)
    release = disbursement_prepare(financing=financing, acting_user=world.ops)
    device = enrolled_device(world.ops2)
    client = Client()
    force_login_verified(client, world.ops2, device)
    assert 'name="otp_code"' in client.get(reverse("releases:list")).content.decode()
    url = reverse("releases:release", kwargs={"release_pk": release.pk})
    entries = JournalEntry.objects.count()

    missing = client.post(url)
    assert missing.status_code == 403 and "authenticator app" in missing.content.decode()
    wrong = client.post(url, {"otp_code": _wrong(device)})
    assert wrong.status_code == 403
    release.refresh_from_db()
    assert (release.status, JournalEntry.objects.count()) == ("pending", entries)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # counted though the refusal rolled back

    device.throttle_reset()
    done = client.post(url, {"otp_code": code_at(device)})
    assert done.status_code == 302
    release.refresh_from_db()
    assert (release.status, JournalEntry.objects.count()) == ("released", entries + 1)


def test_the_api_refuses_a_release_without_a_valid_code_with_stable_codes(world):
    financing = signed_financing(world)
    release = disbursement_prepare(financing=financing, acting_user=world.ops)
    device = enrolled_device(world.ops2)
    api = APIClient()
    api.force_authenticate(world.ops2)
    url = f"/api/v1/releases/{release.pk}/release/"
    entries = JournalEntry.objects.count()

    missing = api.post(url)
    assert (missing.status_code, missing.json()["error"]["code"]) == (403, "second_factor_required")
    wrong = api.post(url, {"otp_code": _wrong(device)}, format="json")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "second_factor_invalid")
    release.refresh_from_db()
    assert (release.status, JournalEntry.objects.count()) == ("pending", entries)

    device.throttle_reset()
    code = code_at(device)
    done = api.post(url, {"otp_code": code}, format="json")
    assert (done.status_code, done.json()["status"]) == (200, "released")
    assert JournalEntry.objects.count() == entries + 1


def test_a_releaser_without_an_app_is_not_asked(world):
    financing = signed_financing(world)
    release = disbursement_prepare(financing=financing, acting_user=world.ops)
    api = APIClient()
    api.force_authenticate(world.ops2)
    assert api.post(f"/api/v1/releases/{release.pk}/release/").status_code == 200
