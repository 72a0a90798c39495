"""Every list searches, filters, sorts, pages and exports the rows its user may see, and only those."""

import csv
import dataclasses
import datetime
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from scf.parties.groups import StaffGroup
from scf.parties.models import Membership
from tests.factories import FacilityFactory, LenderFactory, MembershipFactory, OrganizationFactory, UserFactory
from workflows.factoring.models import FactoringFinancing, Receivable

LIST = reverse("factoring:financing-list")


def _client(user, language: str = "en"):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _financing(n, *, facility, supplier, debtor, lender, user, confirmed, due, state="disbursed", invoice=None):
    financing = FactoringFinancing.objects.create(
        reference=f"FF-2026-{n:05d}", facility=facility, supplier=supplier, debtor=debtor, lender=lender,
        currency="CNY", confirmed_amount=Decimal(confirmed), advance_rate=Decimal("0.8"),
        annual_rate=Decimal("0.065"), fee_rate=Decimal("0.005"), day_count="ACT/360", interest_mode="advance",
        value_date=due - datetime.timedelta(days=90), due_date=due, advance_amount=Decimal(confirmed) * 4 / 5,
        tenor_days=90, interest_amount=Decimal("1.00"), fee_amount=Decimal("1.00"),
        net_disbursement=Decimal(confirmed) * 4 / 5 - 2, all_in_rate=Decimal("0.09"), state=state,
        prepared_by=user, advance_outstanding=Decimal(confirmed) * 4 / 5)
    if invoice:
        receivable = Receivable.objects.create(
            supplier=supplier, debtor=debtor, invoice_number=invoice, invoice_key=invoice, currency="CNY",
            issue_date=due - datetime.timedelta(days=120), due_date=due, face_amount=Decimal(confirmed),
            confirmed_amount=Decimal(confirmed), state="financed", created_by=user)
        financing.receivables.add(receivable)
    return financing


@pytest.fixture
def book(db, lender, staff_user):
    """Lender A's book of three financings and one of lender B's, which A's staff never see."""
    officer = staff_user(StaffGroup.CREDIT_OFFICER, "officer")
    supplier = OrganizationFactory(legal_name="上海钢材供应有限公司", legal_name_en="Shanghai Steel Supply",
                                   is_supplier=True)
    other_supplier = OrganizationFactory(legal_name="苏州零件有限公司", legal_name_en="Suzhou Parts", is_supplier=True)
    debtor = OrganizationFactory(legal_name="华东汽车集团", legal_name_en="East China Motors", is_core=True,
                                 is_supplier=False)
    facility = FacilityFactory(lender=lender, obligor=supplier)
    other_facility = FacilityFactory(lender=lender, obligor=other_supplier)
    day = datetime.date(2026, 12, 1)
    a1 = _financing(1, facility=facility, supplier=supplier, debtor=debtor, lender=lender, user=officer,
                    confirmed="100000.00", due=day, invoice="INV-7001")
    a2 = _financing(2, facility=facility, supplier=supplier, debtor=debtor, lender=lender, user=officer,
                    confirmed="250000.50", due=day + datetime.timedelta(days=30), state="overdue", invoice="INV-7002")
    a3 = _financing(3, facility=other_facility, supplier=other_supplier, debtor=debtor, lender=lender, user=officer,
                    confirmed="900000.00", due=day + datetime.timedelta(days=60))
    other_lender = LenderFactory(legal_name="另一银行", legal_name_en="Other Bank")
    foreign_supplier = OrganizationFactory(legal_name="外行供应商", is_supplier=True)
    b1 = _financing(4, facility=FacilityFactory(lender=other_lender, obligor=foreign_supplier),
                    supplier=foreign_supplier, debtor=debtor, lender=other_lender, user=officer,
                    confirmed="120000.00", due=day, invoice="INV-7001B")
    b_staff = UserFactory(username="b-staff")
    b_staff.groups.add(*officer.groups.all())
    MembershipFactory(user=b_staff, organization=other_lender, role=Membership.Role.OPERATOR)
    return {"officer": officer, "a": [a1, a2, a3], "b": b1, "b_staff": b_staff, "supplier": supplier,
            "debtor": debtor, "lender": lender}


