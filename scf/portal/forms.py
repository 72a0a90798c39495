from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from scf.core.fields import CURRENCY_CHOICES
from scf.core.forms import AmountField
from scf.core.widgets import DateInput
from scf.facilities.models import DayCountChoice, Product
from scf.parties.models import KycDocument, Organization


class KycUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=KycDocument.Kind.choices)
    file = forms.FileField(label=_("File (PDF, PNG or JPEG, at most 10 MB)"))


class KycRejectForm(forms.Form):
    note = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class KycVerifyForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    expires_on = forms.DateField(label=_("Valid until"), required=False,
                                 widget=DateInput())


class FacilityForm(forms.Form):
    obligor = forms.ModelChoiceField(label=_("Obligor"), queryset=Organization.objects.none())
    product = forms.ChoiceField(label=_("Product"), choices=Product.choices)
    currency = forms.ChoiceField(label=_("Currency"), choices=[("CNY", "CNY"), ("USD", "USD"), ("EUR", "EUR"),
                                                               ("HKD", "HKD")])
    limit_amount = AmountField(label=_("Limit"), max_digits=20, decimal_places=2,
                                      min_value=Decimal("0.01"))
    revolving = forms.BooleanField(label=_("Revolving"), required=False, initial=True)
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput())
    valid_to = forms.DateField(label=_("Valid to"), widget=DateInput())
    max_tenor_days = forms.IntegerField(label=_("Maximum tenor (days)"), min_value=1, max_value=3650, initial=180)
    day_count = forms.ChoiceField(label=_("Day count"), choices=DayCountChoice.choices)

    def __init__(self, *args, obligors=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["obligor"].queryset = obligors if obligors is not None else Organization.objects.none()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", ValidationError(_("The end of validity must not be before its start."),
                                                       code="dates_out_of_order"))
        return cleaned


class TokenForm(forms.Form):
    name = forms.CharField(label=_("What is this token for?"), max_length=100)


class SettlementAccountForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organization"), queryset=Organization.objects.none(),
                                          empty_label=None)
    bank_name = forms.CharField(label=_("Bank"), max_length=200)
    branch = forms.CharField(label=_("Branch"), max_length=200, required=False)
    account_name = forms.CharField(label=_("Account name"), max_length=200)
    account_number = forms.CharField(label=_("Account number"), max_length=60)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES, initial="CNY")
    is_default = forms.BooleanField(label=_("Default account for this currency"), required=False)

    def __init__(self, *args, organizations=None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations if organizations is not None \
            else Organization.objects.none()
        if editing:
            # An account stays with its organization: a different one enters its own.
            del self.fields["organization"]


class SettlementAccountRejectForm(forms.Form):
    note = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class SecondFactorForm(forms.Form):
    code = forms.CharField(label=_("Code from your authenticator app"), max_length=20, strip=True,
                           help_text=_("The 6 digits the app shows now, or one of your recovery codes."),
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True,
                                                         "inputmode": "text", "size": 12}))


class LimitChangeForm(forms.Form):
    new_limit = AmountField(label=_("New limit"), max_digits=20, decimal_places=2, min_value=Decimal("0.01"))
    new_valid_to = forms.DateField(label=_("New end of validity"), required=False, widget=DateInput(),
                                   help_text=_("Leave empty to keep the current end of validity."))
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class LimitChangeDecisionForm(forms.Form):
    note = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class RecoveryCodesForm(forms.Form):
    code = forms.CharField(label=_("Code from your authenticator app"), max_length=6, min_length=6, strip=True,
                           help_text=_("The 6 digits the app shows now; a recovery code is not accepted here."),
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                         "size": 8}))
