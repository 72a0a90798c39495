"""A lender's staff managed by its administrators (scf/parties/staff.py): each refusal, and the audit trail."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse

from scf.audit.models import AuditRecord
from scf.core.exceptions import ActionNotPermitted
from scf.parties import staff
from scf.parties.models import Membership, RecoveryCode, StaffGroup, User
from scf.parties.second_factor import recovery_codes_issue
from tests.factories import LenderFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.second_factor import enrolled_device

OFFICER, RISK, ADMIN = StaffGroup.CREDIT_OFFICER, StaffGroup.RISK_MANAGER, StaffGroup.ADMIN
PASSWORD = "Kp7-rivers-Quartz"


def _staff(lender, username, *groups, active=True):
    user = UserFactory(username=username, first_name=username.title(), is_active=active)
    user.groups.add(*Group.objects.filter(name__in=groups))
    MembershipFactory(user=user, organization=lender, role=Membership.Role.OPERATOR)
    return user


@pytest.fixture
def bank(db):
    lender = LenderFactory(legal_name="甲银行")
    return {"lender": lender, "admin": _staff(lender, "admin-a", ADMIN), "officer": _staff(lender, "officer-a", OFFICER)}


@pytest.fixture
def other_bank(db):
    lender = LenderFactory(legal_name="乙银行")
    return {"lender": lender, "admin": _staff(lender, "admin-b", ADMIN), "officer": _staff(lender, "officer-b", OFFICER)}


def _create(bank, **overrides):
    values = dict(lender=bank["lender"], username="new-officer", first_name="Na", last_name="Li",
                  email="li.na@bank.example", groups=[OFFICER], password=PASSWORD, acting_user=bank["admin"])
    values.update(overrides)
    return staff.staff_member_create(**values)


def test_the_staff_are_the_lenders_members_only(bank, other_bank):
    client_org = OrganizationFactory()
    client_user = UserFactory(username="client-operator")
    MembershipFactory(user=client_user, organization=client_org, role=Membership.Role.OPERATOR)
    # Someone in both the lender and a client, or in two lenders, is not managed from one side; nor a superuser.
    both = _staff(bank["lender"], "both", OFFICER)
    MembershipFactory(user=both, organization=client_org, role=Membership.Role.OPERATOR)
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    MembershipFactory(user=root, organization=bank["lender"], role=Membership.Role.OPERATOR)

    assert [u.username for u in staff.staff_list(lender=bank["lender"])] == ["admin-a", "officer-a"]
    for outsider in (other_bank["officer"], other_bank["admin"], client_user, both, root):
        with pytest.raises(Http404):
            staff.staff_member_get(lender=bank["lender"], pk=outsider.pk)
    assert staff.administered_lender(bank["admin"]) == bank["lender"]
    assert staff.administered_lender(bank["officer"]) is None
    assert staff.administered_lender(root) is None


def test_an_administrator_adds_a_staff_member_who_can_sign_in(bank):
    member = _create(bank, groups=[RISK, OFFICER])
    member = User.objects.get(pk=member.pk)
    assert member.check_password(PASSWORD) and member.is_active
    assert member.staff_groups() == {OFFICER, RISK}
    assert Membership.objects.filter(user=member, organization=bank["lender"],
                                     role=Membership.Role.OPERATOR).count() == 1
    record = AuditRecord.objects.get(action="parties.staff.create")
    assert record.actor == bank["admin"] and record.object_id == str(member.pk)
    assert "groups=credit_officer,risk_manager" in record.note


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"username": "officer-a"}, "username", "This username is taken; choose another."),
    ({"username": "OFFICER-A"}, "username", "This username is taken; choose another."),
    ({"groups": []}, "groups", "Choose at least one staff group."),
    ({"groups": ["janitor"]}, "groups", "Choose among the staff groups."),
    ({"password": "short"}, "password", "This password is too short."),
    ({"password": "password123"}, "password", "This password is too common."),
    ({"email": "not-an-email"}, "email", "Enter a valid email address."),
])
def test_a_bad_new_staff_member_is_refused_and_nothing_is_saved(bank, overrides, field, message):
    users, audits = User.objects.count(), AuditRecord.objects.count()
    with pytest.raises(ValidationError) as refused:
        _create(bank, **overrides)
    assert any(m.startswith(message) for m in refused.value.message_dict[field]), refused.value.message_dict
    assert (User.objects.count(), AuditRecord.objects.count()) == (users, audits)


def test_only_an_administrator_of_the_lender_manages_its_staff(bank, other_bank):
    for outsider in (bank["officer"], other_bank["admin"]):
        with pytest.raises(ActionNotPermitted):
            _create(bank, acting_user=outsider)
        with pytest.raises(ActionNotPermitted):
            staff.staff_member_deactivate(lender=bank["lender"], member=bank["officer"], acting_user=outsider)
    # Another lender's administrator acting "for" their own lender still does not reach this lender's staff.
    with pytest.raises(Http404):
        staff.staff_member_set_groups(lender=other_bank["lender"], member=bank["officer"], groups=[RISK],
                                      acting_user=other_bank["admin"])
    with pytest.raises(Http404):
        staff.staff_member_second_factor_reset(lender=other_bank["lender"], member=bank["officer"],
                                               acting_user=other_bank["admin"])
    assert User.objects.get(pk=bank["officer"].pk).staff_groups() == {OFFICER}


def test_groups_change_and_are_audited(bank):
    staff.staff_member_set_groups(lender=bank["lender"], member=bank["officer"], groups=[RISK, OFFICER],
                                  acting_user=bank["admin"])
    assert User.objects.get(pk=bank["officer"].pk).staff_groups() == {OFFICER, RISK}
    assert AuditRecord.objects.get(action="parties.staff.groups").note == (
        "credit_officer -> credit_officer,risk_manager")


def test_an_administrator_never_takes_away_their_own_administration(bank):
    _staff(bank["lender"], "admin-2", ADMIN)
    with pytest.raises(staff.StaffChangeRefused, match="your own administrator group"):
        staff.staff_member_set_groups(lender=bank["lender"], member=bank["admin"], groups=[OFFICER],
                                      acting_user=bank["admin"])
    with pytest.raises(staff.StaffChangeRefused, match="You cannot deactivate yourself"):
        staff.staff_member_deactivate(lender=bank["lender"], member=bank["admin"], acting_user=bank["admin"])
    admin = User.objects.get(pk=bank["admin"].pk)
    assert admin.is_active and admin.staff_groups() == {ADMIN}
    # Keeping the administrator group while adding another is fine.
    staff.staff_member_set_groups(lender=bank["lender"], member=admin, groups=[ADMIN, RISK], acting_user=admin)


@pytest.mark.parametrize("second_move", ["remove_admin_group", "deactivate"])
def test_two_administrators_acting_on_each_other_leave_one_active_administrator(bank, second_move):
    """Admin A deactivates admin B while B, still signed in on a page loaded before, acts on A: B's change is
    refused, since B's standing is checked again once the lender is locked, and B no longer administers it."""
    admin_b = _staff(bank["lender"], "admin-2", ADMIN)
    stale_b = User.objects.get(pk=admin_b.pk)  # B's request, loaded while B was active
    staff.staff_member_deactivate(lender=bank["lender"], member=admin_b, acting_user=bank["admin"])
    with pytest.raises(ActionNotPermitted, match="Only an administrator"):
        if second_move == "deactivate":
            staff.staff_member_deactivate(lender=bank["lender"], member=bank["admin"], acting_user=stale_b)
        else:
            staff.staff_member_set_groups(lender=bank["lender"], member=bank["admin"], groups=[RISK],
                                          acting_user=stale_b)
    admin = User.objects.get(pk=bank["admin"].pk)
    assert admin.is_active and admin.staff_groups() == {ADMIN}


