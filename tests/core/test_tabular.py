"""Reading an uploaded table: columns found by any accepted title, rows numbered as in the file."""

import datetime
import io
from decimal import Decimal, InvalidOperation

import pytest
from openpyxl import Workbook

from scf.core import tabular
from scf.core.tabular import ImportReport, RowError, UploadUnreadable, cell, parse_amount, parse_date, read_table

HEADERS = {
    "code": {"code", "代码"},
    "amount": {"amount", "金额"},
    "note": {"note", "备注"},
}


def test_columns_are_found_by_any_accepted_title_and_blank_rows_are_skipped():
    data = "Note,金额,CODE\nfirst,1.00,A\n,,\n  , ,\nthird,3.00,C\n".encode()
    columns, body = read_table(data, headers=HEADERS, required=["code", "amount"])
    assert columns == {"code": 2, "amount": 1, "note": 0}
    assert body == [(2, ["first", "1.00", "A"]), (5, ["third", "3.00", "C"])]


def test_a_missing_optional_column_reads_as_blank():
    columns, body = read_table(b"code,amount\nA,1\nB\n", headers=HEADERS, required=["code"])
    assert [cell(values, columns, "note") for _row, values in body] == ["", ""]
    assert [cell(values, columns, "amount") for _row, values in body] == ["1", ""]


def test_gb18030_text_is_read():
    columns, body = read_table("代码,金额\n甲,5\n".encode("gb18030"), headers=HEADERS, required=["code"])
    assert body == [(2, ["甲", "5"])]


def test_an_xlsx_keeps_its_cell_types():
    book = Workbook()
    book.active.append(["代码", "金额"])
    book.active.append(["A", 45678.9])
    book.active.append([None, None])
    book.active.append(["B", datetime.datetime(2027, 3, 1)])
    buffer = io.BytesIO()
    book.save(buffer)
    columns, body = read_table(buffer.getvalue(), headers=HEADERS, required=["code", "amount"])
    assert body == [(2, ["A", 45678.9]), (4, ["B", datetime.datetime(2027, 3, 1)])]


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"invoice,amount\nA,1\n", "lacks the columns: code"),
    (b"PK\x03\x04 not really a workbook", "cannot be read"),
    (b"\xff\xfe\x00\x00binary\x00\x00", "text"),
])
def test_an_unreadable_file_is_refused_with_a_reason(data, message):
    with pytest.raises(UploadUnreadable) as error:
        read_table(data, headers=HEADERS, required=["code", "amount"])
    assert message in str(error.value)


def test_too_many_rows_or_bytes_are_refused(monkeypatch):
    monkeypatch.setattr(tabular, "MAX_ROWS", 2)
    with pytest.raises(UploadUnreadable, match="more than 2 rows"):
        read_table(b"code\nA\nB\nC\n", headers=HEADERS, required=["code"])
    monkeypatch.setattr(tabular, "MAX_BYTES", 10)
    with pytest.raises(UploadUnreadable, match="larger than 20 MB"):
        read_table(b"code\nA\nB\nC\n", headers=HEADERS, required=["code"])


@pytest.mark.parametrize("value, expected", [
    ("2026-11-01", datetime.date(2026, 11, 1)),
    (" 2026/11/02 ", datetime.date(2026, 11, 2)),
    ("2026.11.03", datetime.date(2026, 11, 3)),
    (datetime.date(2026, 11, 4), datetime.date(2026, 11, 4)),
    (datetime.datetime(2026, 11, 5, 13, 30), datetime.date(2026, 11, 5)),
])
def test_parse_date_reads_cells_and_common_spellings(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["1 Nov 2026", "", "2026-13-01"])
def test_parse_date_refuses_what_is_not_a_date(value):
    with pytest.raises(ValueError):
        parse_date(value)


@pytest.mark.parametrize("value, expected", [
    ("1,200.50", Decimal("1200.50")),
    (" 300 ", Decimal("300")),
    (45678.9, Decimal("45678.9")),
    (0.1, Decimal("0.1")),
    (12, Decimal("12")),
])
def test_parse_amount_is_exact(value, expected):
    amount = parse_amount(value)
    assert amount == expected and str(amount) == str(expected)


@pytest.mark.parametrize("value", ["abc", "", "NaN", "Infinity", float("inf")])
def test_parse_amount_refuses_what_is_not_a_finite_number(value):
    with pytest.raises(InvalidOperation):
        parse_amount(value)


def test_the_report_counts_rows_not_errors():
    report = ImportReport(total=3, errors=[RowError(2, "code", "x"), RowError(2, "amount", "y"),
                                           RowError(3, "code", "z")])
    assert report.rows_with_errors == 2
