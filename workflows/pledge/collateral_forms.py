"""Forms of the collateral pages: the declaration's lines, the warehouse's count and refusal."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from scf.core.widgets import DateInput

from .collateral import IntakeLine
from .models import Commodity

KIND_CHOICES = [(IntakeLine.RECEIPT, _("Warehouse receipt")), (IntakeLine.LOT, _("Inventory lot"))]


class IntakeLineForm(forms.Form):
    """One receipt (declared whole, with its dates) or one lot (with what identifies the goods)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=KIND_CHOICES, initial=IntakeLine.RECEIPT)
    number = forms.CharField(label=_("Receipt or lot number"), max_length=60)
    commodity = forms.ModelChoiceField(label=_("Commodity"), queryset=Commodity.objects.none())
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=20, decimal_places=3)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    issued_on = forms.DateField(label=_("Receipt issued on"), required=False, widget=DateInput())
    expires_on = forms.DateField(label=_("Receipt expires on"), required=False, widget=DateInput())
    description = forms.CharField(label=_("Description of the lot"), max_length=300, required=False)

    def __init__(self, *args, commodities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commodity"].queryset = commodities if commodities is not None else Commodity.objects.none()

    def clean(self):
        data = super().clean()
        if data.get("kind") == IntakeLine.RECEIPT and not data.get("issued_on") and "issued_on" not in self.errors:
            self.add_error("issued_on", _("Enter the date the receipt was issued."))
        return data

    def line(self) -> IntakeLine:
        data = self.cleaned_data
        return IntakeLine(kind=data["kind"], number=data["number"], commodity=data["commodity"],
                          quantity=data["quantity"], location=data.get("location") or "",
                          issued_on=data.get("issued_on"), expires_on=data.get("expires_on"),
                          description=data.get("description") or "")


class BaseIntakeLineFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not [form for form in self.forms if form.has_changed() and not self._should_delete_form(form)]:
            raise forms.ValidationError(_("Declare at least one receipt or lot."), code="required")

    def lines(self) -> list[IntakeLine]:
        return [form.line() for form in self.forms if form.has_changed()]


IntakeLineFormSet = forms.formset_factory(IntakeLineForm, formset=BaseIntakeLineFormSet, extra=3, max_num=50,
                                          validate_max=True)


class IntakeNoteForm(forms.Form):
    note = forms.CharField(label=_("Note to the warehouse"), max_length=1000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Why the goods cannot be confirmed"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))
