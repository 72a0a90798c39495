"""Bulk upload of receivables from CSV or XLSX: validated as a whole, answered row by row.

Nothing from a file with errors is saved unless the user asks to import only the valid rows.
Duplicates are checked against the file itself and the database in two queries, and the
database's unique key still decides under concurrency.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from scf.audit.services import audit_batch, audit_record
from scf.core import tabular
from scf.core.tabular import ImportReport, RowError, parse_amount, parse_date, read_table
from scf.parties.models import Organization, User
from scf.parties.permissions import require
from scf.parties.validators import normalize_uscc

from .models import Receivable, normalize_invoice_number
from .permissions import can_register_receivables
from .services import face_amount_refusal, invoice_date_refusals, operator_only, registration_facility

CURRENCIES = {"CNY", "USD", "EUR", "HKD"}

# Column names accepted in the header row, English or Chinese.
HEADERS = {
    "debtor_uscc": {"debtor_uscc", "debtor", "债务人统一社会信用代码", "债务人代码", "买方统一社会信用代码"},
    "supplier_uscc": {"supplier_uscc", "supplier", "供应商统一社会信用代码", "供应商代码", "卖方统一社会信用代码"},
    "invoice_number": {"invoice_number", "invoice", "发票号", "发票号码"},
    "issue_date": {"issue_date", "开票日期", "发票日期"},
    "due_date": {"due_date", "到期日", "应付日期"},
    "face_amount": {"face_amount", "amount", "票面金额", "金额"},
    "currency": {"currency", "币种"},
}
REQUIRED = ["invoice_number", "issue_date", "due_date", "face_amount"]
# The template's header row in Chinese (each title one HEADERS accepts); in English the column names.
CHINESE_TITLES = {"debtor_uscc": "债务人统一社会信用代码", "supplier_uscc": "供应商统一社会信用代码",
                  "invoice_number": "发票号码", "issue_date": "开票日期", "due_date": "到期日",
                  "face_amount": "票面金额", "currency": "币种"}


def upload_template(*, reverse: bool, language: str) -> bytes:
    """The CSV to fill in: the header row in the reader's language, UTF-8 with a BOM so that Excel reads Chinese."""
    names = ["supplier_uscc" if reverse else "debtor_uscc", *REQUIRED, "currency"]
    titles = [CHINESE_TITLES[n] if language.startswith("zh") else n for n in names]
    buffer = io.StringIO()
    csv.writer(buffer).writerow(titles)
    return buffer.getvalue().encode("utf-8-sig")


