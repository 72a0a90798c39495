"""Settlement accounts in the browser: a supplier adds one, operations verify it, and the person who entered
an account cannot verify it; once in English and once in Chinese."""

import re

import pytest

from scf.parties.demo import ORGS
from scf.parties.models import SettlementAccount
from tests.second_factor import fill_code

from .test_factoring_walk import _expect, _nav

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = {org.key: org.legal_name for org in ORGS}


def _add_account(page, organization: str | None, bank: str, branch: str, name: str, number: str,
                 currency: str = "CNY") -> None:
    form = page.locator("form.stack")
    if organization is not None:
        form.locator("select[name=organization]").select_option(label=organization)
    form.locator("input[name=bank_name]").fill(bank)
    form.locator("input[name=branch]").fill(branch)
    form.locator("input[name=account_name]").fill(name)
    form.locator("input[name=account_number]").fill(number)
    form.locator("select[name=currency]").select_option(currency)
    form.locator("button[type=submit]").click()


def _nav_to(page, section: str) -> None:
    page.locator("nav.mainnav").get_by_role("link", name=section, exact=True).click()


def _chinese(page) -> None:
    expect = _expect()
    with page.expect_navigation():
        page.locator("select[name=language]").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")


def test_a_supplier_adds_an_account_operations_verify_it_and_the_enterer_cannot(today, login, shoot):
    expect = _expect()
    supplier = login("supplier3")
    _nav(supplier, "Settlement accounts")
    expect(supplier.get_by_role("heading", level=1)).to_have_text("Settlement accounts")
    supplier.get_by_role("link", name="Add an account").click()
    # A number too short is refused with the reason, and nothing is saved.
    _add_account(supplier, None, "Bank of China", "Wuxi Xinwu Sub-branch", "Wuxi Hengtong Electronics Co., Ltd.",
                 "1234 56", currency="USD")
    expect(supplier.locator(".errorlist")).to_contain_text("An account number has 8 to 34 characters")
    shoot(supplier, "number-refused")
    assert not SettlementAccount.objects.filter(currency="USD").exists()
    supplier.locator("input[name=account_number]").fill("5245 7812 3006 8840")
    supplier.locator("form.stack button[type=submit]").click()
    expect(supplier.locator(".messages")).to_contain_text(
        "Account 5245 7812 3006 8840 added: the lender's operations verify it before money is paid into it.")
    row = supplier.locator("#accounts tbody tr").filter(has_text="5245 7812 3006 8840")
    expect(row).to_contain_text("Pending verification")
    shoot(supplier, "added-pending")

    ops = login("ops")
    _nav(ops, "Settlement accounts")
    pending = ops.locator("#pending tbody tr").filter(has_text="5245 7812 3006 8840")
    expect(pending).to_contain_text(NAMES["supplier3"])
    shoot(ops, "queue")
    fill_code(pending, "ops")
    pending.get_by_role("button", name="Verify").click()
    expect(ops.locator(".messages")).to_contain_text(
        f"Account 5245 7812 3006 8840 of {NAMES['supplier3']} verified: money may now be paid into it.")
    account = SettlementAccount.objects.get(currency="USD")
    assert (account.status, account.verified_by.username, account.entered_by.username) == (
        "verified", "ops", "supplier3")

    # Four eyes: ops enters a new collection account of the lender, and cannot verify it.
    ops.get_by_role("link", name="Add an account").click()
    _add_account(ops, "海川银行股份有限公司", "海川银行股份有限公司", "上海分行营业部", "海川银行股份有限公司美元回款专户",
                 "3101 0000 8866 2026 840", currency="USD")
    own = ops.locator("#pending tbody tr").filter(has_text="3101 0000 8866 2026 840")
    expect(own).to_contain_text("You entered or last changed this account")
    fill_code(own, "ops")
    own.get_by_role("button", name="Verify").click()
    expect(ops.locator(".messages")).to_contain_text(
        "You entered or last changed this account: another person of the lender's operations verifies it.")
    shoot(ops, "four-eyes-refused")
    assert SettlementAccount.objects.get(account_number="3101000088662026840").status == "pending"

    supplier.reload()
    expect(supplier.locator("#accounts tbody tr").filter(has_text="5245 7812 3006 8840")).to_contain_text("Verified")
    shoot(supplier, "verified")


