"""Production: secrets are required; the hardening in base.py applies (DEBUG is off).

That is HTTPS behind a proxy (SSL redirect, HSTS with subdomains and preload, secure session and
CSRF cookies), Referrer-Policy same-origin, X-Content-Type-Options nosniff, X-Frame-Options DENY,
and the Content Security Policy. `make check-deploy` holds it (tests/test_security_headers.py).
"""

from .base import *  # noqa: F401,F403
from .base import env

SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
# One JSON object a log line, with the request id, unless LOG_FORMAT says otherwise.
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = {**LOGGING, "handlers": {"console": {**LOGGING["handlers"]["console"],  # noqa: F405
                                               "formatter": "json" if LOG_FORMAT == "json" else "text"}}}
