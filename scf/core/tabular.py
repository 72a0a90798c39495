"""Tables uploaded as CSV or XLSX: read the header and the rows, parse cells, report per row.

A product's import names its columns (each with the header titles it accepts, English or
Chinese) and says which are required; `read_table` finds them in the header row and returns
the data rows with their spreadsheet row numbers, so that each problem is reported against
the row a person sees in the file. Validating and saving the rows is the product's business.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    problem: str


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    saved: bool = False
    errors: list[RowError] = field(default_factory=list)
    # Each column's name → its title as the file's header row writes it ("发票号码", "Invoice_Number").
    titles: dict[str, str] = field(default_factory=dict)

    @property
    def rows_with_errors(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def lines(self) -> list[tuple[int, str, str]]:
        """(row, column as the file names it, problem): the report a person reads beside their file."""
        return [(e.row, self.titles.get(e.field, e.field), e.problem) for e in self.errors]


class Columns(dict):
    """Each column's name → its position in the row, with `titles`: the name → the file's own header title."""

    titles: dict[str, str]


class UploadUnreadable(ValueError):
    """The file is not a CSV or XLSX table with the columns the import needs."""


def _rows_from_xlsx(data: bytes) -> Iterator[list]:
    from openpyxl import load_workbook  # heavy, and needed only for spreadsheets

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a damaged workbook
        raise UploadUnreadable(_("The spreadsheet cannot be read: %(error)s") % {"error": error}) from None
    sheet = workbook.worksheets[0]
    for values in sheet.iter_rows(values_only=True):
        yield ["" if v is None else v for v in values]


def _rows_from_csv(data: bytes) -> Iterator[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UploadUnreadable(_("The file is neither UTF-8 nor GB18030 text."))
    if "\x00" in text:
        raise UploadUnreadable(_("The file is not a CSV text file."))
    yield from csv.reader(io.StringIO(text))


def read_table(data: bytes, *, headers: Mapping[str, Collection[str]],
               required: Sequence[str]) -> tuple[Columns, list[tuple[int, list]]]:
    """Return the column positions and the data rows (with their spreadsheet row numbers).

    `headers` maps each column's name to the header titles accepted for it (lower case); the
    first matching title in the header row wins. Blank rows are skipped. A file that is too
    large, unreadable, empty or lacks a `required` column raises UploadUnreadable.
    """
    if len(data) > MAX_BYTES:
        raise UploadUnreadable(_("The file is larger than 20 MB."))
    rows = _rows_from_xlsx(data) if data[:4] == b"PK\x03\x04" else _rows_from_csv(data)
    header = written = None
    body: list[tuple[int, list]] = []
    for number, values in enumerate(rows, start=1):
        if header is None:
            written = [str(v).strip() for v in values]
            header = [title.lower() for title in written]
            continue
        if not any(str(v).strip() for v in values):
            continue
        body.append((number, list(values)))
        if len(body) > MAX_ROWS:
            raise UploadUnreadable(_("The file has more than %(max)d rows.") % {"max": MAX_ROWS})
    if header is None:
        raise UploadUnreadable(_("The file is empty."))
    columns = Columns()
    columns.titles = {}
    for name, aliases in headers.items():
        for index, title in enumerate(header):
            if title in aliases:
                columns[name] = index
                columns.titles[name] = written[index]
                break
    missing = [name for name in required if name not in columns]
    if missing:
        raise UploadUnreadable(_("The header row lacks the columns: %(cols)s.") % {"cols": ", ".join(missing)})
    return columns, body


def is_empty(value) -> bool:
    """Whether a cell holds nothing (or only spaces)."""
    return value is None or str(value).strip() == ""


def cell(values: list, columns: Mapping[str, int], name: str):
    """Return the value of column `name` in a row, or "" when the column or the cell is absent."""
    index = columns.get(name)
    return values[index] if index is not None and index < len(values) else ""


def parse_date(value) -> datetime.date:
    """Return the date of a spreadsheet cell or of text as 2026-11-01, 2026/11/01 or 2026.11.01.

    Raise ValueError or TypeError when it is not one.
    """
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    return datetime.date.fromisoformat(text)


def parse_amount(value) -> Decimal:
    """Return the exact amount of a cell or of text such as "1,200.50".

    Raise InvalidOperation when it is not a finite number.
    """
    if isinstance(value, float):
        value = repr(value)  # a spreadsheet cell: keep the digits it shows, never binary noise
    text = str(value).strip().replace(",", "")
    amount = Decimal(text)
    if not amount.is_finite():
        raise InvalidOperation
    return amount
