"""Price files: an exchange's settlement prices or a price system's post, checked row by row, approved as one.

A desk downloads the day's settlement prices and uploads them (CSV or XLSX), or a price system posts
them to the API. Every row is checked (a commodity the lender accepts, a price above zero with at most
six decimals, a date not in the future, a known source and currency, no second price of the same
commodity, source and date, in the file or already entered) and reported by its row number. Nothing
from a file with problems is saved unless the user asks to keep only the valid rows. The prices saved
form one batch, which a second person approves or rejects as a whole; its prices count from then on.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from scf.audit.services import audit_record, audited
from scf.core.fields import CURRENCY_CHOICES
from scf.core.tabular import ImportReport, RowError, parse_amount, parse_date, read_table
from scf.parties.models import Organization, User
from scf.parties.permissions import require, staff_may

from .exceptions import PriceAlreadyDecided, PriceFourEyes
from .models import Commodity, CommodityEligibility, CommodityPrice, PriceBatch
from .permissions import APPROVE_PRICE, can_propose_price
from .revaluation import revalue_after_price_batch

# Column names accepted in the header row, English or Chinese (an exchange's file names them so).
HEADERS = {
    "commodity": {"commodity", "commodity_code", "code", "商品代码", "品种代码", "商品"},
    "price": {"price", "settlement_price", "unit_price", "价格", "结算价", "单价"},
    "date": {"date", "effective_date", "trade_date", "日期", "交易日期", "生效日期"},
    "source": {"source", "来源", "价格来源"},
    "currency": {"currency", "币种"},
    "reference": {"reference", "contract", "合约", "备注"},
}
REQUIRED = ["commodity", "price", "date"]
CURRENCIES = {code for code, _label in CURRENCY_CHOICES}
PRICE_PLACES = Decimal("0.000001")
MAX_PRICE = Decimal("1e14")


@dataclass(frozen=True)
class PriceRow:
    number: int
    commodity: Commodity
    price: Decimal
    effective_date: datetime.date
    source: str
    currency: str
    reference: str


def _sources() -> dict[str, str]:
    """Each source's code and its English and Chinese names, lower case, to its code."""
    names: dict[str, str] = {}
    for code, label in CommodityPrice.Source.choices:
        names[code] = code
        for language in ("en", "zh-hans"):
            with translation.override(language):
                names[str(label).strip().lower()] = code
    return names


def check_rows(*, lender: Organization, rows: Iterable[tuple[int, Mapping]], default_source: str
               ) -> tuple[ImportReport, list[PriceRow]]:
    """Check every row (a number and its raw cells by column name); return the report and the valid rows."""
    rows = list(rows)
    report = ImportReport(total=len(rows))
    codes = {str(raw.get("commodity") or "").strip().upper() for _n, raw in rows}
    commodities = {c.code: c for c in Commodity.objects.filter(code__in=codes)}
    eligible = set(CommodityEligibility.objects.filter(lender=lender, is_active=True, commodity__code__in=codes)
                   .values_list("commodity_id", flat=True))
    sources = _sources()
    today = timezone.localdate()
    seen: dict[tuple, int] = {}
    valid: list[PriceRow] = []
    for number, raw in rows:
        errors: list[RowError] = []
        code = str(raw.get("commodity") or "").strip().upper()
        commodity = commodities.get(code)
        if not code:
            errors.append(RowError(number, "commodity", _("The commodity code is missing.")))
        elif commodity is None:
            errors.append(RowError(number, "commodity", _("Unknown commodity code %(code)s.") % {"code": code}))
        elif commodity.pk not in eligible or not commodity.is_active:
            errors.append(RowError(number, "commodity", _("%(lender)s does not accept %(commodity)s as collateral.")
                                   % {"lender": lender, "commodity": commodity.code}))
            commodity = None
        price = None
        try:
            price = parse_amount(raw.get("price", ""))
            if price <= 0:
                errors.append(RowError(number, "price", _("The price must be greater than zero.")))
                price = None
            elif price != price.quantize(PRICE_PLACES):
                errors.append(RowError(number, "price", _("Prices have at most six decimal places.")))
                price = None
            elif price >= MAX_PRICE:
                errors.append(RowError(number, "price", _("The price is too large.")))
                price = None
        except (InvalidOperation, ValueError):
            errors.append(RowError(number, "price", _("“%(value)s” is not a price.") % {"value": raw.get("price", "")}))
        effective = None
        try:
            effective = parse_date(raw.get("date", ""))
            if effective > today:
                errors.append(RowError(number, "date", _("A price cannot take effect in the future.")))
                effective = None
        except (ValueError, TypeError):
            errors.append(RowError(number, "date", _("“%(value)s” is not a date (use YYYY-MM-DD).")
                                   % {"value": raw.get("date", "")}))
        source_text = str(raw.get("source") or "").strip().lower()
        source = sources.get(source_text) if source_text else default_source
        if source is None:
            errors.append(RowError(number, "source", _("Unknown source “%(value)s” (exchange, spot, appraisal or "
                                                       "invoice).") % {"value": raw.get("source")}))
        currency = str(raw.get("currency") or "CNY").strip().upper()
        if currency not in CURRENCIES:
            errors.append(RowError(number, "currency", _("Unknown currency %(cur)s.") % {"cur": currency}))
        reference = str(raw.get("reference") or "").strip()
        if len(reference) > 200:
            errors.append(RowError(number, "reference", _("The reference is longer than 200 characters.")))
        if not errors:  # a row with problems reserves nothing: only valid rows are compared
            key = (commodity.pk, source, effective, currency)
            if key in seen:
                errors.append(RowError(number, "commodity", _("Same commodity, source and date as row %(row)d.")
                                       % {"row": seen[key]}))
            else:
                seen[key] = number
        if errors:
            report.errors.extend(errors)
            continue
        valid.append(PriceRow(number=number, commodity=commodity, price=price, effective_date=effective,
                              source=source, currency=currency, reference=reference))
    _mark_entered(lender, valid, report)
    bad = {e.row for e in report.errors}
    report.errors.sort(key=lambda e: (e.row, e.field))
    return report, [row for row in valid if row.number not in bad]


