"""Lists users search, filter, sort, page and export: one way for every list of the portal.

A list page passes the queryset the user may see (its tenancy rule, unchanged) and a `Listing`:
a django-filter `ListFilterSet` (search box, state, party, date and amount ranges), the sort
orders it offers and the columns it exports. `list_page` answers either the page's rows or,
with `?export=csv` / `?export=xlsx`, the same filtered rows as a file. Everything the user chose
is in the query string, so a view can be bookmarked and the export links carry the filter.

Paging is by page number, reading one row more than the page to know whether another follows
(no COUNT over the whole book). Every order ends on the primary key, so pages never overlap.

Search on a large table goes through `rows_matching`: the ids each part of the search selects
(reference, invoice number, party) are read first, each part served by its own index (trigram
indexes on PostgreSQL, `scf.core.trigram`), rather than OR-ing them in the page's query, where
no index can serve them (see its docstring for the figures).

Exports stream: the CSV is written row by row from a server-side cursor
(`QuerySet.iterator`), the XLSX with openpyxl's write-only workbook, which keeps its rows in a
temporary file rather than in memory, then sent from that file. Amounts are numbers (with a
number format in XLSX), dates are dates, headers are in the user's language.
"""

from __future__ import annotations

import csv
import datetime
import itertools
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from scf.parties.models import Organization

from .forms import AmountField
from .widgets import DateInput

PAGE_SIZE = 50
#: Up to how many matching rows a search reads the ids of before the page (`rows_matching`).
SEARCH_IDS = 2000
EXPORT_CHUNK = 2000
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Column:
    """One exported column: its header, how to read it from a row and what kind of value it is.

    `value` is an attribute path ("supplier.legal_name") or a function of the row; `kind` is
    "text", "money", "number", "date" or "datetime". With `choices` (a field's choices), the
    stored value is shown by its label, translated once per export rather than once per row.
    """

    label: Any
    value: str | Callable[[Any], Any]
    kind: str = "text"
    choices: Sequence[tuple[Any, Any]] | None = None

    def read(self, row) -> Any:
        if callable(self.value):
            return self.value(row)
        value = row
        for part in self.value.split("."):
            value = getattr(value, part, None) if value is not None else None
            if callable(value):
                value = value()
        return value

    def reader(self) -> Callable[[Any], Any]:
        """Return a function reading this column from a row, in the active language."""
        if self.choices is None:
            return self.read
        labels = {key: str(label) for key, label in self.choices}
        return lambda row: labels.get(self.read(row), self.read(row))


def _plain(value, kind: str):
    """A value as a CSV cell: amounts as plain numbers (1234.50), dates as ISO 8601, text as text."""
    if value is None:
        return ""
    if kind == "datetime" and isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else (
            value.strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _cell_value(value, kind: str):
    """A value as an XLSX cell: Excel has no time zones, so a moment is written in the reader's local time."""
    if kind == "datetime" and isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    if value is not None and not isinstance(value, (int, float, Decimal, datetime.date, str)):
        return str(value)
    return value


class ListFilterForm(forms.Form):
    """The filter form of every list: ranges the wrong way round are an error on the form."""

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", ValidationError(_("The end date is before the start date."),
                                                      code="date_range"))
        low, high = data.get("amount_min"), data.get("amount_max")
        if low is not None and high is not None and low > high:
            self.add_error("amount_max", ValidationError(_("The largest amount is below the smallest."),
                                                         code="amount_range"))
        return data


class AmountFilter(django_filters.NumberFilter):
    """An amount bound, typed with or without thousands separators."""

    field_class = AmountField


def date_filters(field_name: str, labels: tuple = (_("From"), _("To"))
                 ) -> tuple[django_filters.DateFilter, django_filters.DateFilter]:
    """The `date_from` / `date_to` pair on one date field (a datetime field: pass "created_at__date")."""
    return (django_filters.DateFilter(field_name=field_name, lookup_expr="gte", label=labels[0], widget=DateInput),
            django_filters.DateFilter(field_name=field_name, lookup_expr="lte", label=labels[1], widget=DateInput))


