"""A working day in the portal, in English and in 简体中文: a supplier, its core enterprise (the debtor) and a credit
officer each hear of the task that lands on them, open it from the bell, act on it, filter a list, take it to
Excel and read their dashboard.

Each person chooses the language as people do: the supplier by the preference in its profile, the core enterprise
in the login page's language menu, the officer in the header's menu once signed in. The supplier asks for
financing of an invoice on core1 in the pages; core1 confirms it; the officer returns it for revision; the
supplier reads why. In Chinese the pages' headings, labels, columns and buttons must hold no English left over.
Screenshots go to one directory per language (see conftest.py).
"""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

import pytest

from scf.parties.demo import ORGS

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = {org.key: org.legal_name for org in ORGS}
REFERENCE = re.compile(r"FF-\d{4}-\d{5}")
INVOICE = "INV-DAILY-0001"
FACE = Decimal("300000.00")

WORDS = {
    "en": {
        "Factoring": "Factoring", "Receivables": "Receivables", "Request financing": "Request financing",
        "Show the quote": "Show the quote", "Apply": "Apply", "Notifications": "Notifications", "New task": "New task",
        "Confirm invoices": "Confirm invoices", "Credit review": "Credit review",
        "Revise the request": "Revise the request", "Confirmed amount": "Confirmed amount",
        "Send the answer": "Send the answer", "Return for revision": "Return for revision", "Comment": "Comment",
        "Record the decision": "Record the decision", "Returned for revision": "Returned for revision",
        "Financed": "Financed", "Draft": "Draft", "Search": "Search", "State": "State", "Filter": "Filter",
        "Export XLSX": "Export XLSX", "Welcome": "Welcome, ", "Your open tasks": "Your open tasks",
        "Reference": "Reference", "Invoice number": "Invoice number", "Face amount": "Face amount",
        "Issue date": "Issue date", "Due date": "Due date", "Advance": "Advance",
        "comment": "Please add the purchase order behind this invoice.",
    },
    "zh-hans": {
        "Factoring": "保理", "Receivables": "应收账款", "Request financing": "申请融资",
        "Show the quote": "查看融资测算", "Apply": "提交申请", "Notifications": "通知", "New task": "新任务",
        "Confirm invoices": "确认应收账款", "Credit review": "授信审查", "Revise the request": "修改融资申请",
        "Confirmed amount": "确认金额", "Send the answer": "提交答复", "Return for revision": "退回修改",
        "Comment": "审批意见", "Record the decision": "提交审批决定", "Returned for revision": "已退回修改",
        "Financed": "已融资", "Draft": "草稿", "Search": "搜索", "State": "状态", "Filter": "筛选",
        "Export XLSX": "导出 XLSX", "Welcome": "欢迎，", "Your open tasks": "您的待办任务",
        "Reference": "编号", "Invoice number": "发票号码", "Face amount": "票面金额", "Issue date": "开票日期",
        "Due date": "到期日", "Advance": "保理融资款",
        "comment": "请补充该发票对应的采购订单。",
    },
}
# Words a Chinese page may show in Latin letters: codes, currencies, file types, references, invoice numbers.
LATIN_ALLOWED = re.compile(r"^(?:[A-Z]{2,5}|[A-Z]{2,4}-\d{4}-\d{5}|INV-[\w-]+|[\d\s.,:/%+→←↑↓·—-]+|API|SCF)$")
CJK = re.compile(r"[\u3400-\u9fff]")


def _expect():
    from playwright.sync_api import expect

    return expect


def _unread(page) -> int:
    return int(page.locator("header a.bell").get_attribute("data-unread"))


def _english_left(page) -> list[str]:
    """The page's headings, labels, column headers, buttons, badges and menu entries still in English."""
    texts = page.locator(
        "nav.mainnav a, main h1, main h2, main h3, main th, main label, main button, main a.btn, main .badge, "
        "main dt, main td a, main .empty, main .messages li, main option, main summary, main caption, footer"
    ).all_inner_texts()
    left = []
    for text in texts:
        words = [w for w in re.split(r"[\s,;:()（），：]+", text) if re.search(r"[A-Za-z]{2,}", w)]
        if not CJK.search(text) and any(not LATIN_ALLOWED.match(w) for w in words):
            left.append(text.strip())
    return left