def _signs_in(client) -> bool:
    response = client.post(reverse("login"), {"username": "new-officer", "password": PASSWORD})
    return response.status_code == 302


def test_deactivating_stops_sign_in_and_reactivating_restores_it(bank, client):
    member = _create(bank)
    assert _signs_in(client)
    assert client.get(reverse("portal:dashboard")).status_code == 200
    staff.staff_member_deactivate(lender=bank["lender"], member=member, acting_user=bank["admin"])
    # The open session ends with it, and signing in again is refused.
    assert client.get(reverse("portal:dashboard")).status_code == 302
    assert not _signs_in(client)
    staff.staff_member_reactivate(lender=bank["lender"], member=member, acting_user=bank["admin"])
    assert _signs_in(client)
    assert [r.action for r in AuditRecord.objects.filter(object_id=str(member.pk)).order_by("seq")] == [
        "parties.staff.create", "parties.staff.deactivate", "parties.staff.reactivate"]


def test_resetting_the_second_factor_removes_the_app_and_the_recovery_codes(bank):
    enrolled_device(bank["officer"])
    recovery_codes_issue(user=bank["officer"])
    assert staff.staff_member_second_factor_reset(lender=bank["lender"], member=bank["officer"],
                                                  acting_user=bank["admin"]) == (1, 10)
    assert not RecoveryCode.objects.filter(user=bank["officer"]).exists()
    record = AuditRecord.objects.get(action="parties.second_factor.reset")
    assert record.actor == bank["admin"] and record.object_id == str(bank["officer"].pk)
    with pytest.raises(staff.StaffChangeRefused, match="has no authenticator app"):
        staff.staff_member_second_factor_reset(lender=bank["lender"], member=bank["officer"],
                                               acting_user=bank["admin"])
    enrolled_device(bank["admin"])
    with pytest.raises(staff.StaffChangeRefused, match="your own second factor"):
        staff.staff_member_second_factor_reset(lender=bank["lender"], member=bank["admin"], acting_user=bank["admin"])
