"""Developer machine: DEBUG on unless DEBUG=false is set, a fixed insecure key unless one is given."""

import os

# Decided before base.py reads it, so that base's hardening follows the same value.
os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: E402,F401,F403
from .base import env  # noqa: E402

SECRET_KEY = env("SECRET_KEY", default="local-insecure-key-only-for-development-0123456789abcdef")

# The demo's e-mails (notifications, password resets) go one file per message into var/mail/ instead of onto
# the console, where they drowned the server's log; EMAIL_BACKEND and EMAIL_FILE_PATH change either.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))  # noqa: F405