def _check_language(page, language: str) -> None:
    """The page speaks `language`; no pre-filled date input is blank (a date the browser could not read)."""
    expect = _expect()
    expect(page.locator("html")).to_have_attribute("lang", language)
    blank = page.evaluate("""() => [...document.querySelectorAll('input[type=date]')]
                                   .filter(i => i.getAttribute('value') && !i.value).map(i => i.name)""")
    assert blank == [], (page.url, blank)
    if language == "zh-hans":
        assert _english_left(page) == [], page.url


def _read_dashboard(page, words: dict, *, task: str, reference: str, language: str, staff: bool = False) -> None:
    """The home page greets the reader, lists the task waiting for them on the case, and draws its charts.

    Each chart is an SVG image with a title in the page's language and the table of its numbers beside it; the
    lender's staff see the task among their lender's open tasks by step, a client the case among its open cases.
    """
    from django.urls import reverse

    expect = _expect()
    page.goto(reverse("portal:dashboard"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(words["Welcome"])
    row = page.locator("main tr").filter(has_text=task).filter(has_text=reference)
    expect(row.get_by_role("link", name=task, exact=True)).to_be_visible()
    charts = page.locator("main svg.chart[role=img]")
    assert charts.count() >= (2 if staff else 1), charts.count()
    for i in range(charts.count()):
        chart = charts.nth(i)
        title = chart.locator(":scope > title").text_content().strip()
        assert title and (language == "en" or CJK.search(title)), title
        table = chart.get_attribute("aria-describedby")
        assert table and page.locator(f"table#{table} tbody tr").count() >= 1, (title, table)
    if staff:
        expect(page.locator("#tasks-table tbody tr").filter(has_text=task).first).to_be_visible()
    else:
        expect(page.locator("#open-cases")).to_contain_text(reference)


def _open_from_the_bell(page, words: dict, *, before: int, task: str, reference: str):
    """The bell counts one more; its list shows the new task unread; opening it reads it and shows the task."""
    expect = _expect()
    expect(page.locator("header a.bell .bell-count")).to_have_text(str(before + 1))
    assert _unread(page) == before + 1
    page.locator("header a.bell").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["Notifications"])
    row = page.locator("table.notifications tbody tr").filter(has_text=reference)
    expect(row).to_have_count(1)
    expect(row).to_have_class(re.compile(r"\bunread\b"))
    link = row.get_by_role("link")
    expect(link).to_contain_text(words["New task"])
    expect(link).to_contain_text(task)
    return row


def _export_xlsx(page, words: dict, tmp_path):
    """Download the list's XLSX export and return its header and rows, as openpyxl reads them."""
    from openpyxl import load_workbook

    with page.expect_download() as download_info:
        page.get_by_role("link", name=words["Export XLSX"]).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    sheet = load_workbook(io.BytesIO(path.read_bytes()), read_only=True).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    return header, rows


def _check_header(header: list, words: dict, language: str, *expected: str) -> None:
    for name in expected:
        assert words[name] in header, (name, header)
    if language == "zh-hans":
        assert [h for h in header if not CJK.search(h)] == [], header


def _shown(page, column: int) -> list[str]:
    return [text.strip() for text in page.locator(f"main table tbody tr td:nth-child({column})").all_inner_texts()]


def _invoice(today):
    from scf.parties.models import Organization, User
    from workflows.factoring import services

    return services.receivable_create(
        supplier=Organization.objects.get(legal_name=NAMES["supplier2"]),
        debtor=Organization.objects.get(legal_name=NAMES["core1"]), invoice_number=INVOICE,
        issue_date=today - datetime.timedelta(days=3), due_date=today + datetime.timedelta(days=60),
        face_amount=FACE, acting_user=User.objects.get(username="supplier2"))


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_day_with_the_portal(language, today, login, shoot, tmp_path):
    from workflows.factoring.models import FactoringFinancing, Receivable

    expect = _expect()
    w = WORDS[language]
    _invoice(today)  # registering an invoice is walked in test_factoring_walk; here it is only the start

    officer = login("officer", language, via="menu")
    officer_before = _unread(officer)
    core = login("core1", language, via="login-page")
    core_before = _unread(core)
    supplier = login("supplier2", language)
    supplier_before = _unread(supplier)
    _check_language(supplier, language)

    # The supplier asks for financing of its invoice on core1: the confirmation lands on core1.
    supplier.get_by_role("navigation").get_by_role("link", name=w["Factoring"], exact=True).click()
    supplier.get_by_role("link", name=w["Request financing"]).click()
    expect(supplier.get_by_role("heading", level=1)).to_have_text(w["Request financing"])
    supplier.get_by_label(INVOICE, exact=True).check()
    supplier.get_by_role("button", name=w["Show the quote"]).click()
    expect(supplier.locator("#quote")).to_be_visible()
    _check_language(supplier, language)
    shoot(supplier, "quote")
    supplier.get_by_role("button", name=w["Apply"]).click()
    heading = supplier.get_by_role("heading", level=1)
    expect(heading).to_contain_text(REFERENCE)
    reference = REFERENCE.search(heading.inner_text()).group()
    _check_language(supplier, language)
    shoot(supplier, "requested")

    # core1: the dashboard lists the new task, the bell rings; opened from it, the task is read.
    _read_dashboard(core, w, task=w["Confirm invoices"], reference=reference, language=language)
    _check_language(core, language)
    shoot(core, "core-dashboard")
    row = _open_from_the_bell(core, w, before=core_before, task=w["Confirm invoices"], reference=reference)
    _check_language(core, language)
    shoot(core, "core-notifications")
    row.get_by_role("link").click()
    expect(core.get_by_role("heading", level=1)).to_contain_text(w["Confirm invoices"])
    expect(core.get_by_role("heading", level=1)).to_contain_text(reference)
    assert _unread(core) == core_before
    _check_language(core, language)
    shoot(core, "core-task")
    core.get_by_label(w["Confirmed amount"]).fill(f"{FACE:,.2f}")  # typed as people write it: 300,000.00
    core.get_by_role("button", name=w["Send the answer"]).click()
    expect(core.locator(".messages")).to_contain_text(reference)
    _check_language(core, language)

    core.locator("header a.bell").click()  # the notification opened is read now
    expect(core.locator("table.notifications tbody tr").filter(has_text=reference)).to_have_class(
        re.compile(r"(^|\s)read(\s|$)"))

    # core1 filters its payables by state and exports them.
    core.get_by_role("navigation").get_by_role("link", name=w["Receivables"], exact=True).click()
    core.locator("form.list-filters").get_by_label(w["State"]).select_option(label=w["Financed"])
    core.get_by_role("button", name=w["Filter"]).click()
    expect(core).to_have_url(re.compile(r"[?&]state=financed\b"))
    financed = dict(Receivable.objects.filter(debtor__legal_name=NAMES["core1"], state="financed")
                    .values_list("invoice_number", "face_amount"))
    assert INVOICE in financed
    expect(core.locator("main table tbody tr")).to_have_count(len(financed))
    assert sorted(_shown(core, 1)) == sorted(financed)
    _check_language(core, language)
    shoot(core, "core-receivables-financed")
    header, rows = _export_xlsx(core, w, tmp_path)
    _check_header(header, w, language, "Invoice number", "Face amount", "Issue date", "State")
    number, face = header.index(w["Invoice number"]), header.index(w["Face amount"])
    assert {row[number]: row[face] for row in rows} == {k: float(v) for k, v in financed.items()}
    assert all(isinstance(row[face], (int, float)) for row in rows)
    assert {row[header.index(w["State"])] for row in rows} == {w["Financed"]}
    assert all(isinstance(row[header.index(w["Issue date"])], datetime.datetime) for row in rows)

    # The officer: the credit review lands on the lender's credit officers; the officer returns the request.
    _read_dashboard(officer, w, task=w["Credit review"], reference=reference, language=language,
                    staff=True)
    _check_language(officer, language)
    shoot(officer, "officer-dashboard")
    row = _open_from_the_bell(officer, w, before=officer_before, task=w["Credit review"], reference=reference)
    shoot(officer, "officer-notifications")
    row.get_by_role("link").click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text(w["Credit review"])
    assert _unread(officer) == officer_before
    _check_language(officer, language)
    shoot(officer, "officer-task")
    officer.get_by_label(w["Return for revision"], exact=True).check()
    officer.get_by_label(w["Comment"]).fill(w["comment"])
    officer.get_by_role("button", name=w["Record the decision"]).click()
    expect(officer.locator(".messages")).to_contain_text(reference)
    _check_language(officer, language)

    # The officer lists the requests returned for revision and exports them.
    officer.get_by_role("navigation").get_by_role("link", name=w["Factoring"], exact=True).click()
    officer.locator("form.list-filters").get_by_label(w["State"]).select_option(label=w["Returned for revision"])
    officer.get_by_role("button", name=w["Filter"]).click()
    expect(officer).to_have_url(re.compile(r"[?&]state=returned\b"))
    returned = dict(FactoringFinancing.objects.filter(state="returned").values_list("reference", "advance_amount"))
    assert reference in returned
    expect(officer.locator("main table tbody tr")).to_have_count(len(returned))
    assert sorted(_shown(officer, 1)) == sorted(returned)
    _check_language(officer, language)
    shoot(officer, "officer-financings-returned")
    header, rows = _export_xlsx(officer, w, tmp_path)
    _check_header(header, w, language, "Reference", "Advance", "Due date", "State")
    ref, advance = header.index(w["Reference"]), header.index(w["Advance"])
    # 300,000.00 × the demo facility's advance rate of 0.80 = 240,000.00
    assert returned[reference] == Decimal("240000.00")
    assert {row[ref]: row[advance] for row in rows} == {k: float(v) for k, v in returned.items()}
    assert {row[header.index(w["State"])] for row in rows} == {w["Returned for revision"]}

    # The supplier: the revision lands on it; it reads the officer's comment.
    _read_dashboard(supplier, w, task=w["Revise the request"], reference=reference, language=language)
    _check_language(supplier, language)
    shoot(supplier, "supplier-dashboard")
    row = _open_from_the_bell(supplier, w, before=supplier_before, task=w["Revise the request"],
                              reference=reference)
    shoot(supplier, "supplier-notifications")
    row.get_by_role("link").click()
    expect(supplier.get_by_role("heading", level=1)).to_contain_text(w["Revise the request"])
    expect(supplier.locator("main")).to_contain_text(w["comment"])
    # The history's note of the request reads the same in either language.
    expect(supplier.locator("main")).to_contain_text(f"{INVOICE} · CNY 300,000.00")
    assert _unread(supplier) == supplier_before
    _check_language(supplier, language)
    shoot(supplier, "supplier-task")

    # The supplier finds the case by its invoice number and exports what it sees.
    supplier.get_by_role("navigation").get_by_role("link", name=w["Factoring"], exact=True).click()
    supplier.locator("form.list-filters").get_by_label(w["Search"]).fill(INVOICE)
    supplier.get_by_role("button", name=w["Filter"]).click()
    expect(supplier.locator("main table tbody tr")).to_have_count(1)
    assert _shown(supplier, 1) == [reference]
    _check_language(supplier, language)
    shoot(supplier, "supplier-search")
    header, rows = _export_xlsx(supplier, w, tmp_path)
    _check_header(header, w, language, "Reference", "Advance", "State")
    assert [(row[header.index(w["Reference"])], row[header.index(w["Advance"])]) for row in rows] == [
        (reference, 240000)]
    assert rows[0][header.index(w["State"])] == w["Returned for revision"]
