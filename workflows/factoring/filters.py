"""The factoring lists' search, filters, sort orders and exported columns (scf.core.listing)."""

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
    party_ids,
)
from scf.parties.selectors import user_lender_ids, user_organization_ids

from .models import FactoringFinancing, Receivable


class FinancingFilter(ListFilterSet):
    state = django_filters.ChoiceFilter(choices=FactoringFinancing.State.choices, label=_("State"),
                                        empty_label=_("Any"))
    product = django_filters.ChoiceFilter(choices=(("factoring", _("Factoring")), ("reverse", _("Reverse factoring"))),
                                          label=_("Product"), empty_label=_("Any"), method="filter_product")
    party = party_filter("supplier", "debtor")
    date_from, date_to = date_filters("due_date", labels=(_("Due from"), _("Due to")))
    amount_min, amount_max = amount_filters("confirmed_amount")

    class Meta(ListFilterSet.Meta):
        model = FactoringFinancing
        fields = []

    def filter_product(self, queryset, name, value):
        return queryset.filter(reverse=value == "reverse")

    def search_q(self, term: str) -> Q:
        parties = parties_matching(term)
        # An uncorrelated IN: PostgreSQL hashes the few links once instead of probing per financing.
        return (Q(reference__icontains=term) | Q(supplier_id__in=parties) | Q(debtor_id__in=parties)
                | Q(pk__in=_financings_invoiced(term)))

    def search_parts(self, term: str) -> list:
        """Reference and invoice number through their trigram indexes, the parties through the foreign keys'."""
        parties = party_ids(term)
        rows = FactoringFinancing.objects.values_list("pk", flat=True)
        return [rows.filter(reference__icontains=term), rows.filter(supplier_id__in=parties),
                rows.filter(debtor_id__in=parties), _financings_invoiced(term).values_list("factoringfinancing_id",
                                                                                          flat=True)]


def _financings_invoiced(term: str):
    """The links from financings to the invoices whose number contains `term`."""
    return FactoringFinancing.receivables.through.objects.filter(
        receivable__invoice_number__icontains=term).values("factoringfinancing_id")


class ReceivableFilter(ListFilterSet):
    state = django_filters.ChoiceFilter(choices=Receivable.State.choices, label=_("State"), empty_label=_("Any"))
    party = party_filter("supplier", "debtor")
    date_from, date_to = date_filters("due_date", labels=(_("Due from"), _("Due to")))
    amount_min, amount_max = amount_filters("face_amount")

    class Meta(ListFilterSet.Meta):
        model = Receivable
        fields = []

    def search_q(self, term: str) -> Q:
        parties = parties_matching(term)
        return Q(invoice_number__icontains=term) | Q(supplier_id__in=parties) | Q(debtor_id__in=parties)

    def search_parts(self, term: str) -> list:
        parties = party_ids(term)
        rows = Receivable.objects.values_list("pk", flat=True)
        return [rows.filter(invoice_number__icontains=term), rows.filter(supplier_id__in=parties),
                rows.filter(debtor_id__in=parties)]


def _pricing_reader(user):
    """The advance as `pricing_visible_ids` allows it, row by row: a debtor sees no supplier's price."""
    if user.is_superuser:
        return lambda financing: financing.advance_amount
    lenders, own = user_lender_ids(user), user_organization_ids(user)
    return lambda financing: (financing.advance_amount
                              if financing.lender_id in lenders or financing.supplier_id in own else None)


def financing_listing(user) -> Listing:
    return Listing(
        name="financings", filterset_class=FinancingFilter, default_sort="-created",
        sorts={"created": (_("Created"), ("created_at",)), "reference": (_("Reference"), ("reference",)),
               "due": (_("Due date"), ("due_date",)), "amount": (_("Confirmed amount"), ("confirmed_amount",))},
        columns=[
            Column(_("Reference"), "reference"),
            Column(_("Supplier"), "supplier.legal_name"),
            Column(_("Supplier credit code"), "supplier.uscc"),
            Column(_("Debtor"), "debtor.legal_name"),
            Column(_("Currency"), "currency"),
            Column(_("Confirmed amount"), "confirmed_amount", "money"),
            Column(_("Advance"), _pricing_reader(user), "money"),
            Column(_("Value date"), "value_date", "date"),
            Column(_("Due date"), "due_date", "date"),
            Column(_("Advance outstanding"), "advance_outstanding", "money"),
            Column(_("State"), "state", choices=FactoringFinancing.State.choices),
            Column(_("Created"), "created_at", "datetime"),
        ])


def receivable_listing() -> Listing:
    return Listing(
        name="receivables", filterset_class=ReceivableFilter, default_sort="-created",
        sorts={"created": (_("Created"), ("created_at",)), "invoice": (_("Invoice number"), ("invoice_number",)),
               "due": (_("Due date"), ("due_date",)), "amount": (_("Face amount"), ("face_amount",))},
        columns=[
            Column(_("Invoice number"), "invoice_number"),
            Column(_("Supplier"), "supplier.legal_name"),
            Column(_("Debtor"), "debtor.legal_name"),
            Column(_("Issue date"), "issue_date", "date"),
            Column(_("Due date"), "due_date", "date"),
            Column(_("Currency"), "currency"),
            Column(_("Face amount"), "face_amount", "money"),
            Column(_("Confirmed amount"), "confirmed_amount", "money"),
            Column(_("State"), "state", choices=Receivable.State.choices),
        ])
