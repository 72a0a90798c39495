"""A person's permissions, read in one statement (scf.parties.backends.ModelBackendOneRead), answer as Django's."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _fresh(user):
    return type(user).objects.get(pk=user.pk)  # no permissions kept from an earlier question


def test_permissions_of_the_person_and_of_their_groups_are_read_in_one_statement():
    disburse = Permission.objects.get(codename="disburse")
    receipts = Permission.objects.get(codename="record_receipts")
    group = Group.objects.create(name="payments")
    group.permissions.add(receipts)
    user = UserFactory()
    user.user_permissions.add(disburse)
    user.groups.add(group)
    user = _fresh(user)
    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm("inbox.disburse") and user.has_perm("inbox.record_receipts")
        assert not user.has_perm("inbox.write_off")
    assert len(queries) == 1
    assert user.get_all_permissions() == ModelBackend().get_all_permissions(_fresh(user)) == {
        "inbox.disburse", "inbox.record_receipts"}


def test_a_person_without_permissions_an_inactive_one_and_a_superuser_answer_as_django():
    nobody = UserFactory()
    assert _fresh(nobody).get_all_permissions() == set()
    inactive = UserFactory(is_active=False)
    inactive.user_permissions.add(Permission.objects.get(codename="disburse"))
    assert not _fresh(inactive).has_perm("inbox.disburse")
    root = UserFactory(is_superuser=True)
    assert _fresh(root).get_all_permissions() == ModelBackend().get_all_permissions(_fresh(root))
    assert len(_fresh(root).get_all_permissions()) == Permission.objects.count()
    # A permission on one object is not this backend's business, as it is not Django's.
    assert _fresh(root).get_all_permissions(obj=nobody) == set()


def test_signing_in_uses_the_backend_and_keeps_the_session():
    user = UserFactory(username="backend-check")
    user.set_password("pw-Secret-123")
    user.save()
    client = Client()
    response = client.post("/accounts/login/", {"username": "backend-check", "password": "pw-Secret-123"})
    assert response.status_code == 302
    assert client.session["_auth_user_backend"] == "scf.parties.backends.ModelBackendOneRead"
    assert client.get("/accounts/login/").wsgi_request.user.pk == user.pk


def test_a_persons_staff_groups_and_permissions_are_read_together_whichever_is_asked_first():
    from scf.parties.models import StaffGroup

    operations = Group.objects.get(name=StaffGroup.OPERATIONS)
    user = UserFactory()
    user.groups.add(operations, Group.objects.create(name="not-a-staff-group"))
    user.user_permissions.add(Permission.objects.get(codename="disburse"))
    expected = ModelBackend().get_all_permissions(_fresh(user))
    for first in ("groups", "permissions"):
        fresh = _fresh(user)
        with CaptureQueriesContext(connection) as queries:
            if first == "groups":
                assert fresh.staff_groups() == {StaffGroup.OPERATIONS}
            assert fresh.get_all_permissions() == expected and "inbox.disburse" in expected
            assert fresh.staff_groups() == {StaffGroup.OPERATIONS}
        assert len(queries) == 1, first
    inactive = _fresh(UserFactory(is_active=False))
    inactive.groups.add(operations)
    assert inactive.staff_groups() == {StaffGroup.OPERATIONS} and inactive.get_all_permissions() == set()
