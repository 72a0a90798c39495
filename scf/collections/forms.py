from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from scf.core.forms import AmountField
from scf.core.widgets import DateInput
from scf.parties.models import Organization
from scf.parties.selectors import user_lender_ids


class UnmatchedReceiptForm(forms.Form):
    lender = forms.ModelChoiceField(label=_("Received by"), queryset=Organization.objects.none(), empty_label=None)
    amount = AmountField(label=_("Amount received"), max_digits=20, decimal_places=2,
                                min_value=Decimal("0.01"))
    value_date = forms.DateField(label=_("Value date"), widget=DateInput())
    bank_reference = forms.CharField(label=_("Bank reference"), max_length=60)
    payer_name = forms.CharField(label=_("Payer as shown by the bank"), max_length=200)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        lenders = Organization.objects.filter(is_lender=True).order_by("legal_name")
        if not user.is_superuser:
            lenders = lenders.filter(pk__in=user_lender_ids(user))
        self.fields["lender"].queryset = lenders
        self.only_lender = lenders[0] if len(lenders) == 1 else None
        if self.only_lender is not None:  # the usual case: the one lender the user works for, nothing to choose
            del self.fields["lender"]

    def clean(self):
        cleaned = super().clean()
        if self.only_lender is not None:
            cleaned["lender"] = self.only_lender
        return cleaned
