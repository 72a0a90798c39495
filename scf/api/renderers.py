"""Renderers of the API's answers."""

from csp.constants import UNSAFE_INLINE
from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's HTML pages for the API, under a policy of their own.

    DRF's templates carry a <style> element (code highlighting) and style="" attributes (the
    Filters button), which the site's policy refuses; these pages alone also allow inline
    styles. Scripts stay 'self' only: DRF's are static files, and its inline <script
    type="application/json"> is data that no browser executes. The attribute set here is the one
    django-csp's own @csp_update decorator sets; its middleware reads it once the response is
    rendered.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response._csp_update = {"style-src": [UNSAFE_INLINE]}
        return super().render(data, accepted_media_type, renderer_context)
