"""Collect only the static files a page of ours serves.

viewflow ships 49 MB of assets (its Material frontend, plotly and dash bundles, fonts) that no
page here uses: the portal, the inbox and the task pages are our own templates. With source maps
and Swagger's ReDoc twin (the docs page is Swagger UI), they were most of the 159 MB collectstatic
wrote and compressed on every `make run`. Patterns match a directory's or a file's name, or a
file's path (django.contrib.staticfiles.utils.get_files).
"""

from django.apps import apps

UNUSED_STATIC = [
    "viewflow",  # viewflow/static/viewflow/: the Material frontend, never rendered here
    "redoc",  # drf_spectacular_sidecar's ReDoc: the API docs page is Swagger UI
    "*.map",  # source maps: for debugging the vendors' minified code, not served to anyone
]


def leave_out_unused_static() -> None:
    """Add UNUSED_STATIC to the patterns collectstatic ignores (the staticfiles app's `ignore_patterns`).

    Done from CoreConfig.ready rather than by a StaticFilesConfig subclass in INSTALLED_APPS, which
    pytest-django's live server would not recognise as staticfiles and so would serve no CSS.
    """
    config = apps.get_app_config("staticfiles")
    config.ignore_patterns = [*config.ignore_patterns, *(p for p in UNUSED_STATIC if p not in config.ignore_patterns)]
