"""Form fields every page shares."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# "1,000.00" or "1000.00": the commas, when there are any, group the whole part by thousands.
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


class AmountField(forms.DecimalField):
    """An amount typed as people write it, with or without thousands separators ("1,000.00").

    Uploads read amounts the same way (scf.core.tabular.parse_amount). A text box, not a number
    input: browsers refuse a comma in <input type="number"> and send nothing. Commas that do not
    group by thousands ("1,00.00") are refused rather than guessed at.
    """

    widget = forms.TextInput
    default_error_messages = {
        "grouping": _("Group the digits by thousands (1,000.00) or write none (1000.00)."),
    }

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.setdefault("inputmode", "decimal")
        return attrs

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("，", ",").replace(" ", "").replace("\u00a0", "")
            if "," in value:
                if not _GROUPED.match(value):
                    raise ValidationError(self.error_messages["grouping"], code="grouping")
                value = value.replace(",", "")
        return super().to_python(value)
