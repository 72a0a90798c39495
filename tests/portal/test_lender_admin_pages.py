"""The lender administrator's pages: staff and groups, the approval matrix, in English and Chinese."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scf.audit.models import AuditRecord
from scf.parties.models import Membership, StaffGroup, User
from tests.factories import LenderFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.second_factor import enrolled_device, force_login_verified
from workflows.approval.models import ApprovalTier
from workflows.approval.services import approval_matrix_ensure_default, approvers_required

OFFICER, RISK, COMMITTEE, ADMIN = (StaffGroup.CREDIT_OFFICER, StaffGroup.RISK_MANAGER, StaffGroup.CREDIT_COMMITTEE,
                                   StaffGroup.ADMIN)
PASSWORD = "Kp7-rivers-Quartz"


def _staff(lender, username, *groups, **fields):
    user = UserFactory(username=username, **fields)
    user.groups.add(*Group.objects.filter(name__in=groups))
    MembershipFactory(user=user, organization=lender, role=Membership.Role.OPERATOR)
    return user


def _client(user, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    device = user.totpdevice_set.filter(confirmed=True).first()
    if device is not None:
        force_login_verified(client, user, device)
    else:
        client.force_login(user)
    return client


@pytest.fixture
def bank(db):
    approval_matrix_ensure_default()
    lender = LenderFactory(legal_name="甲银行", legal_name_en="Bank A")
    admin = _staff(lender, "admin-a", ADMIN, first_name="Lei", last_name="Huang")
    officer = _staff(lender, "officer-a", OFFICER, RISK, first_name="Na", last_name="Li", email="li.na@a.example")
    officer.last_login = timezone.make_aware(timezone.datetime(2026, 11, 30, 9, 15))
    officer.save(update_fields=["last_login"])
    enrolled_device(officer)
    return {"lender": lender, "admin": admin, "officer": officer}


@pytest.fixture
def other_bank(db):
    lender = LenderFactory(legal_name="乙银行", legal_name_en="Bank B")
    return {"lender": lender, "admin": _staff(lender, "admin-b", ADMIN),
            "officer": _staff(lender, "officer-b", OFFICER, email="canary-b@b.example")}


def _object_urls(member) -> list[str]:
    return [reverse(name, kwargs={"staff_pk": member.pk}) for name in (
        "portal:staff-detail", "portal:staff-deactivate", "portal:staff-reactivate",
        "portal:staff-second-factor-reset")]


PAGE_URLS = ["portal:staff-list", "portal:staff-create", "portal:approval-matrix"]


# --- staff ---------------------------------------------------------------------------------------------------

def test_the_staff_page_lists_the_lenders_staff_only(bank, other_bank):
    client_org = OrganizationFactory(legal_name="客户有限公司")
    client_user = UserFactory(username="client-user")
    MembershipFactory(user=client_user, organization=client_org, role=Membership.Role.OPERATOR)
    User.objects.create_superuser("root-user", "root@example.com", PASSWORD)
    page = _client(bank["admin"]).get(reverse("portal:staff-list")).content.decode()
    assert "<h1>Staff and groups</h1>" in page
    row = page[page.index('id="staff-officer-a"'):]
    row = row[:row.index("</tr>")]
    for text in ("Na Li", "officer-a", "li.na@a.example", "Credit officer, Risk manager", "Enrolled", "Active",
                 "2026-11-30 09:15"):
        assert text in row, text
    admin_row = page[page.index('id="staff-admin-a"'):]
    assert "Not enrolled" in admin_row[:admin_row.index("</tr>")]
    for stranger in ("officer-b", "admin-b", "canary-b@b.example", "client-user", "root-user"):
        assert stranger not in page


def test_the_staff_page_in_chinese(bank):
    page = _client(bank["admin"], "zh-hans").get(reverse("portal:staff-list")).content.decode()
    for text in ("<h1>员工与权限</h1>", "新增员工", "信贷专员、风险经理", "已绑定", "未绑定", "最近登录", "身份验证器",
                 "审批权限矩阵"):
        assert text in page, text


def test_an_administrator_adds_a_staff_member_on_the_page(bank):
    client = _client(bank["admin"])
    form = {"username": "new-risk", "first_name": "Qiang", "last_name": "Zhang", "email": "zq@a.example",
            "groups": [RISK], "password": PASSWORD, "password_again": PASSWORD}
    response = client.post(reverse("portal:staff-create"), form)
    assert response.status_code == 302 and response["Location"] == reverse("portal:staff-list")
    member = User.objects.get(username="new-risk")
    assert member.staff_groups() == {RISK} and member.check_password(PASSWORD)
    page = client.get(reverse("portal:staff-list")).content.decode()
    assert "Qiang Zhang joined the staff. Hand over the initial password in person" in page
    assert 'id="staff-new-risk"' in page


@pytest.mark.parametrize(("changes", "language", "message"), [
    ({"password_again": "Kp7-rivers-Quartz!"}, "en", "The two passwords differ."),
    ({"password": "short", "password_again": "short"}, "en", "This password is too short."),
    ({"username": "officer-a"}, "en", "This username is taken; choose another."),
    ({"groups": []}, "en", "Choose at least one staff group."),
    ({"groups": []}, "zh-hans", "请至少选择一个员工岗位。"),
    ({"password_again": "x"}, "zh-hans", "两次输入的密码不一致。"),
])
def test_a_bad_new_staff_member_is_refused_on_the_page(bank, changes, language, message):
    form = {"username": "new-risk", "first_name": "Qiang", "last_name": "Zhang", "email": "zq@a.example",
            "groups": [RISK], "password": PASSWORD, "password_again": PASSWORD, **changes}
    users = User.objects.count()
    response = _client(bank["admin"], language).post(reverse("portal:staff-create"), form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert User.objects.count() == users


def test_an_administrator_changes_groups_deactivates_reactivates_and_resets_the_second_factor(bank):
    client = _client(bank["admin"])
    officer = bank["officer"]
    detail = reverse("portal:staff-detail", kwargs={"staff_pk": officer.pk})
    page = client.get(detail).content.decode()
    assert "Deactivate" in page and "Reset the authenticator app" in page

    response = client.post(detail, {"groups": [COMMITTEE]})
    assert response.status_code == 302
    assert User.objects.get(pk=officer.pk).staff_groups() == {COMMITTEE}
    assert "The groups of Na Li are saved." in client.get(detail).content.decode()

    client.post(reverse("portal:staff-deactivate", kwargs={"staff_pk": officer.pk}))
    assert not User.objects.get(pk=officer.pk).is_active
    page = client.get(detail).content.decode()
    assert "Na Li is deactivated and can no longer sign in." in page and "Reactivate" in page
    client.post(reverse("portal:staff-reactivate", kwargs={"staff_pk": officer.pk}))
    assert User.objects.get(pk=officer.pk).is_active

    client.post(reverse("portal:staff-second-factor-reset", kwargs={"staff_pk": officer.pk}))
    assert not officer.totpdevice_set.exists()
    assert "The authenticator app of Na Li is removed" in client.get(detail).content.decode()
    assert list(AuditRecord.objects.filter(object_id=str(officer.pk), actor=bank["admin"]).order_by("seq")
                .values_list("action", flat=True)) == [
        "parties.staff.groups", "parties.staff.deactivate", "parties.staff.reactivate",
        "parties.second_factor.reset"]


def test_an_administrator_is_not_offered_to_act_on_themselves_and_is_refused_if_they_try(bank):
    client = _client(bank["admin"], "zh-hans")
    detail = reverse("portal:staff-detail", kwargs={"staff_pk": bank["admin"].pk})
    page = client.get(detail).content.decode()
    assert "停用" not in page and "重置身份验证器" not in page
    client.post(reverse("portal:staff-deactivate", kwargs={"staff_pk": bank["admin"].pk}))
    assert User.objects.get(pk=bank["admin"].pk).is_active
    assert "不能停用自己的账户，请由其他管理员操作。" in client.get(detail).content.decode()
    response = client.post(detail, {"groups": [OFFICER]})
    assert response.status_code == 400
    assert "不能取消自己的管理员岗位，请由其他管理员操作。" in response.content.decode()
    assert User.objects.get(pk=bank["admin"].pk).staff_groups() == {ADMIN}


def test_another_lenders_administrator_gets_404_on_every_staff_object(bank, other_bank):
    client = _client(other_bank["admin"])
    before = list(User.objects.filter(pk=bank["officer"].pk).values())
    for member in (bank["officer"], bank["admin"]):
        for url in _object_urls(member):
            assert client.get(url).status_code in (404, 405), url
            assert client.post(url, {"groups": [ADMIN]}).status_code == 404, url
    assert list(User.objects.filter(pk=bank["officer"].pk).values()) == before
    assert bank["officer"].totpdevice_set.exists()


def test_a_client_user_and_a_superuser_are_not_staff_objects(bank):
    client_org = OrganizationFactory()
    client_user = UserFactory(username="client-user")
    MembershipFactory(user=client_user, organization=client_org, role=Membership.Role.ADMIN)
    root = User.objects.create_superuser("root-user", "root@example.com", PASSWORD)
    client = _client(bank["admin"])
    for user in (client_user, root):
        for url in _object_urls(user):
            assert client.post(url, {"groups": [OFFICER]}).status_code == 404, url
    # And a client's own administrator reaches none of the pages.
    client = _client(client_user)
    for name in PAGE_URLS:
        assert client.get(reverse(name)).status_code == 403, name
    for url in _object_urls(bank["officer"]):
        assert client.post(url).status_code == 404, url


def test_staff_who_are_not_administrators_get_403(bank):
    client = _client(bank["officer"])
    for name in PAGE_URLS:
        assert client.get(reverse(name)).status_code == 403, name
    assert client.get(reverse("portal:approval-matrix-edit", kwargs={"scope": "factoring"})).status_code == 403
    assert client.post(reverse("portal:approval-matrix-reset", kwargs={"scope": "factoring"})).status_code == 403
    for url in _object_urls(bank["admin"]):
        assert client.post(url).status_code == 403, url
    assert User.objects.get(pk=bank["admin"].pk).is_active


# --- approval matrix -----------------------------------------------------------------------------------------

def _tier_form(rows):
    data = {"tier-TOTAL_FORMS": str(len(rows)), "tier-INITIAL_FORMS": "0", "tier-MIN_NUM_FORMS": "0",
            "tier-MAX_NUM_FORMS": "8"}
    for i, (amount, groups) in enumerate(rows):
        data[f"tier-{i}-up_to_amount"] = amount
        for name, group in zip(("first", "second", "third"), [*groups, "", "", ""]):
            data[f"tier-{i}-{name}"] = group
    return data


def test_the_matrix_page_shows_the_default_in_force_for_each_product(bank):
    page = _client(bank["admin"]).get(reverse("portal:approval-matrix")).content.decode()
    assert "<h1>Approval matrix</h1>" in page
    for scope in ("all", "factoring", "reverse_factoring", "pledge", "confirming"):
        assert f'id="matrix-{scope}"' in page
    factoring = page[page.index('id="matrix-factoring"'):page.index('id="matrix-reverse_factoring"')]
    for text in ("The platform default", "1,000,000.00", "10,000,000.00", "Any larger amount",
                 "Credit officer → Risk manager → Credit committee", "Set your own tiers"):
        assert text in factoring, text
    assert "Reset to the platform default" not in factoring


def test_an_administrator_sets_the_factoring_tiers_and_resets_them(bank, other_bank):
    client = _client(bank["admin"])
    url = reverse("portal:approval-matrix-edit", kwargs={"scope": "factoring"})
    form = client.get(url).content.decode()
    assert 'value="1000000.00"' in form  # the rows start from the matrix in force
    response = client.post(url, _tier_form([("500000", [OFFICER]), ("5000000.00", [OFFICER, RISK]),
                                            ("", [OFFICER, RISK, COMMITTEE]), ("", [])]))
    assert response.status_code == 302, response.content.decode()
    assert approvers_required(product="factoring", amount=Decimal("800000.00"), lender=bank["lender"]) == [
        OFFICER, RISK]
    assert approvers_required(product="factoring", amount=Decimal("800000.00"), lender=other_bank["lender"]) == [
        OFFICER]
    page = client.get(reverse("portal:approval-matrix")).content.decode()
    assert "The approval matrix for Factoring is saved: cases opened from now on follow it" in page
    factoring = page[page.index('id="matrix-factoring"'):page.index('id="matrix-reverse_factoring"')]
    assert "Your bank&#x27;s own tiers for this product" in factoring and "500,000.00" in factoring
    assert "Reset to the platform default" in factoring

    # Another lender's administrator posts the same addresses: only their own matrix changes.
    other = _client(other_bank["admin"])
    other.post(url, _tier_form([("", [COMMITTEE])]))
    other.post(reverse("portal:approval-matrix-reset", kwargs={"scope": "factoring"}))
    assert approvers_required(product="factoring", amount=Decimal("800000.00"), lender=bank["lender"]) == [
        OFFICER, RISK]
    assert ApprovalTier.objects.filter(lender=bank["lender"]).count() == 3

    client.post(reverse("portal:approval-matrix-reset", kwargs={"scope": "factoring"}))
    assert not ApprovalTier.objects.filter(lender=bank["lender"]).exists()
    assert "Your bank&#x27;s own tiers for Factoring are removed" in client.get(
        reverse("portal:approval-matrix")).content.decode()


@pytest.mark.parametrize(("rows", "language", "message"), [
    ([("500000", [OFFICER]), ("100000", [RISK]), ("", [COMMITTEE])], "en",
     "The amounts must increase from one tier to the next."),
    ([("500000", [OFFICER])], "en", "Leave the amount of the last tier empty"),
    ([("", [OFFICER]), ("", [RISK])], "en", "Only one tier may have no upper limit."),
    ([("", [OFFICER, OFFICER])], "en", "Tier 1: Credit officer appears twice."),
    ([("100", []), ("", [RISK])], "en", "Tier 1: choose at least one approver group."),
    ([("abc", [OFFICER]), ("", [RISK])], "en", "Enter a number."),
    ([("500000", [OFFICER]), ("100000", [RISK]), ("", [COMMITTEE])], "zh-hans", "各档金额必须逐档递增。"),
    ([("", [RISK, RISK])], "zh-hans", "第 1 档：风险经理 重复出现。"),
])
def test_a_bad_matrix_is_refused_on_the_page_and_nothing_changes(bank, rows, language, message):
    response = _client(bank["admin"], language).post(
        reverse("portal:approval-matrix-edit", kwargs={"scope": "pledge"}), _tier_form(rows))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ApprovalTier.objects.filter(lender=bank["lender"]).exists()


def test_the_matrix_pages_in_chinese(bank):
    client = _client(bank["admin"], "zh-hans")
    page = client.get(reverse("portal:approval-matrix")).content.decode()
    for text in ("<h1>审批权限矩阵</h1>", "平台默认", "更高金额", "信贷专员 → 风险经理 → 信贷审批委员会", "设置本行档位",
                 "全部产品"):
        assert text in page, text
    form = client.get(reverse("portal:approval-matrix-edit", kwargs={"scope": "all"})).content.decode()
    for text in ("金额上限（含）", "第一审批人", "第二审批人", "保存档位"):
        assert text in form, text


def test_an_unknown_product_in_the_address_is_not_found(bank):
    client = _client(bank["admin"])
    assert client.get(reverse("portal:approval-matrix-edit", kwargs={"scope": "mortgage"})).status_code == 404
    assert client.post(reverse("portal:approval-matrix-reset", kwargs={"scope": "mortgage"})).status_code == 404
