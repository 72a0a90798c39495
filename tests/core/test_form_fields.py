"""Every form's dates and amounts read and render alike in English and Chinese."""

import importlib
import pkgutil
from decimal import Decimal

import pytest
from django import forms
from django.utils import translation

import scf
import workflows
from scf.core.forms import AmountField
from scf.core.widgets import DateInput
from workflows.factoring.forms import ReceivableForm


def _all_form_classes() -> set[type[forms.BaseForm]]:
    for package in (scf, workflows):
        for module in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
            if module.name.startswith("scf.settings") or ".migrations" in module.name or ".management" in module.name:
                continue
            importlib.import_module(module.name)
    found, todo = set(), [forms.BaseForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith(("scf.", "workflows.")):
                found.add(sub)
    return found


def test_every_date_field_of_every_form_is_the_iso_date_picker():
    """A date input reads only YYYY-MM-DD; one rendered as 2026/12/04 (the Chinese format) shows empty."""
    forms_seen = _all_form_classes()
    assert len(forms_seen) > 20, "the walk over the forms found too few to be trusted"
    wrong = [f"{form.__module__}.{form.__qualname__}.{name}"
             for form in forms_seen for name, field in form.base_fields.items()
             if isinstance(field, forms.DateField) and not isinstance(field.widget, DateInput)]
    assert wrong == []


def test_every_two_place_decimal_field_is_an_amount_field():
    """Amounts typed with thousands separators are read the same on every form (an upload reads them too)."""
    wrong = [f"{form.__module__}.{form.__qualname__}.{name}"
             for form in _all_form_classes() for name, field in form.base_fields.items()
             if isinstance(field, forms.DecimalField) and field.decimal_places == 2
             and not isinstance(field, AmountField)]
    assert wrong == []


@pytest.mark.parametrize("typed, amount", [
    ("1,000.00", Decimal("1000.00")),
    ("1,234,567.89", Decimal("1234567.89")),
    ("1000", Decimal("1000")),
    (" 12,500.5 ", Decimal("12500.5")),
    ("2，000.00", Decimal("2000.00")),  # the full-width comma of a Chinese keyboard
])
def test_an_amount_is_read_with_or_without_thousands_separators(typed, amount):
    assert AmountField(max_digits=20, decimal_places=2).clean(typed) == amount


@pytest.mark.parametrize("typed, code", [("1,00.00", "grouping"), ("1,0000", "grouping"), ("12.3.4", "invalid"),
                                         ("1,000.001", "max_decimal_places")])
def test_an_amount_badly_grouped_or_not_a_number_is_refused_with_a_message(typed, code):
    with pytest.raises(forms.ValidationError) as refused:
        AmountField(max_digits=20, decimal_places=2).clean(typed)
    assert [error.code for error in refused.value.error_list] == [code]


def test_the_invoice_form_takes_a_face_amount_with_separators_and_refuses_a_bad_one_in_both_languages():
    data = {"invoice_number": "INV-1", "issue_date": "2026-12-01", "due_date": "2027-03-01", "currency": "CNY"}
    form = ReceivableForm(data={**data, "face_amount": "1,000.00"})
    form.is_valid()
    assert "face_amount" not in form.errors
    assert form.cleaned_data["face_amount"] == Decimal("1000.00")
    for language, message in (("en", "Group the digits by thousands"), ("zh-hans", "千分位")):
        with translation.override(language):
            form = ReceivableForm(data={**data, "face_amount": "1,00.00"})
            assert not form.is_valid()
            assert message in form.errors["face_amount"][0]
    html = str(ReceivableForm()["face_amount"])
    assert 'type="text"' in html and 'inputmode="decimal"' in html
