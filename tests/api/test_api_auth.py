"""Personal API tokens: `Authorization: Token <key>`, stored only as a hash."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scf.api.models import ApiToken, hash_key
from scf.api.services import api_token_create

ME = "/api/v1/me/"


def token_client(key: str) -> Client:
    return Client(headers={"Authorization": f"Token {key}"})


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


@pytest.fixture
def alice(corporate):
    organization, user = corporate("alice", legal_name="爱丽丝贸易有限公司")
    return organization, user


def test_me_url_is_the_documented_one():
    assert reverse("api:me") == ME


def test_token_authenticates_me(alice):
    organization, user = alice
    _token, key = api_token_create(user=user, name="ERP")

    response = token_client(key).get(ME)

    assert response.status_code == 200
    data = response.json()
    assert data["username"] == "alice"
    assert {(m["organization"], m["role"]) for m in data["memberships"]} == {
        (organization.pk, "operator"), (organization.pk, "signatory")}
    assert data["memberships"][0]["legal_name"] == "爱丽丝贸易有限公司"
    assert data["staff_groups"] == []


def test_token_use_is_recorded(alice):
    _organization, user = alice
    token, key = api_token_create(user=user)
    assert token.last_used_at is None

    token_client(key).get(ME)

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_wrong_token_is_refused_with_the_error_shape(alice):
    _organization, user = alice
    _token, key = api_token_create(user=user)

    response = token_client(key[:-1] + ("A" if key[-1] != "A" else "B")).get(ME)

    error = assert_error(response, 401, "authentication_failed")
    assert "fields" not in error
    assert response["WWW-Authenticate"] == "Token"


def test_revoked_token_is_refused(alice):
    _organization, user = alice
    token, key = api_token_create(user=user)
    assert token_client(key).get(ME).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())

    assert_error(token_client(key).get(ME), 401, "authentication_failed")


def test_token_of_an_inactive_user_is_refused(alice):
    _organization, user = alice
    _token, key = api_token_create(user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert_error(token_client(key).get(ME), 401, "authentication_failed")


def test_request_without_credentials_is_refused(db):
    assert_error(Client().get(ME), 401, "not_authenticated")


def test_malformed_authorization_header_is_refused(db):
    response = Client(headers={"Authorization": "Token two words"}).get(ME)
    assert_error(response, 401, "authentication_failed")


def test_create_api_token_command_prints_a_working_key(alice):
    _organization, user = alice
    out = io.StringIO()

    call_command("create_api_token", "alice", "--name", "SAP", stdout=out)

    key = out.getvalue().strip()
    assert len(key) >= 32 and "\n" not in key
    token = ApiToken.objects.get(user=user)
    assert token.name == "SAP"
    response = token_client(key).get(ME)
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_create_api_token_command_rejects_an_unknown_username(db):
    with pytest.raises(CommandError, match="nobody"):
        call_command("create_api_token", "nobody", stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_only_the_hash_of_the_key_is_stored(alice):
    _organization, user = alice
    token, key = api_token_create(user=user, name="ERP")

    row = ApiToken.objects.filter(pk=token.pk).values().get()

    assert row["key_hash"] == hash_key(key) != key
    assert not any(key in str(value) for value in row.values())
    assert row["prefix"] == key[:8]  # enough to recognise a token in a list, not to use it
