import re

import pytest
from django.core import mail

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_login_is_throttled_after_repeated_failures(client):
    UserFactory(username="alice", password="Right-Pass-42")
    for _ in range(3):  # AXES_FAILURE_LIMIT is 3 in the test settings
        client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "alice", "password": "Right-Pass-42"})
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert client.get("/").status_code == 302  # still not logged in


def test_password_reset_sends_a_working_link(client):
    UserFactory(username="bob", email="bob@example.com", password="Old-Pass-42")
    response = client.post("/accounts/password_reset/", {"email": "bob@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url
    response = client.post(form_url, {"new_password1": "Brand-New-Pass-77", "new_password2": "Brand-New-Pass-77"})
    assert response.status_code == 302
    assert client.post("/accounts/login/", {"username": "bob", "password": "Brand-New-Pass-77"}).status_code == 302


def test_logout_needs_post_and_ends_the_session(client):
    user = UserFactory(username="carol")
    client.force_login(user)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_language_switch_renders_the_portal_in_chinese(client):
    from scf.parties.demo import seed_demo

    seed_demo(password="x-Pass-12345")
    from scf.parties.models import User

    client.force_login(User.objects.get(username="officer"))
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = client.get("/").content.decode()
    assert 'lang="zh-hans"' in page
    assert "退出" in page or "登出" in page  # the logout button, translated


@pytest.mark.parametrize("preferred, lang, logout", [("zh-hans", 'lang="zh-hans"', "退出"), ("en", 'lang="en"', "Log out")])
def test_signing_in_opens_the_portal_in_the_users_preferred_language(client, preferred, lang, logout):
    """The browser asks for the other language; the profile's choice wins from the login on."""
    UserFactory(username="dora", password="Right-Pass-42", preferred_language=preferred)
    other = "en" if preferred == "zh-hans" else "zh-CN,zh;q=0.9"
    response = client.post("/accounts/login/", {"username": "dora", "password": "Right-Pass-42"},
                           HTTP_ACCEPT_LANGUAGE=other)
    assert response.status_code == 302
    assert response.cookies["django_language"].value == preferred
    page = client.get("/", HTTP_ACCEPT_LANGUAGE=other).content.decode()
    assert lang in page
    assert logout in page


def test_a_failed_login_leaves_the_language_alone(client):
    UserFactory(username="ed", password="Right-Pass-42", preferred_language="zh-hans")
    response = client.post("/accounts/login/", {"username": "ed", "password": "wrong"})
    assert "django_language" not in response.cookies


def test_the_language_menu_saves_the_choice_to_the_profile(client):
    """Chosen from the header while signed in, the language is the one the next sign-in opens in."""
    user = UserFactory(username="fay", password="Right-Pass-42", preferred_language="en")
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    user.refresh_from_db()
    assert user.preferred_language == "zh-hans"
    client.post("/accounts/logout/")
    response = client.post("/accounts/login/", {"username": "fay", "password": "Right-Pass-42"})
    assert response.cookies["django_language"].value == "zh-hans"


def test_a_language_picked_on_the_login_page_wins_over_the_profile_and_is_kept(client):
    user = UserFactory(username="gus", password="Right-Pass-42", preferred_language="en")
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    response = client.post("/accounts/login/", {"username": "gus", "password": "Right-Pass-42"})
    assert response.cookies["django_language"].value == "zh-hans"
    user.refresh_from_db()
    assert user.preferred_language == "zh-hans"
    assert "退出" in client.get("/").content.decode()


def test_an_unknown_language_changes_nothing(client):
    user = UserFactory(username="hal", password="Right-Pass-42", preferred_language="en")
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.preferred_language == "en"
