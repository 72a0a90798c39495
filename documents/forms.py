from django import forms
from django.utils.translation import gettext_lazy as _

from .languages import Language


class SignForm(forms.Form):
    organization = forms.TypedChoiceField(label=_("Sign for"), coerce=int)
    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
                               help_text=_("Re-enter your password to sign."))
    otp_code = forms.CharField(label=_("Code from your authenticator app"), required=False, max_length=10,
                               widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
                               help_text=_("A fresh 6-digit code: signing asks for your second factor again."))
    confirm = forms.BooleanField(label=_("I have read this document and sign it on behalf of the organization."))

    def __init__(self, *args, organizations=(), second_factor: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = [(o.pk, o.legal_name) for o in organizations]
        if not second_factor:
            del self.fields["otp_code"]


class VerifyForm(forms.Form):
    file = forms.FileField(label=_("PDF file"), required=False)
    sha256 = forms.CharField(label=_("or its SHA-256"), required=False, max_length=64, min_length=64,
                             widget=forms.TextInput(attrs={"class": "mono", "placeholder": "e3b0c442…"}))

    def clean_sha256(self):
        value = self.cleaned_data["sha256"].strip().lower()
        if value and any(c not in "0123456789abcdef" for c in value):
            raise forms.ValidationError(_("A SHA-256 is 64 hexadecimal characters."), code="invalid")
        return value

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("file") and not cleaned.get("sha256") and not self.errors:
            raise forms.ValidationError(_("Choose a PDF file or enter its SHA-256."), code="required")
        return cleaned


class GenerateForm(forms.Form):
    agreement_language = forms.ChoiceField(label=_("Language of the agreement"), widget=forms.RadioSelect,
                                 choices=Language.choices,
                                 help_text=_("One agreement, signed once by each party: in one language, or in "
                                             "Chinese and English as parallel text (the Chinese text governs)."))