def amount_filters(field_name: str) -> tuple[AmountFilter, AmountFilter]:
    """The `amount_min` / `amount_max` pair on one amount field."""
    return (AmountFilter(field_name=field_name, lookup_expr="gte", label=_("Amount from")),
            AmountFilter(field_name=field_name, lookup_expr="lte", label=_("Amount to")))


def parties_matching(term: str) -> QuerySet:
    """The ids of organisations named like `term` (Chinese or English name) or whose credit code it is."""
    term = term.replace("\x00", "").strip()
    return Organization.objects.filter(Q(legal_name__icontains=term) | Q(legal_name_en__icontains=term)
                                       | Q(uscc=term.upper())).values("pk")


def party_ids(term: str) -> list[int]:
    """The ids `parties_matching` selects, read now: a query on a large table then knows how many.

    As a subquery, PostgreSQL guesses how many organisations `LIKE '%40%'` selects (81 of 223)
    and reads every financing to join them; with the ids in hand it asks the foreign key's index.
    """
    return list(parties_matching(term).values_list("pk", flat=True))


def rows_matching(parts: Sequence[QuerySet], otherwise: Q) -> Q:
    """The rows whose primary key one of `parts` selects, as a condition indexes can serve.

    Each part is a queryset of the rows' ids (`values_list(..., flat=True)`) that one index serves
    on its own: a trigram index under `reference__icontains`, a foreign key's index under
    `supplier_id__in`. `otherwise` is the same search as one condition on the row, OR-ing the
    parts (`Q(reference__icontains=…) | Q(supplier_id__in=…)`): no index serves it, since
    PostgreSQL cannot put an `IN (subquery)` into a bitmap OR, so it reads the list in its order
    testing every row: 100–160 ms of SQL at 100,000 financings when the matches are rare
    (bench/lists.py). The UNION ALL of the parts as the page's `IN (subquery)` uses the indexes
    but is planned on guesses (a two-letter term matching every row took 2 s).

    So the ids are read first, at most SEARCH_IDS + 1 of them: when there are no more than
    SEARCH_IDS, the page's query fetches exactly those by primary key and sorts them (a few ms);
    when there are more, matches are common, reading the list in its order meets a page of them
    soon, and `otherwise` is the faster query. One query more per search. The parts are not
    narrowed by tenancy (the page's query is), so the cap counts every lender's matches.
    """
    first, *rest = [part.order_by() for part in parts]
    ids = _serial_read((first.union(*rest, all=True) if rest else first)[:SEARCH_IDS + 1])
    return Q(pk__in=ids) if len(ids) <= SEARCH_IDS else otherwise


def _serial_read(queryset: QuerySet) -> list:
    """Read `queryset` without parallel workers on PostgreSQL.

    Its planner runs the union's parts in parallel workers to save a few ms of index scans, but
    starting the workers took some 35 ms of the 37 on a busy two-core machine (5 ms without).
    """
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return list(queryset)
    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")
        try:
            return list(queryset)
        finally:
            cursor.execute("RESET max_parallel_workers_per_gather")


def party_filter(*fields: str, label=None) -> django_filters.CharFilter:
    """A party typed by name or credit code, matched on any of the row's party `fields` ("supplier", ...).

    A text box rather than a drop-down of every organisation: the list of a large lender's
    counterparties would make every page heavy. It only narrows rows the user may already see.
    """

    def narrow(queryset, name, value):
        if not value.strip():
            return queryset
        ids = party_ids(value)
        rows = queryset.model._default_manager
        parts, condition = [], Q()
        for party in fields:
            parts.append(rows.filter(**{f"{party}_id__in": ids}).values_list("pk", flat=True))
            condition |= Q(**{f"{party}_id__in": ids})
        return queryset.filter(rows_matching(parts, condition))

    return django_filters.CharFilter(label=label or _("Party"), method=narrow)