def receivables_import(*, data: bytes, acting_user: User, supplier: Organization | None = None,
                       debtor: Organization | None = None, only_valid: bool = False) -> ImportReport:
    """Validate every row; save all of them, or only the valid ones when asked, or nothing.

    A supplier uploads its invoices on core enterprises (column `debtor_uscc`); a core
    enterprise (`debtor`) uploads its approved payables to suppliers (column `supplier_uscc`),
    registered as confirmed for reverse factoring.
    """
    if (supplier is None) == (debtor is None):
        raise ValueError("Import for a supplier or for a debtor, not both.")
    reverse = debtor is not None
    owner = debtor if reverse else supplier
    require(can_register_receivables(acting_user, owner),
            operator_only(owner, _("register its approved payables") if reverse else _("register its receivables")))
    column = "supplier_uscc" if reverse else "debtor_uscc"
    columns, body = read_table(data, headers=HEADERS, required=[column, *REQUIRED])
    report = ImportReport(total=len(body), titles=columns.titles)
    codes = {normalize_uscc(str(values[columns[column]])) for _n, values in body if columns[column] < len(values)}
    counterparties = {o.uscc: o for o in Organization.objects.filter(uscc__in=codes)}
    candidates: list[tuple[int, Receivable]] = []
    seen: dict[tuple[int, str], int] = {}
    today = timezone.localdate()
    bounds: dict[tuple[int, str], object] = {}  # (counterparty, currency) → the facility bounding face amounts

    def cell(values, name):
        return tabular.cell(values, columns, name)

    for number, values in body:
        row_errors: list[RowError] = []
        code = normalize_uscc(str(cell(values, column)))
        other = counterparties.get(code)
        if not code:
            row_errors.append(RowError(number, column, _("The supplier's credit code is missing.") if reverse
                                       else _("The debtor's credit code is missing.")))
        elif other is None:
            row_errors.append(RowError(number, column, _("No organization has the credit code %(code)s.")
                                       % {"code": code}))
            other = None
        elif other.pk == owner.pk or not (other.is_supplier if reverse else other.is_core):
            row_errors.append(RowError(number, column, (
                _("%(org)s is not a supplier of yours.") if reverse
                else _("%(org)s is not a core enterprise you can invoice.")) % {"org": other.legal_name}))
            other = None
        invoice = str(cell(values, "invoice_number")).strip()
        key = normalize_invoice_number(invoice)
        if not key:
            row_errors.append(RowError(number, "invoice_number", _("The invoice number is missing.")))
        elif len(invoice) > 60:
            row_errors.append(RowError(number, "invoice_number", _("The invoice number is longer than 60 characters.")))
        dates = {}
        for name in ("issue_date", "due_date"):
            try:
                dates[name] = parse_date(cell(values, name))
            except (ValueError, TypeError):
                row_errors.append(RowError(number, name, _("Empty: write the date as YYYY-MM-DD.")
                                           if tabular.is_empty(cell(values, name)) else
                                           _("“%(value)s” is not a date (use YYYY-MM-DD).")
                                           % {"value": cell(values, name)}))
        if len(dates) == 2 and dates["due_date"] < dates["issue_date"]:
            row_errors.append(RowError(number, "due_date", _("The due date is before the issue date.")))
        for name, message in invoice_date_refusals(issue_date=dates.get("issue_date"), due_date=dates.get("due_date"),
                                                   today=today).items():
            if not any(e.row == number and e.field == name for e in row_errors):
                row_errors.append(RowError(number, name, message))
        currency = str(cell(values, "currency") or "CNY").strip().upper()
        amount = None
        try:
            amount = parse_amount(cell(values, "face_amount"))
            if amount <= 0:
                row_errors.append(RowError(number, "face_amount", _("The amount must be greater than zero.")))
            elif amount != amount.quantize(Decimal("0.01")):
                row_errors.append(RowError(number, "face_amount", _("Amounts have at most two decimal places.")))
            elif amount >= Decimal("1e18"):
                row_errors.append(RowError(number, "face_amount", _("The amount is too large.")))
            elif other is not None and currency in CURRENCIES:
                if (other.pk, currency) not in bounds:
                    bounds[other.pk, currency] = registration_facility(
                        supplier=other if reverse else owner, debtor=owner if reverse else other, reverse=reverse,
                        currency=currency)
                if message := face_amount_refusal(facility=bounds[other.pk, currency], face_amount=amount):
                    row_errors.append(RowError(number, "face_amount", message))
        except (InvalidOperation, ValueError):
            row_errors.append(RowError(number, "face_amount", _("Empty: write the amount, e.g. 1,000.00.")
                                       if tabular.is_empty(cell(values, "face_amount")) else
                                       _("“%(value)s” is not an amount.") % {"value": cell(values, "face_amount")}))
        if currency not in CURRENCIES:
            row_errors.append(RowError(number, "currency", _("Unknown currency %(cur)s.") % {"cur": currency}))
        if other is not None and key:
            first = seen.get((other.pk, key))
            if first is not None:
                row_errors.append(RowError(number, "invoice_number", _("Same invoice as row %(row)d of this file.")
                                           % {"row": first}))
            else:
                seen[(other.pk, key)] = number
        if row_errors:
            report.errors.extend(row_errors)
            continue
        receivable = Receivable(supplier=other if reverse else owner, debtor=owner if reverse else other,
                                invoice_number=invoice, invoice_key=key, issue_date=dates["issue_date"],
                                due_date=dates["due_date"], face_amount=amount, currency=currency,
                                created_by=acting_user, reverse=reverse,
                                # Approved payables are confirmed by the debtor that uploads them.
                                **({"state": Receivable.State.CONFIRMED, "confirmed_amount": amount,
                                    "confirmation_note": _("approved payable of the debtor")} if reverse else {}))
        candidates.append((number, receivable))

    _mark_existing(candidates, report)
    bad_rows = {e.row for e in report.errors}
    valid = [r for n, r in candidates if n not in bad_rows]
    if report.errors and not only_valid:
        return report
    try:
        with transaction.atomic(), audit_batch():
            Receivable.objects.bulk_create(valid, batch_size=1000)
            audit_record(action="factoring.receivable.import", target=owner, actor=acting_user,
                         note=f"{len(valid)} receivables imported of {report.total} rows")
    except IntegrityError:
        # Someone registered one of these invoices since the check: report it, save nothing.
        _mark_existing(candidates, report)
        if not any(e.field == "invoice_number" for e in report.errors):
            raise
        return report
    report.created = len(valid)
    report.saved = True
    return report


def _mark_existing(candidates: list[tuple[int, Receivable]], report: ImportReport) -> None:
    """Add an error for every candidate row whose invoice is already registered."""
    if not candidates:
        return
    supplier_ids = {r.supplier_id for _n, r in candidates}
    debtor_ids = {r.debtor_id for _n, r in candidates}
    existing = set(Receivable.objects.filter(supplier_id__in=supplier_ids, debtor_id__in=debtor_ids)
                   .values_list("supplier_id", "debtor_id", "invoice_key"))
    flagged = {(e.row, e.field) for e in report.errors}
    for number, receivable in candidates:
        key = (receivable.supplier_id, receivable.debtor_id, receivable.invoice_key)
        if key in existing and (number, "invoice_number") not in flagged:
            report.errors.append(RowError(number, "invoice_number",
                                          _("Invoice %(number)s is already registered.")
                                          % {"number": receivable.invoice_number}))
    report.errors.sort(key=lambda e: (e.row, e.field))
