"""Bulk upload: validated as a whole, a report per row, nothing saved from a bad file unless asked."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from scf.audit.models import AuditRecord
from scf.core.tabular import UploadUnreadable
from tests.factories import OrganizationFactory
from workflows.factoring.imports import receivables_import
from workflows.factoring.models import Receivable

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("registration_day")]
HEADER = "debtor_uscc,invoice_number,issue_date,due_date,face_amount,currency\n"


@pytest.fixture
def setup(corporate):
    supplier, user = corporate("sup")
    debtor = OrganizationFactory(is_supplier=False, is_core=True)
    return supplier, user, debtor


def _csv(*lines: str) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode("utf-8")


def test_a_clean_csv_is_imported_whole(setup):
    supplier, user, debtor = setup
    report = receivables_import(supplier=supplier, acting_user=user, data=_csv(
        f"{debtor.uscc},INV-1,2026-11-01,2027-01-31,\"1,200.50\",CNY",
        f"{debtor.uscc},INV-2,2026/11/02,2027/02/28,300,",
    ))
    assert (report.total, report.created, report.saved, report.errors) == (2, 2, True, [])
    amounts = sorted(Receivable.objects.values_list("face_amount", flat=True))
    assert amounts == [Decimal("300.00"), Decimal("1200.50")]
    assert AuditRecord.objects.filter(action="factoring.receivable.import").count() == 1


def test_a_file_with_errors_saves_nothing_and_reports_each_row(setup):
    supplier, user, debtor = setup
    Receivable.objects.create(supplier=supplier, debtor=debtor, invoice_number="OLD-9", issue_date="2026-10-01",
                              due_date="2026-12-01", face_amount=Decimal("5.00"), created_by=user)
    report = receivables_import(supplier=supplier, acting_user=user, data=_csv(
        f"{debtor.uscc},INV-1,2026-11-01,2027-01-31,100.00,CNY",          # row 2: fine
        f"{debtor.uscc},INV-2,2026-11-01,2026-10-31,100.00,CNY",          # row 3: due before issue
        f"{debtor.uscc},INV-3,2026-11-01,2027-01-31,-5,CNY",              # row 4: negative
        f"{debtor.uscc},inv 1,2026-11-01,2027-01-31,100.00,CNY",          # row 5: same as row 2
        f"{debtor.uscc},old-9,2026-11-01,2027-01-31,100.00,CNY",          # row 6: already registered
        "91110000600037341L,INV-7,2026-11-01,2027-01-31,100.00,CNY",      # row 7: unknown debtor
        f"{debtor.uscc},INV-8,1 Nov 2026,2027-01-31,12.345,XYZ",          # row 8: date, places, currency
    ))
    assert not report.saved and report.created == 0
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "due_date"), (4, "face_amount"), (5, "invoice_number"), (6, "invoice_number"), (7, "debtor_uscc"),
        (8, "currency"), (8, "face_amount"), (8, "issue_date"),
    ]
    assert "row 2" in next(e.problem for e in report.errors if e.row == 5)
    assert Receivable.objects.count() == 1  # only the one that was there before


def test_only_valid_rows_are_imported_when_asked(setup):
    supplier, user, debtor = setup
    report = receivables_import(supplier=supplier, acting_user=user, only_valid=True, data=_csv(
        f"{debtor.uscc},INV-1,2026-11-01,2027-01-31,100.00,CNY",
        f"{debtor.uscc},INV-2,2026-11-01,2026-10-31,100.00,CNY",
    ))
    assert (report.saved, report.created, report.rows_with_errors) == (True, 1, 1)
    assert list(Receivable.objects.values_list("invoice_number", flat=True)) == ["INV-1"]


def test_an_xlsx_with_chinese_headers_is_read(setup):
    supplier, user, debtor = setup
    book = Workbook()
    sheet = book.active
    sheet.append(["债务人统一社会信用代码", "发票号码", "开票日期", "到期日", "票面金额"])
    sheet.append([debtor.uscc, "FP-001", datetime.date(2026, 11, 3), datetime.datetime(2027, 3, 1), 45678.9])
    buffer = io.BytesIO()
    book.save(buffer)
    report = receivables_import(supplier=supplier, acting_user=user, data=buffer.getvalue())
    assert report.errors == [] and report.created == 1
    receivable = Receivable.objects.get()
    assert (receivable.face_amount, receivable.due_date) == (Decimal("45678.90"), datetime.date(2027, 3, 1))


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"invoice,amount\nA,1\n", "lacks the columns"),
    (b"PK\x03\x04 not really a workbook", "cannot be read"),
    (b"\xff\xfe\x00\x00binary\x00\x00", "text"),
])
def test_an_unreadable_file_is_refused_with_a_reason(setup, data, message):
    supplier, user, _debtor = setup
    with pytest.raises(UploadUnreadable) as error:
        receivables_import(supplier=supplier, acting_user=user, data=data)
    assert message in str(error.value)


def test_bulk_api_answers_400_with_rows_and_201_when_saved(client, setup):
    supplier, user, debtor = setup
    client.force_login(user)
    bad = _csv(f"{debtor.uscc},INV-1,2026-11-01,2027-01-31,abc,CNY")
    response = client.post("/api/v1/receivables/bulk/", {"file": SimpleUploadedFile("r.csv", bad)})
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "upload_invalid"
    assert body["rows"] == [{"row": 2, "field": "face_amount", "problem": "“abc” is not an amount."}]
    good = _csv(f"{debtor.uscc},INV-1,2026-11-01,2027-01-31,10.00,CNY")
    response = client.post("/api/v1/receivables/bulk/", {"file": SimpleUploadedFile("r.csv", good)})
    assert response.status_code == 201 and response.json()["created"] == 1
    response = client.post("/api/v1/receivables/bulk/", {"file": SimpleUploadedFile("x.csv", b"invoice,amount\n")})
    assert response.status_code == 400 and response.json()["error"]["code"] == "upload_unreadable"
    response = client.post("/api/v1/receivables/bulk/", {"file": SimpleUploadedFile("x.csv", b"")})
    assert response.status_code == 400 and "file" in response.json()["error"]["fields"]


@pytest.mark.django_db
def test_a_core_enterprise_uploads_approved_payables_confirmed_for_reverse_factoring(corporate):
    core, user = corporate("core-up", is_core=True, is_supplier=False)
    supplier = OrganizationFactory()
    data = (f"supplier_uscc,invoice_number,issue_date,due_date,face_amount\n"
            f"{supplier.uscc},AP-1,2026-11-01,2027-01-31,1000.00\n"
            f"{core.uscc},AP-2,2026-11-01,2027-01-31,5.00\n").encode()
    report = receivables_import(debtor=core, acting_user=user, data=data)
    assert [(e.row, e.field) for e in report.errors] == [(3, "supplier_uscc")] and not report.saved
    report = receivables_import(debtor=core, acting_user=user, data=data, only_valid=True)
    payable = Receivable.objects.get()
    assert (report.created, payable.supplier, payable.debtor, payable.state, payable.confirmed_amount,
            payable.reverse) == (1, supplier, core, "confirmed", Decimal("1000.00"), True)
    again = receivables_import(debtor=core, acting_user=user, data=data, only_valid=True)
    assert (2, "invoice_number") in [(e.row, e.field) for e in again.errors] and again.created == 0


def test_the_report_names_columns_as_the_file_does_and_says_empty_for_an_empty_cell(setup):
    supplier, user, debtor = setup
    data = ("买方统一社会信用代码,发票号码,开票日期,到期日,票面金额,币种\n"
            f"{debtor.uscc},INV-1,,2027-01-31,,CNY\n"               # row 2: issue date and amount empty
            f"{debtor.uscc},INV-2,soon,2027-01-31,abc,CNY\n").encode()  # row 3: neither a date nor an amount
    report = receivables_import(supplier=supplier, acting_user=user, data=data)
    assert report.lines == [
        (2, "开票日期", "Empty: write the date as YYYY-MM-DD."),
        (2, "票面金额", "Empty: write the amount, e.g. 1,000.00."),
        (3, "开票日期", "“soon” is not a date (use YYYY-MM-DD)."),
        (3, "票面金额", "“abc” is not an amount."),
    ]
    english = _csv(f"{debtor.uscc},INV-1,2026-11-01,2027-01-31,,CNY").replace(b"face_amount", b"Face_Amount")
    report = receivables_import(supplier=supplier, acting_user=user, data=english)
    assert report.lines == [(2, "Face_Amount", "Empty: write the amount, e.g. 1,000.00.")]


@pytest.mark.parametrize("language, first", [("en", "debtor_uscc"), ("zh-hans", "债务人统一社会信用代码")])
def test_the_upload_template_is_headed_in_the_readers_language_and_reads_back_clean(client, setup, language, first):
    supplier, user, debtor = setup
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get("/factoring/receivables/upload/template.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    data = response.content
    assert data.startswith("\ufeff".encode()) and data.decode("utf-8-sig").split(",")[0] == first
    filled = data + f"{debtor.uscc},INV-T1,2026-11-01,2027-01-31,\"1,000.00\",CNY\n".encode()
    report = receivables_import(supplier=supplier, acting_user=user, data=filled)
    assert (report.created, report.errors) == (1, [])
    upload = client.get("/factoring/receivables/upload/").content.decode()
    assert 'href="/factoring/receivables/upload/template.csv"' in upload


def test_the_upload_template_is_not_there_for_staff(client, setup):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="no-org"))
    assert client.get("/factoring/receivables/upload/template.csv").status_code == 404
