"""Developer machine: DEBUG on unless DEBUG=false is set, a fixed insecure key unless one is given."""

import os

# Decided before base.py reads it, so that base's hardening follows the same value.
os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: E402,F401,F403
from .base import env  # noqa: E402

SECRET_KEY = env("SECRET_KEY", default="local-insecure-key-only-for-development-0123456789abcdef")
