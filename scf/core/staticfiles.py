"""Collect only the static files a page of ours serves.

viewflow ships 49 MB of assets (its Material frontend, plotly and dash bundles, fonts) that no
page here uses: the portal, the inbox and the task pages are our own templates. With source maps
and Swagger's ReDoc twin (the docs page is Swagger UI), they were most of the 159 MB collectstatic
wrote and compressed on every `make run`. Patterns match a directory's or a file's name, or a
file's path (django.contrib.staticfiles.utils.get_files).
"""

from django.contrib.staticfiles.apps import StaticFilesConfig as DjangoStaticFilesConfig

UNUSED_STATIC = [
    "viewflow",  # viewflow/static/viewflow/: the Material frontend, never rendered here
    "redoc",  # drf_spectacular_sidecar's ReDoc: the API docs page is Swagger UI
    "*.map",  # source maps: for debugging the vendors' minified code, not served to anyone
]


class StaticFilesConfig(DjangoStaticFilesConfig):
    ignore_patterns = [*DjangoStaticFilesConfig.ignore_patterns, *UNUSED_STATIC]