class ListFilterSet(django_filters.FilterSet):
    """A list's filters; `q` searches the fields `search_q` names (a subclass says which).

    A list of many rows also names `search_parts`, the same search as querysets of ids that an
    index serves one by one; the search then goes through `rows_matching`.
    """

    q = django_filters.CharFilter(label=_("Search"), method="filter_search")

    class Meta:
        form = ListFilterForm

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # PostgreSQL refuses NUL characters in a query (a 500); they never belong in a search.
        term = value.replace("\x00", "").strip()
        if not term:
            return queryset
        parts = self.search_parts(term)
        return queryset.filter(rows_matching(parts, self.search_q(term)) if parts else self.search_q(term))

    def search_q(self, term: str) -> Q:
        raise NotImplementedError

    def search_parts(self, term: str) -> list[QuerySet]:
        """The search as querysets of the rows' ids, one per index (none: `search_q` alone)."""
        return []


@dataclass
class Listing:
    """What a list offers: its filters, sort orders (key → label, fields) and exported columns."""

    name: str
    filterset_class: type[ListFilterSet]
    sorts: dict[str, tuple[Any, tuple[str, ...]]]
    default_sort: str
    columns: Sequence[Column] = field(default_factory=list)
    page_size: int = PAGE_SIZE

    def sort_options(self) -> list[tuple[str, str]]:
        options = []
        for key, (label, _fields) in self.sorts.items():
            options.append((key, f"{label} ↑"))
            options.append((f"-{key}", f"{label} ↓"))
        return options

    def order_by(self, sort: str) -> tuple[str, ...]:
        key = sort.lstrip("-")
        fields = self.sorts[key][1]
        if sort.startswith("-"):
            fields = tuple(f[1:] if f.startswith("-") else f"-{f}" for f in fields)
        tie = "-pk" if fields and fields[0].startswith("-") else "pk"
        return (*fields, tie)


@dataclass
class ListPage:
    """One page of a list, with what the shared templates need to show its filters and pager."""

    listing: Listing
    filterset: ListFilterSet
    rows: list
    sort: str
    page: int
    has_next: bool
    query: str  # the filter and sort, without page or export, for links

    @property
    def form(self):
        return self.filterset.form

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def sort_options(self) -> list[tuple[str, str]]:
        return self.listing.sort_options()

    @property
    def valid(self) -> bool:
        return not self.filterset.form.errors

    def link(self, **extra) -> str:
        parts = [self.query] if self.query else []
        parts += [f"{key}={value}" for key, value in extra.items()]
        return "?" + "&".join(parts)

    @property
    def next_link(self) -> str:
        return self.link(page=self.page + 1)

    @property
    def previous_link(self) -> str:
        return self.link(page=self.page - 1)

    @property
    def csv_link(self) -> str:
        return self.link(export="csv")

    @property
    def xlsx_link(self) -> str:
        return self.link(export="xlsx")


