"""A person's preferences: the language, and the time zone pages show moments in."""

import datetime

import pytest
import time_machine

from scf.parties.models import Membership
from scf.parties.services import organization_create
from tests.factories import MembershipFactory, UserFactory, next_uscc

pytestmark = pytest.mark.django_db

CREATED_AT = datetime.datetime(2026, 12, 7, 2, 30, tzinfo=datetime.timezone.utc)  # 10:30 in Shanghai


@pytest.fixture
def member(client):
    with time_machine.travel(CREATED_AT, tick=False):
        organization = organization_create(legal_name="时区测试有限公司", uscc=next_uscc(), roles=["supplier"],
                                           acting_user=None)
    user = UserFactory(username="tz_reader", preferred_language="en")
    MembershipFactory(user=user, organization=organization, role=Membership.Role.ADMIN)
    client.force_login(user)
    return user, organization


def test_history_times_follow_the_readers_time_zone(client, member):
    user, organization = member
    page = client.get(f"/organizations/{organization.pk}/").content.decode()
    assert "2026-12-07 10:30" in page and "Times are in Asia/Shanghai" in page  # the service's zone by default

    response = client.post("/preferences/", {"preferred_language": "en", "time_zone": "Europe/London"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.time_zone == "Europe/London"
    page = client.get(f"/organizations/{organization.pk}/").content.decode()
    assert "2026-12-07 02:30" in page and "Times are in Europe/London" in page
    assert "10:30" not in page
    assert 'datetime="2026-12-07T02:30:00+00:00"' in page  # the machine-readable moment is the same

    client.post("/preferences/", {"preferred_language": "en", "time_zone": "America/New_York"})
    page = client.get(f"/organizations/{organization.pk}/").content.decode()
    assert "2026-12-06 21:30" in page  # the day before, in New York


def test_an_unknown_time_zone_is_refused_and_changes_nothing(client, member):
    user, _organization = member
    response = client.post("/preferences/", {"preferred_language": "zh-hans", "time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 400
    assert "Mars/Olympus_Mons" in response.content.decode()  # the choice field names the bad value
    user.refresh_from_db()
    assert (user.preferred_language, user.time_zone) == ("en", "")


def test_the_language_chosen_there_is_saved_and_speaks_at_once(client, member):
    user, _organization = member
    response = client.post("/preferences/", {"preferred_language": "zh-hans", "time_zone": ""}, follow=True)
    user.refresh_from_db()
    assert user.preferred_language == "zh-hans"
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "时区" in page  # the form's labels in Chinese


def test_business_dates_stay_in_the_services_zone(client, member):
    """A reader far west of Shanghai still gets the service's date for value dates and defaults."""
    user, _organization = member
    user.time_zone = "America/Los_Angeles"
    user.save(update_fields=["time_zone"])
    # 01:00 on 8 December in Shanghai is still 7 December in Los Angeles.
    with time_machine.travel(datetime.datetime(2026, 12, 7, 17, 0, tzinfo=datetime.timezone.utc), tick=False):
        from django.utils import timezone

        response = client.get("/preferences/")
        assert response.status_code == 200
        assert timezone.localdate() == datetime.date(2026, 12, 8)
    assert response.context["reader_time_zone"] == "America/Los_Angeles"


def test_a_page_rendered_without_a_request_shows_the_services_zone():
    """A template rendered outside a request (no context processors) still renders, in the service's zone."""
    from django.template.loader import render_to_string

    html = render_to_string("404.html", {})
    assert '<main class="page">' in html
