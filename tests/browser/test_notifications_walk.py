"""A new task rings the bell: core1 sees the count grow when supplier1 asks for financing, and opens the task from it."""

from __future__ import annotations

import re

import pytest

from .test_factoring_walk import REFERENCE, _expect, _register_and_request, _unfreeze_supplier1

pytestmark = pytest.mark.django_db(transaction=True)


def _unread(page) -> int:
    return int(page.locator("header a.bell").get_attribute("data-unread"))


def test_a_new_task_rings_the_bell_and_opens_from_it(today, login, shoot):
    expect = _expect()
    _unfreeze_supplier1(login, shoot)
    core = login("core1")
    before = _unread(core)

    supplier = login("supplier1")
    _register_and_request(supplier, shoot, invoice="INV-BELL-0001", face="300000.00", today=today)
    supplier.get_by_role("button", name="Apply").click()
    reference = REFERENCE.search(supplier.get_by_role("heading", level=1).inner_text()).group()

    core.reload()
    assert _unread(core) == before + 1
    expect(core.locator("header a.bell .bell-count")).to_have_text(str(before + 1))
    shoot(core, "bell")
    core.locator("header a.bell").click()
    expect(core.get_by_role("heading", level=1)).to_have_text("Notifications")
    row = core.locator("table.notifications tbody tr").filter(has_text=reference)
    expect(row).to_have_class(re.compile("unread"))
    shoot(core, "notifications")
    row.get_by_role("link", name="New task: Confirm invoices").click()
    expect(core.get_by_role("heading", level=1)).to_contain_text("Confirm invoices")
    expect(core.get_by_role("heading", level=1)).to_contain_text(reference)
    assert _unread(core) == before
    shoot(core, "task-opened")