def _refs(response) -> list[str]:
    return [f.reference for f in response.context["listing"].rows]


def test_search_finds_by_reference_invoice_number_party_name_and_credit_code(book):
    client = _client(book["officer"])
    assert _refs(client.get(LIST, {"q": "ff-2026-00002"})) == ["FF-2026-00002"]
    assert _refs(client.get(LIST, {"q": "INV-7001"})) == ["FF-2026-00001"]  # B's INV-7001B is not A's
    assert _refs(client.get(LIST, {"q": "苏州", "sort": "reference"})) == ["FF-2026-00003"]
    assert _refs(client.get(LIST, {"q": "shanghai steel", "sort": "reference"})) == ["FF-2026-00001",
                                                                                     "FF-2026-00002"]
    assert _refs(client.get(LIST, {"q": book["supplier"].uscc.lower(), "sort": "reference"})) == [
        "FF-2026-00001", "FF-2026-00002"]


def test_filters_narrow_by_state_party_dates_and_amounts(book):
    client = _client(book["officer"])
    assert _refs(client.get(LIST, {"state": "overdue"})) == ["FF-2026-00002"]
    assert _refs(client.get(LIST, {"party": "上海钢材", "sort": "reference"})) == ["FF-2026-00001", "FF-2026-00002"]
    assert _refs(client.get(LIST, {"party": book["supplier"].uscc, "sort": "reference"})) == [
        "FF-2026-00001", "FF-2026-00002"]
    assert _refs(client.get(LIST, {"party": "east china motors", "sort": "reference"})) == [
        "FF-2026-00001", "FF-2026-00002", "FF-2026-00003"]
    assert _refs(client.get(LIST, {"date_from": "2026-12-15", "date_to": "2027-01-15"})) == ["FF-2026-00002"]
    # Bounds are inclusive, and typed with thousands separators as people write them.
    assert _refs(client.get(LIST, {"amount_min": "250,000.50", "amount_max": "900000", "sort": "amount"})) == [
        "FF-2026-00002", "FF-2026-00003"]
    assert _refs(client.get(LIST, {"product": "reverse"})) == []


def test_sorting_follows_the_whitelist_and_ignores_anything_else(book):
    client = _client(book["officer"])
    assert _refs(client.get(LIST, {"sort": "-amount"})) == ["FF-2026-00003", "FF-2026-00002", "FF-2026-00001"]
    assert _refs(client.get(LIST, {"sort": "due"})) == ["FF-2026-00001", "FF-2026-00002", "FF-2026-00003"]
    # A field outside the whitelist (here a column of the lender's) is never ordered by.
    response = client.get(LIST, {"sort": "lender__legal_name"})
    assert response.status_code == 200 and response.context["listing"].sort == "-created"


def test_pages_follow_each_other_and_keep_the_filter(book, monkeypatch):
    from workflows.factoring import filters

    listing = filters.financing_listing
    monkeypatch.setattr(filters, "financing_listing", lambda user: dataclasses.replace(listing(user), page_size=2))
    client = _client(book["officer"])
    first = client.get(LIST, {"sort": "reference", "q": "FF-2026"})
    assert _refs(first) == ["FF-2026-00001", "FF-2026-00002"]
    page = first.context["listing"]
    assert page.has_next and page.next_link == "?sort=reference&q=FF-2026&page=2"
    assert _refs(client.get(LIST + page.next_link)) == ["FF-2026-00003"]
    assert "export=xlsx" in page.xlsx_link and "q=FF-2026" in page.xlsx_link


@pytest.mark.parametrize("cap", [2000, 1, 0])
def test_search_and_party_filter_find_the_same_rows_by_ids_read_first_or_by_one_condition(book, monkeypatch, cap):
    """Under the cap the ids are read first; above it (many matches) the search is one condition on the row."""
    from scf.core import listing

    monkeypatch.setattr(listing, "SEARCH_IDS", cap)
    client = _client(book["officer"])
    assert _refs(client.get(LIST, {"q": "ff-2026-00002"})) == ["FF-2026-00002"]
    assert _refs(client.get(LIST, {"q": "INV-7001", "sort": "reference"})) == ["FF-2026-00001"]
    assert _refs(client.get(LIST, {"q": "motors", "sort": "reference"})) == [
        "FF-2026-00001", "FF-2026-00002", "FF-2026-00003"]
    assert _refs(client.get(LIST, {"q": "shanghai steel", "state": "overdue"})) == ["FF-2026-00002"]
    assert _refs(client.get(LIST, {"party": "苏州零件"})) == ["FF-2026-00003"]
    assert _refs(client.get(LIST, {"q": "nothing like it"})) == []
    receivables = client.get(reverse("factoring:receivable-list"), {"q": "inv-700", "sort": "invoice"})
    assert [r.invoice_number for r in receivables.context["listing"].rows] == ["INV-7001", "INV-7002"]