def _mark_entered(lender: Organization, rows: list[PriceRow], report: ImportReport) -> None:
    """Flag every row whose commodity, source and date already have a price entered or approved."""
    if not rows:
        return
    existing = set(CommodityPrice.objects.filter(
        lender=lender, commodity_id__in={r.commodity.pk for r in rows},
        effective_date__in={r.effective_date for r in rows},
        state__in=[CommodityPrice.State.PROPOSED, CommodityPrice.State.APPROVED])
        .values_list("commodity_id", "source", "effective_date", "currency"))
    for row in rows:
        if (row.commodity.pk, row.source, row.effective_date, row.currency) in existing:
            report.errors.append(RowError(row.number, "commodity", _(
                "A price of %(commodity)s from this source on %(date)s is already entered.")
                % {"commodity": row.commodity.code, "date": row.effective_date.isoformat()}))


def read_price_file(data: bytes) -> tuple[list[tuple[int, dict]], dict[str, str]]:
    """Return the rows of a CSV or XLSX price file as (row number, cells by column name), and the columns' titles.

    The titles (each column's name → its header as the file writes it, "结算价" or "Settlement_Price") let the
    report name a column as the person's own file does.
    """
    columns, body = read_table(data, headers=HEADERS, required=REQUIRED)
    rows = [(number, {name: values[index] if index < len(values) else "" for name, index in columns.items()})
            for number, values in body]
    return rows, dict(columns.titles)


@audited
def price_batch_import(*, lender: Organization, rows: Iterable[tuple[int, Mapping]], name: str, acting_user: User,
                       default_source: str = CommodityPrice.Source.EXCHANGE, only_valid: bool = False,
                       titles: Mapping[str, str] | None = None) -> tuple[ImportReport, PriceBatch | None]:
    """Check the rows and save them as one proposed batch; nothing when a row has a problem, unless asked.

    The lender's row is locked while the duplicates are checked and the prices saved, so that two files
    sent at once cannot both enter the same commodity, source and date.
    """
    require(can_propose_price(acting_user, lender))
    Organization.objects.select_for_update().filter(pk=lender.pk).first()
    report, valid = check_rows(lender=lender, rows=rows, default_source=default_source)
    report.titles = dict(titles or {})
    if (report.errors and not only_valid) or not valid:
        return report, None
    batch = PriceBatch.objects.create(lender=lender, name=(name or "")[:200] or _("Price file"),
                                      created_by=acting_user)
    CommodityPrice.objects.bulk_create([
        CommodityPrice(lender=lender, commodity=row.commodity, price=row.price, currency=row.currency,
                       source=row.source, reference=row.reference, effective_date=row.effective_date,
                       created_by=acting_user, batch=batch) for row in valid])
    audit_record(actor=acting_user, action="pledge.price_batch.propose", target=batch,
                 note=f"{len(valid)} prices of {report.total} rows")
    report.created = len(valid)
    report.saved = True
    return report, batch


def can_decide_batch(user: User, batch: PriceBatch) -> bool:
    """Whether the user may approve or reject the file: the lender's staff entitled to it, not its maker."""
    return (batch.state == PriceBatch.State.PROPOSED and user.pk != batch.created_by_id
            and staff_may(user, APPROVE_PRICE, batch.lender_id))


@audited
def price_batch_decide(*, batch: PriceBatch, acting_user: User, verb: str, note: str = "") -> PriceBatch:
    """Approve or reject a whole file by a second person: its prices decided at once, one audit record."""
    if verb not in ("approve", "reject"):
        raise ValueError(verb)
    batch = PriceBatch.objects.select_for_update().select_related("lender").get(pk=batch.pk)
    if batch.state != PriceBatch.State.PROPOSED:
        raise PriceAlreadyDecided(_("This price file was already %(state)s.") % {"state": batch.get_state_display()})
    if acting_user.pk == batch.created_by_id:
        raise PriceFourEyes(_("You entered this price file; a second person must approve it."))
    require(staff_may(acting_user, APPROVE_PRICE, batch.lender_id),
            _("Only a risk manager or the credit committee of %(lender)s approves its prices.")
            % {"lender": batch.lender})
    at = timezone.now()
    prices = CommodityPrice.objects.filter(batch=batch, state=CommodityPrice.State.PROPOSED)
    batch.decision_note = (note or "").strip()[:500]
    # The transition is the file's one audit record (with how many prices it decided); the prices follow in one
    # statement.
    count = prices.count()
    getattr(batch, verb)(by=acting_user, at=at,
                         note=f"{count} prices" + (f": {batch.decision_note}" if batch.decision_note else ""))
    batch.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    prices.update(state=batch.state, decided_by=acting_user, decided_at=at)
    if batch.state == PriceBatch.State.APPROVED:
        # The agreements holding its commodities are re-valued in this transaction (one statement).
        revalue_after_price_batch(batch=batch, acting_user=acting_user)
    return batch
