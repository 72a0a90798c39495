"""The Swagger UI at /api/docs/, under the Content Security Policy.

drf-spectacular's default view writes its start-up script inline; the split view serves it from
the same address (`?script`), so script-src 'self' holds. The page's few base styles move from a
<style> element to static/css/swagger-ui-page.css (templates/api/swagger_ui.html). Swagger UI's
stylesheet draws its icons as data: SVG images, so this view alone also allows data: images.
"""

from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularSwaggerSplitView


@method_decorator(csp_update({"img-src": ["data:"]}), name="dispatch")
class SwaggerUIView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