def test_in_chinese_a_changed_account_waits_for_verification_and_the_enterer_is_refused(today, login, shoot):
    expect = _expect()
    supplier = login("supplier2")
    _chinese(supplier)
    _nav_to(supplier, "结算账户")
    row = supplier.locator("#accounts tbody tr").filter(has_text="3305 0110 7401 0000 0288")
    expect(row).to_contain_text("已核验")
    row.get_by_role("link", name="修改").click()
    expect(supplier.locator("main")).to_contain_text("账户须重新核验")
    supplier.locator("input[name=branch]").fill("宁波分行营业部")
    supplier.locator("form.stack button[type=submit]").click()
    expect(supplier.locator(".messages")).to_contain_text(
        "账户 3305 0110 7401 0000 0288 已修改：在贷款机构运营人员重新核验之前，不会向其付款。")
    expect(supplier.locator("#accounts tbody tr").filter(has_text="3305 0110 7401 0000 0288")).to_contain_text(
        "待核验")
    shoot(supplier, "changed-pending")

    ops = login("ops")
    _chinese(ops)
    _nav_to(ops, "结算账户")
    # The demo's supplier4 account and supplier2's changed one wait for operations.
    queue = ops.locator("#pending tbody tr")
    expect(queue.filter(has_text=NAMES["supplier4"])).to_have_count(1)
    expect(queue.filter(has_text="3305 0110 7401 0000 0288")).to_contain_text("宁波分行营业部")
    shoot(ops, "queue-zh")
    fill_code(queue.filter(has_text="3305 0110 7401 0000 0288"), "ops")
    queue.filter(has_text="3305 0110 7401 0000 0288").get_by_role("button", name="核验").click()
    expect(ops.locator(".messages")).to_contain_text(
        f"{NAMES['supplier2']} 的账户 3305 0110 7401 0000 0288 已核验：现在可以向其付款。")

    # Reject supplier4's with a reason, which the client then reads.
    row = ops.locator("#pending tbody tr").filter(has_text=NAMES["supplier4"])
    row.locator("summary").click()
    row.locator("textarea[name=note]").fill("开户许可证与户名不一致")
    row.locator("details button[type=submit]").click()
    expect(ops.locator(".messages")).to_contain_text("已驳回；客户可以看到驳回原因")

    ops.get_by_role("link", name="添加账户").click()
    _add_account(ops, "海川银行股份有限公司", "海川银行股份有限公司", "上海分行营业部", "海川银行股份有限公司港币回款专户",
                 "3101 0000 8866 2026 344", currency="HKD")
    own = ops.locator("#pending tbody tr").filter(has_text="3101 0000 8866 2026 344")
    fill_code(own, "ops")
    own.get_by_role("button", name="核验").click()
    expect(ops.locator(".messages")).to_contain_text("该账户由您录入或最近修改：须由贷款机构运营部门的另一人核验。")
    expect(ops.locator(".messages")).not_to_contain_text(re.compile(r"%\(|\{\{"))
    shoot(ops, "four-eyes-refused-zh")

    statuses = dict(SettlementAccount.objects.filter(organization__legal_name__in=[
        NAMES["supplier2"], NAMES["supplier4"]]).values_list("organization__legal_name", "status"))
    assert statuses == {NAMES["supplier2"]: "verified", NAMES["supplier4"]: "rejected"}
    assert SettlementAccount.objects.get(account_number="3101000088662026344").status == "pending"

    client4 = login("supplier4")
    _chinese(client4)
    _nav_to(client4, "结算账户")
    expect(client4.locator("#accounts tbody tr")).to_contain_text("开户许可证与户名不一致")
    shoot(client4, "rejected-reason-zh")
