"""The receipts and suspense lists: search, filters, sort orders and exported columns (scf.core.listing)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from scf.core import tenancy
from scf.core.listing import Column, ListFilterSet, Listing, amount_filters, date_filters
from scf.parties.models import Organization

from .models import Receipt


def _parties(request):
    if request is None:
        return Organization.objects.none()
    return tenancy.visible(Organization, request.user).order_by("legal_name")


class ReceiptFilter(ListFilterSet):
    state = django_filters.ChoiceFilter(field_name="status", choices=Receipt.Status.choices, label=_("Status"),
                                        empty_label=_("Any"))
    kind = django_filters.ChoiceFilter(choices=Receipt.Kind.choices, label=_("Kind"), empty_label=_("Any"))
    party = django_filters.ModelChoiceFilter(field_name="payer", queryset=_parties, label=_("Payer"),
                                             empty_label=_("Any"))
    date_from, date_to = date_filters("value_date")
    amount_min, amount_max = amount_filters("amount")

    class Meta(ListFilterSet.Meta):
        model = Receipt
        fields = []

    def search_q(self, term: str) -> Q:
        payers = Organization.objects.filter(
            Q(legal_name__icontains=term) | Q(legal_name_en__icontains=term) | Q(uscc=term.upper())).values("pk")
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
    Column(_("Kind"), "get_kind_display"),
    Column(_("Status"), "get_status_display"),
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
