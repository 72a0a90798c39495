"""The documents list: search, filters, sort orders and exported columns (scf.core.listing)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from scf.core.listing import Column, ListFilterSet, Listing, date_filters, parties_matching

from . import registry
from .languages import Language
from .models import Document, DocumentParty


def _kinds():
    return [(kind.code, kind.title) for kind in registry.all_kinds()]


class DocumentFilter(ListFilterSet):
    kind = django_filters.ChoiceFilter(choices=_kinds, label=_("Kind"), empty_label=_("Any"))
    state = django_filters.ChoiceFilter(choices=Document.State.choices, label=_("State"), empty_label=_("Any"))
    party = django_filters.CharFilter(label=_("Party"), method="filter_party")
    date_from, date_to = date_filters("created_at__date")

    class Meta(ListFilterSet.Meta):
        model = Document
        fields = []

    def filter_party(self, queryset, name, value):
        if not value.strip():
            return queryset
        named = DocumentParty.objects.filter(organization_id__in=parties_matching(value)).values("document_id")
        return queryset.filter(pk__in=named)

    def search_q(self, term: str) -> Q:
        parties = parties_matching(term)
        named = DocumentParty.objects.filter(organization_id__in=parties).values("document_id")
        return Q(number__icontains=term) | Q(title__icontains=term) | Q(pk__in=named)


DOCUMENTS = Listing(
    name="documents", filterset_class=DocumentFilter, default_sort="-created",
    sorts={"created": (_("Created"), ("created_at",)), "number": (_("Number"), ("number",))},
    columns=[
        Column(_("Number"), "number"),
        Column(_("Version"), "version", "number"),
        Column(_("Document"), "title"),
        Column(_("Language"), "language", choices=Language.choices),
        Column(_("Parties"), lambda d: "; ".join(p.organization.legal_name for p in d.document_parties.all())),
        Column(_("Created"), "created_at", "datetime"),
        Column(_("State"), "state", choices=Document.State.choices),
    ])
