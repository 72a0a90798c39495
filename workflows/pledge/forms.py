from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from scf.core.fields import CURRENCY_CHOICES
from scf.core.forms import AmountField
from scf.core.widgets import DateInput

from .models import Commodity, CommodityPrice


class PriceForm(forms.Form):
    commodity = forms.ModelChoiceField(label=_("Commodity"), queryset=Commodity.objects.none())
    price = AmountField(label=_("Unit price"), max_digits=20, decimal_places=6)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="CNY")
    source = forms.ChoiceField(label=_("Source"), choices=CommodityPrice.Source.choices)
    effective_date = forms.DateField(label=_("Effective date"), widget=DateInput())
    reference = forms.CharField(label=_("Reference"), max_length=200, required=False)

    def __init__(self, *args, commodities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commodity"].queryset = commodities if commodities is not None else Commodity.objects.none()

    def clean_price(self):
        price = self.cleaned_data["price"]
        if price <= Decimal("0"):
            raise forms.ValidationError(_("The price must be greater than zero."), code="price_not_positive")
        return price
