"""A lender administrator in the browser: adds a credit officer, who signs in and enrols an authenticator app,
then sets the bank's own factoring tiers (a bad matrix refused first), in English and in Chinese."""

from decimal import Decimal

import pytest

from scf.parties.models import StaffGroup, User
from scf.parties.staff import administered_lender
from workflows.approval.models import ApprovalTier
from workflows.approval.services import approvers_required

from .test_factoring_walk import _expect, _nav

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Tide-Lantern-4821"


def _tier(page, number: int, amount: str, *groups: str) -> None:
    row = page.locator(f"#tier-{number}")
    row.locator("input[name$=up_to_amount]").fill(amount)
    for name, group in zip(("first", "second", "third"), [*groups, "", "", ""]):
        row.locator(f"select[name$={name}]").select_option(group)


def test_the_administrator_adds_a_staff_member_and_sets_the_banks_matrix(today, login, shoot):
    expect = _expect()
    admin = login("lender_admin")
    _nav(admin, "Staff and groups")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Staff and groups")
    expect(admin.locator("#staff-officer")).to_contain_text("Credit officer")
    expect(admin.locator("#staff-lender_admin")).to_contain_text("Enrolled")
    shoot(admin, "staff-list")

    admin.get_by_role("link", name="Add a staff member").click()
    admin.get_by_label("Username").fill("officer3")
    admin.get_by_label("Given name").fill("Min")
    admin.get_by_label("Family name").fill("Sun")
    admin.get_by_label("Email").fill("sun.min@demo-bank.example")
    admin.get_by_label("Credit officer").check()
    admin.locator("input[name=password]").fill(NEW_PASSWORD)
    admin.locator("input[name=password_again]").fill(NEW_PASSWORD + "x")
    admin.get_by_role("button", name="Add to the staff").click()
    expect(admin.locator(".errorlist")).to_contain_text("The two passwords differ.")
    assert not User.objects.filter(username="officer3").exists()
    shoot(admin, "passwords-differ")
    admin.locator("input[name=password]").fill(NEW_PASSWORD)
    admin.locator("input[name=password_again]").fill(NEW_PASSWORD)
    admin.get_by_role("button", name="Add to the staff").click()
    expect(admin.locator(".messages")).to_contain_text("Min Sun joined the staff.")
    row = admin.locator("#staff-officer3")
    expect(row).to_contain_text("sun.min@demo-bank.example")
    expect(row).to_contain_text("Not enrolled")
    shoot(admin, "staff-added")
    assert User.objects.get(username="officer3").staff_groups() == {StaffGroup.CREDIT_OFFICER}

    # Her page: she is given the risk manager's group too.
    row.get_by_role("link", name="Min Sun").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Min Sun")
    admin.get_by_label("Risk manager").check()
    admin.get_by_role("button", name="Save the groups").click()
    expect(admin.locator(".messages")).to_contain_text("The groups of Min Sun are saved.")
    expect(admin.get_by_role("button", name="Deactivate")).to_be_visible()
    expect(admin.get_by_role("button", name="Reset the authenticator app")).to_have_count(0)  # none enrolled yet
    shoot(admin, "staff-member")
    assert User.objects.get(username="officer3").staff_groups() == {StaffGroup.CREDIT_OFFICER,
                                                                    StaffGroup.RISK_MANAGER}

    # The approval matrix, in Chinese: the platform default is in force; the bank sets its own factoring tiers.
    with admin.expect_navigation():
        admin.locator("select[name=language]").select_option("zh-hans")
    admin.get_by_role("navigation").get_by_role("link", name="审批权限矩阵", exact=True).click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("审批权限矩阵")
    factoring = admin.locator("#matrix-factoring")
    expect(factoring).to_contain_text("平台默认")
    shoot(admin, "zh-matrix-default")
    factoring.get_by_role("link", name="设置本行档位").click()
    _tier(admin, 1, "500000", StaffGroup.CREDIT_OFFICER)
    _tier(admin, 2, "300000", StaffGroup.CREDIT_OFFICER, StaffGroup.RISK_MANAGER)
    _tier(admin, 3, "", StaffGroup.CREDIT_OFFICER, StaffGroup.RISK_MANAGER, StaffGroup.CREDIT_COMMITTEE)
    admin.get_by_role("button", name="保存档位").click()
    expect(admin.locator(".errorlist")).to_contain_text("各档金额必须逐档递增。")
    assert not ApprovalTier.objects.filter(lender__isnull=False).exists()
    shoot(admin, "zh-matrix-refused")
    _tier(admin, 2, "5000000", StaffGroup.CREDIT_OFFICER, StaffGroup.RISK_MANAGER)
    admin.get_by_role("button", name="保存档位").click()
    expect(admin.locator(".messages")).to_contain_text("保理的审批权限矩阵已保存")
    factoring = admin.locator("#matrix-factoring")
    expect(factoring).to_contain_text("本行对该产品的档位")
    expect(factoring).to_contain_text("500,000.00")
    expect(factoring.get_by_role("button", name="恢复平台默认")).to_be_visible()
    shoot(admin, "zh-matrix-own")
    lender = administered_lender(User.objects.get(username="lender_admin"))
    assert approvers_required(product="factoring", amount=Decimal("800000.00"), lender=lender) == [
        StaffGroup.CREDIT_OFFICER, StaffGroup.RISK_MANAGER]
