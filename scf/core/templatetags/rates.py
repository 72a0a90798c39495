"""Rates on pages as people read them: 0.065 → 6.50%, never rounded away (as the contracts print them)."""

from django import template

from scf.money import format_rate

register = template.Library()


@register.filter
def percent(rate):
    return format_rate(rate) or ""
