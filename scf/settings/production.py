"""Production: secrets are required; the hardening in base.py applies (DEBUG is off)."""

from .base import *  # noqa: F401,F403
from .base import env

SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
