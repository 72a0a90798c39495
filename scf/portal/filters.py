"""The organisations' and facilities' lists: search, filters, sort orders and exported columns."""

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
from scf.facilities.models import CreditFacility, Product
from scf.parties.models import Organization


class OrganizationFilter(ListFilterSet):
    role = django_filters.ChoiceFilter(choices=Organization.Role.choices, label=_("Role"), empty_label=_("Any"),
                                       method="filter_role")
    state = django_filters.ChoiceFilter(field_name="kyc_state", choices=Organization.KycState.choices,
                                        label=_("KYC"), empty_label=_("Any"))
    date_from, date_to = date_filters("created_at__date")

    class Meta(ListFilterSet.Meta):
        model = Organization
        fields = []

    def filter_role(self, queryset, name, value):
        return queryset.filter(**{Organization.role_field(value): True})

    def search_q(self, term: str) -> Q:
        return Q(legal_name__icontains=term) | Q(legal_name_en__icontains=term) | Q(uscc__icontains=term.upper())


class FacilityFilter(ListFilterSet):
    state = django_filters.ChoiceFilter(choices=CreditFacility.State.choices, label=_("State"), empty_label=_("Any"))
    product = django_filters.ChoiceFilter(choices=Product.choices, label=_("Product"), empty_label=_("Any"))
    party = party_filter("obligor", "anchor", "lender")
    date_from, date_to = date_filters("valid_to", labels=(_("Valid to from"), _("Valid to until")))
    amount_min, amount_max = amount_filters("limit_amount")

    class Meta(ListFilterSet.Meta):
        model = CreditFacility
        fields = []

    def search_q(self, term: str) -> Q:
        parties = parties_matching(term)
        return Q(reference__icontains=term) | Q(obligor_id__in=parties) | Q(anchor_id__in=parties)


ORGANIZATIONS = Listing(
    name="organizations", filterset_class=OrganizationFilter, default_sort="name",
    sorts={"name": (_("Legal name"), ("legal_name",)), "created": (_("Created"), ("created_at",))},
    columns=[
        Column(_("Legal name"), "legal_name"),
        Column(_("Legal name in English"), "legal_name_en"),
        Column(_("Credit code"), "uscc"),
        Column(_("Roles"), lambda org: ", ".join(org.role_labels())),
        Column(_("KYC"), "kyc_state", choices=Organization.KycState.choices),
        Column(_("KYC expires on"), "kyc_expires_on", "date"),
        Column(_("Created"), "created_at", "datetime"),
    ])

FACILITIES = Listing(
    name="facilities", filterset_class=FacilityFilter, default_sort="-created",
    sorts={"created": (_("Created"), ("created_at",)), "reference": (_("Reference"), ("reference",)),
           "valid_to": (_("Valid to"), ("valid_to",)), "limit": (_("Limit"), ("limit_amount",))},
    columns=[
        Column(_("Reference"), "reference"),
        Column(_("Lender"), "lender.legal_name"),
        Column(_("Obligor"), "obligor.legal_name"),
        Column(_("Product"), "product", choices=Product.choices),
        Column(_("Currency"), "currency"),
        Column(_("Limit"), "limit_amount", "money"),
        Column(_("Used"), "used_amount", "money"),
        Column(_("Available"), "available_amount", "money"),
        Column(_("Valid from"), "valid_from", "date"),
        Column(_("Valid to"), "valid_to", "date"),
        Column(_("State"), "state", choices=CreditFacility.State.choices),
    ])
