"""The receipts and suspense lists: search, filters, sort orders and exported columns (scf.core.listing)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from scf.core.listing import (
    Column,
    ListFilterSet,
    Listing,
    amount_filters,
    date_filters,
    parties_matching,
    party_filter,
)

from .models import Receipt


class ReceiptFilter(ListFilterSet):
    state = django_filters.ChoiceFilter(field_name="status", choices=Receipt.Status.choices, label=_("Status"),
                                        empty_label=_("Any"))
    kind = django_filters.ChoiceFilter(choices=Receipt.Kind.choices, label=_("Kind"), empty_label=_("Any"))
    party = party_filter("payer", label=_("Payer"))
    date_from, date_to = date_filters("value_date")
    amount_min, amount_max = amount_filters("amount")

    class Meta(ListFilterSet.Meta):
        model = Receipt
        fields = []

    def search_q(self, term: str) -> Q:
        payers = parties_matching(term)
        return (Q(bank_reference__icontains=term) | Q(case_reference__icontains=term)
                | Q(payer_name__icontains=term) | Q(payer_id__in=payers))


class SuspenseFilter(ReceiptFilter):
    """Suspense holds receipts of one status: no status filter."""

    state = None
    amount_min, amount_max = amount_filters("suspense")


_COLUMNS = [
    Column(_("Value date"), "value_date", "date"),
    Column(_("Bank reference"), "bank_reference"),
    Column(_("Payer"), lambda r: r.payer.legal_name if r.payer_id else r.payer_name),
    Column(_("Kind"), "kind", choices=Receipt.Kind.choices),
    Column(_("Status"), "status", choices=Receipt.Status.choices),
    Column(_("Case"), "case_reference"),
    Column(_("Currency"), "currency"),
    Column(_("Amount"), "amount", "money"),
    Column(_("To suspense"), "suspense", "money"),
]
_SORTS = {"value_date": (_("Value date"), ("value_date",)), "amount": (_("Amount"), ("amount",)),
          "bank_reference": (_("Bank reference"), ("bank_reference",))}

RECEIPTS = Listing(name="receipts", filterset_class=ReceiptFilter, default_sort="-value_date", sorts=_SORTS,
                   columns=_COLUMNS)
SUSPENSE = Listing(name="suspense", filterset_class=SuspenseFilter, default_sort="value_date", sorts=_SORTS,
                   columns=_COLUMNS)
