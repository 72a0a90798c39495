"""The releases card of an order's page: `{% load confirming_releases %}{% order_releases_card order %}`."""

from django import template

from ..release_views import releases_card

register = template.Library()


@register.inclusion_tag("confirming/order_releases_card.html", takes_context=True)
def order_releases_card(context, order):
    """Render the order's releases for the request's user: releasable now, the releases, the goods delivered."""
    return releases_card(context["request"].user, order)