def test_deep_pages_read_their_rows_by_id_in_the_lists_order_and_only_the_users(book, monkeypatch):
    from workflows.factoring import filters

    listing = filters.financing_listing
    monkeypatch.setattr(filters, "financing_listing", lambda user: dataclasses.replace(listing(user), page_size=1))
    client = _client(book["officer"])
    pages = [_refs(client.get(LIST, {"sort": "-amount", "page": n})) for n in (1, 2, 3, 4)]
    assert pages == [["FF-2026-00003"], ["FF-2026-00002"], ["FF-2026-00001"], []]
    # Lender B's financing (120,000.00, between A's amounts) is on no page of A's officer.
    second = client.get(LIST, {"sort": "amount", "page": 2, "party": "east china"})
    assert _refs(second) == ["FF-2026-00002"] and second.context["listing"].has_next


@pytest.mark.parametrize("params, field", [
    ({"amount_min": "abc"}, "amount_min"),
    ({"date_from": "2027-01-31", "date_to": "2026-01-01"}, "date_to"),
    ({"amount_min": "500", "amount_max": "100"}, "amount_max"),
    ({"date_from": "31/13/2026"}, "date_from"),
    ({"state": "nonsense"}, "state"),
])
def test_bad_filter_input_is_a_form_error_with_no_rows_and_no_export(book, params, field):
    client = _client(book["officer"])
    response = client.get(LIST, params)
    assert response.status_code == 400
    assert field in response.context["listing"].form.errors
    assert response.context["listing"].rows == []
    exported = client.get(LIST, {**params, "export": "csv"})
    assert exported.status_code == 400 and "text/html" in exported["Content-Type"]


