"""Maker-checker in the browser, in Chinese: ops releases the receipt that ops2 prepared in the demo.

The demo seeds one unmatched receipt, CN-TT-DEMO-7731 for CNY 12,800.00, prepared by ops2
(周敏 / Zhou Min) and waiting for a second operations user. ops2 may only withdraw it; ops
releases it, and only then does it wait in suspense.
"""

import pytest

from scf.collections.demo import BANK_REFERENCE
from scf.collections.models import Receipt
from scf.releases.models import Release
from tests.second_factor import fill_code

from .test_factoring_walk import _expect

pytestmark = pytest.mark.django_db(transaction=True)


def _chinese(page) -> None:
    page.get_by_label("Language").select_option("zh-hans")
    _expect()(page.locator("html")).to_have_attribute("lang", "zh-hans")


def test_ops_releases_in_chinese_what_ops2_prepared(today, login, shoot):
    expect = _expect()
    assert not Receipt.objects.filter(bank_reference=BANK_REFERENCE).exists()  # prepared, not posted

    preparer = login("ops2")
    _chinese(preparer)
    preparer.get_by_role("navigation").get_by_role("link", name="放行复核", exact=True).click()
    mine = preparer.locator("table.releases tbody tr").filter(has_text=BANK_REFERENCE)
    expect(mine).to_contain_text("此笔由您经办：须由另一人放行。")
    expect(mine.get_by_role("button", name="放行")).to_have_count(0)
    shoot(preparer, "ops2-sees-its-own")

    checker = login("ops")
    _chinese(checker)
    checker.get_by_role("navigation").get_by_role("link", name="放行复核", exact=True).click()
    expect(checker.get_by_role("heading", level=1)).to_have_text("放行复核")
    row = checker.locator("table.releases tbody tr").filter(has_text=BANK_REFERENCE)
    expect(row).to_contain_text("未匹配回款")
    expect(row).to_contain_text("CNY 12,800.00")
    expect(row).to_contain_text("Zhou Min")
    # A rejection needs a reason, asked for beside the button.
    expect(row.locator("input[name=comment]")).to_have_attribute("placeholder", "原因")
    shoot(checker, "ops-to-release")
    fill_code(row, "ops")  # releasing money asks for a fresh code from the authenticator app
    row.get_by_role("button", name="放行", exact=True).click()
    expect(checker.locator(".messages")).to_contain_text(f"未匹配回款 {BANK_REFERENCE} 已放行。")
    decided = checker.locator("table").last.locator("tbody tr").filter(has_text=BANK_REFERENCE)
    expect(decided).to_contain_text("已放行")
    shoot(checker, "released")

    checker.get_by_role("navigation").get_by_role("link", name="暂挂款项", exact=True).click()
    expect(checker.locator("tbody tr").filter(has_text=BANK_REFERENCE)).to_contain_text("12,800.00")
    shoot(checker, "in-suspense")
    release = Release.objects.get(reference=BANK_REFERENCE)
    assert (release.status, release.prepared_by.username, release.decided_by.username) == ("released", "ops2", "ops")
    assert Receipt.objects.get(bank_reference=BANK_REFERENCE).suspense == release.amount
