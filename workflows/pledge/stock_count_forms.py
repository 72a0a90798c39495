"""The warehouse's stock count form: one quantity per pledged item, to its unit's precision, and the count's date."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scf.core.widgets import DateInput


def count_field_name(item_pk: int) -> str:
    return f"count-{item_pk}"


class StockCountForm(forms.Form):
    """A field per item (count-<item id>): ≥ 0 with the unit's decimal places; the service checks again."""

    counted_on = forms.DateField(label=_("Counted on"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=1000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, items, **kwargs):
        kwargs.setdefault("initial", {"counted_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            places = max(0, -item.commodity.quantity_precision.as_tuple().exponent)
            self.fields[count_field_name(item.pk)] = forms.DecimalField(
                label=item.receipt.number if item.receipt_id else item.lot.lot_number, min_value=Decimal("0"), max_digits=20, decimal_places=places,
                error_messages={"min_value": _("The quantity counted cannot be below zero.")})

    def clean_counted_on(self):
        day = self.cleaned_data["counted_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The count cannot be dated in the future."), code="future")
        return day

    def counts(self) -> dict[int, Decimal]:
        return {item.pk: self.cleaned_data[count_field_name(item.pk)] for item in self.items}

    def rows(self):
        """The items with their bound field, for the table."""
        return [{"item": item, "field": self[count_field_name(item.pk)]} for item in self.items]
