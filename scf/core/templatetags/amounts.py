"""Amounts written inside free text (a history note: "INV-1 CNY 950000.00") as the pages show amounts."""

import re

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()

# A currency code followed by a plain number: how services write amounts into audit notes.
AMOUNT_IN_TEXT = re.compile(r"\b([A-Z]{3}) (-?\d+(?:\.\d+)?)(?![\d,.]*\d)")


@register.filter
def amounts_formatted(text):
    """Return the text escaped, each "CNY 950000.00" in it grouped and with two places ("CNY 950,000.00")."""
    escaped = str(conditional_escape(text or ""))
    return mark_safe(AMOUNT_IN_TEXT.sub(lambda m: f"{m.group(1)} {floatformat(m.group(2), '2g')}", escaped))