def test_another_lenders_financing_never_shows_whatever_the_filter(book):
    client = _client(book["officer"])
    assert "FF-2026-00004" not in _refs(client.get(LIST, {"q": "FF-2026"}))
    assert _refs(client.get(LIST, {"party": book["b"].supplier.legal_name})) == []
    assert _refs(client.get(LIST, {"q": "INV-7001B"})) == []


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_export_holds_the_filtered_rows_with_plain_numbers_and_iso_dates(book):
    response = _client(book["officer"]).get(LIST, {"q": "shanghai", "sort": "reference", "export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    header = rows[0]
    assert header[:3] == ["Reference", "Supplier", "Supplier credit code"]
    assert [row[0] for row in rows[1:]] == ["FF-2026-00001", "FF-2026-00002"]
    second = dict(zip(header, rows[2]))
    assert second["Confirmed amount"] == "250000.50"
    assert second["Advance"] == "200000.40"
    assert second["Due date"] == "2026-12-31"
    assert second["State"] == "Overdue"


def test_xlsx_export_holds_numbers_and_real_dates_under_headers_in_the_users_language(book):
    response = _client(book["officer"], "zh-hans").get(LIST, {"sort": "-amount", "export": "xlsx"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(workbook.active.iter_rows(values_only=True))
    header = rows[0]
    assert header[0] == "编号" and header[5] == "确认金额"
    assert [row[0] for row in rows[1:]] == ["FF-2026-00003", "FF-2026-00002", "FF-2026-00001"]
    amount = workbook.active.cell(row=3, column=6)
    assert amount.value == 250000.5 and amount.number_format == "#,##0.00"
    due = workbook.active.cell(row=3, column=9)
    assert isinstance(due.value, datetime.datetime) and due.value.date() == datetime.date(2026, 12, 31)


def test_exports_hold_only_the_users_tenant(book):
    own = _csv(_client(book["officer"]).get(LIST, {"export": "csv"}))
    assert sorted(row[0] for row in own[1:]) == ["FF-2026-00001", "FF-2026-00002", "FF-2026-00003"]
    theirs = _csv(_client(book["b_staff"]).get(LIST, {"export": "csv"}))
    assert [row[0] for row in theirs[1:]] == ["FF-2026-00004"]
    workbook = load_workbook(io.BytesIO(b"".join(
        _client(book["b_staff"]).get(LIST, {"export": "xlsx"}).streaming_content)))
    assert [row[0] for row in workbook.active.iter_rows(min_row=2, values_only=True)] == ["FF-2026-00004"]


def test_the_debtor_exports_no_advance(book, corporate):
    debtor_user = UserFactory(username="debtor-user")
    MembershipFactory(user=debtor_user, organization=book["debtor"], role=Membership.Role.OPERATOR)
    rows = _csv(_client(debtor_user).get(LIST, {"sort": "reference", "export": "csv"}))
    header = rows[0]
    # The debtor owes on both lenders' financings; it sees the amounts financed, never a supplier's advance.
    assert [row[0] for row in rows[1:]] == ["FF-2026-00001", "FF-2026-00002", "FF-2026-00003", "FF-2026-00004"]
    assert {dict(zip(header, row))["Advance"] for row in rows[1:]} == {""}
    assert dict(zip(header, rows[2]))["Confirmed amount"] == "250000.50"


def test_receivables_facilities_organisations_documents_and_receipts_search_and_export(book):
    client = _client(book["officer"])
    receivables = client.get(reverse("factoring:receivable-list"), {"q": "INV-700", "sort": "invoice"})
    assert [r.invoice_number for r in receivables.context["listing"].rows] == ["INV-7001", "INV-7002"]
    facilities = client.get(reverse("portal:facility-list"), {"q": "苏州"})
    assert [f.obligor.legal_name for f in facilities.context["listing"].rows] == ["苏州零件有限公司"]
    organizations = client.get(reverse("portal:organization-list"), {"q": "motors"})
    assert [o.legal_name for o in organizations.context["listing"].rows] == ["华东汽车集团"]
    assert "另一银行" not in _csv(client.get(reverse("portal:organization-list"), {"export": "csv"})).__repr__()
    documents = client.get(reverse("documents:list"), {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert documents.status_code == 400
    facility_rows = _csv(client.get(reverse("portal:facility-list"), {"sort": "limit", "export": "csv"}))
    assert facility_rows[0][5] == "Limit" and facility_rows[1][5] == "1000000.00"


def test_receipts_list_finds_a_receipt_by_bank_reference(book, staff_user):
    operations = staff_user(StaffGroup.OPERATIONS, "ops-lists")
    response = _client(operations).get(reverse("collections:receipt-list"), {"q": "nothing-like-it"})
    assert response.status_code == 200 and response.context["listing"].rows == []


def test_global_search_opens_the_one_case_and_lists_several(book):
    client = _client(book["officer"])
    search = reverse("portal:search")
    one = client.get(search, {"q": "inv-7002"})
    assert one.status_code == 302 and one["Location"] == reverse("factoring:financing-detail",
                                                                 args=[book["a"][1].pk])
    several = client.get(search, {"q": "FF-2026-0000"})
    assert several.status_code == 200
    assert [hit.reference for hit in several.context["hits"]] == ["FF-2026-00001", "FF-2026-00002",
                                                                  "FF-2026-00003"]
    # Another lender's case is not found, by reference or by invoice number.
    assert client.get(search, {"q": "FF-2026-00004"}).context["hits"] == []
    assert client.get(search, {"q": "INV-7001B"}).context["hits"] == []


def test_facility_xlsx_has_numeric_limits_and_state_names_in_chinese(book):
    response = _client(book["officer"], "zh-hans").get(reverse("portal:facility-list"),
                                                      {"sort": "reference", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3  # the header and lender A's two facilities, not lender B's
    limit = sheet.cell(row=2, column=6)
    assert limit.value == 1000000 and limit.number_format == "#,##0.00"
    assert rows[1][-1] == "已生效"
    assert isinstance(rows[1][9], datetime.datetime)
