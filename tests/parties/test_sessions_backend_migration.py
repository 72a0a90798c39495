"""People signed in before the permission backend changed stay signed in (parties migration 0012)."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("scf.parties.migrations.0012_sessions_signed_in_by_the_one_read_backend")


def _session(user, backend: str) -> str:
    store = SessionStore()
    store.update({"_auth_user_id": str(user.pk), "_auth_user_backend": backend,
                  "_auth_user_hash": user.get_session_auth_hash()})
    store.create()
    return store.session_key


def test_a_session_signed_in_by_djangos_backend_is_kept_by_the_new_one_and_back():
    user = UserFactory(username="signed-in-before")
    key = _session(user, migration.OLD)
    client = Client()
    client.cookies["sessionid"] = key
    assert client.get("/accounts/login/").wsgi_request.user.is_anonymous  # the old path is no longer configured

    editor = SimpleNamespace(connection=connection)
    migration.forwards(apps, editor)
    assert SessionStore(session_key=key).load()["_auth_user_backend"] == migration.NEW
    assert client.get("/accounts/login/").wsgi_request.user.pk == user.pk  # still signed in

    other = _session(UserFactory(), "some.other.Backend")
    migration.backwards(apps, editor)
    assert SessionStore(session_key=key).load()["_auth_user_backend"] == migration.OLD
    assert SessionStore(session_key=other).load()["_auth_user_backend"] == "some.other.Backend"
