"""Rates on pages as people read them: 0.065 → 6.50%, never rounded away (as the contracts print them)."""

from django import template

from documents.context import percent as _percent

register = template.Library()


@register.filter
def percent(rate):
    return _percent(rate) or ""