def _query_without(request, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    for key in [k for k, values in params.lists() if not any(values)]:
        params.pop(key)
    return params.urlencode()


def list_filter(request, listing: Listing, queryset: QuerySet) -> tuple[ListFilterSet, QuerySet, str]:
    """Return the bound filter set, the filtered and sorted rows (none when the filter is invalid) and the sort."""
    filterset = listing.filterset_class(request.GET or None, queryset=queryset, request=request)
    sort = request.GET.get("sort") or listing.default_sort
    if sort.lstrip("-") not in listing.sorts:
        sort = listing.default_sort
    if filterset.is_bound and not filterset.is_valid():
        return filterset, queryset.none(), sort
    return filterset, filterset.qs.order_by(*listing.order_by(sort)), sort


def list_page(request, listing: Listing, queryset: QuerySet, template: str, context: dict | None = None,
              *, rows: Callable[[list], list] | None = None, status: int | None = None) -> HttpResponse:
    """Render one page of the list, or its export when the query asks for one.

    `rows` may decorate the page's rows after they are read (permissions shown per row).
    An invalid filter shows its errors on the form and no rows (400); it never exports.
    """
    filterset, filtered, sort = list_filter(request, listing, queryset)
    valid = not (filterset.is_bound and filterset.errors)
    export = request.GET.get("export")
    if export in ("csv", "xlsx") and valid:
        return list_export(filtered, listing.columns, name=listing.name, fmt=export)
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    size = listing.page_size
    if page == 1:
        found = list(filtered[:size + 1])
    else:
        # A deep page skips rows by their ids alone (in an index's order, no joins), then reads its
        # own rows whole by primary key: OFFSET over the full rows joined their parties for every
        # row skipped (65 ms of SQL at page 200 of 100,000, 14 ms this way). The second query
        # leaves out the filters the ids already met, which only confused its plan.
        ids = list(filtered.values_list("pk", flat=True)[(page - 1) * size: page * size + 1])
        found = list(queryset.filter(pk__in=ids).order_by(*listing.order_by(sort))) if ids else []
    found, has_next = found[:size], len(found) > size
    if rows is not None:
        found = rows(found)
    result = ListPage(listing=listing, filterset=filterset, rows=found, sort=sort, page=page, has_next=has_next,
                      query=_query_without(request, "page", "export"))
    context = {**(context or {}), "listing": result}
    return render(request, template, context, status=status or (200 if valid else 400))


def _filename(name: str, extension: str) -> str:
    return f"{name}-{timezone.localdate().isoformat()}.{extension}"


class _Echo:
    """A file-like object that hands each written line back, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_rows(queryset: QuerySet, columns: Sequence[Column], language: str | None) -> Iterator[str]:
    """Yield the CSV text: a byte-order mark (Excel then reads UTF-8), the header, then the rows in chunks.

    The language is switched on only while a chunk is written: the generator runs after the view
    returned, when the request's language may no longer be active.
    """
    writer = csv.writer(_Echo())
    with translation.override(language):
        header = writer.writerow([str(column.label) for column in columns])
        readers = [(column.reader(), column.kind) for column in columns]
    yield "\ufeff" + header
    rows = queryset.iterator(chunk_size=EXPORT_CHUNK)
    while chunk := list(itertools.islice(rows, 500)):
        with translation.override(language):
            yield "".join(writer.writerow([_plain(read(row), kind) for read, kind in readers]) for row in chunk)


def xlsx_write(queryset: QuerySet, columns: Sequence[Column], target, *, title: str = "") -> int:
    """Write the rows as an XLSX workbook to the open binary file `target`; return how many rows were written."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(title or "Sheet1")[:31])
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.label))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    formats = {"money": MONEY_FORMAT, "date": DATE_FORMAT, "datetime": DATETIME_FORMAT}
    readers = [(column.reader(), column.kind, formats.get(column.kind)) for column in columns]
    count = 0
    for row in queryset.iterator(chunk_size=EXPORT_CHUNK):
        cells = []
        for read, kind, number_format in readers:
            value = _cell_value(read(row), kind)
            if number_format and value is not None and value != "":
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = number_format
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        count += 1
    workbook.save(target)
    return count


def list_export(queryset: QuerySet, columns: Sequence[Column], *, name: str, fmt: str) -> HttpResponse:
    """Answer the rows as a streamed CSV or an XLSX file built on disk, never whole in memory."""
    language = translation.get_language()
    if fmt == "csv":
        response = StreamingHttpResponse(csv_rows(queryset, columns, language), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{_filename(name, "csv")}"'
        return response
    target = tempfile.TemporaryFile()
    xlsx_write(queryset, columns, target, title=name)
    target.seek(0)
    return FileResponse(target, as_attachment=True, filename=_filename(name, "xlsx"),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
