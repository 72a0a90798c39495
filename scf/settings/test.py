"""Test runs: only speed-ups over the base settings."""

from .base import *  # noqa: F401,F403
from .base import env

SECRET_KEY = env("SECRET_KEY", default="test-insecure-key-0123456789abcdefghijklmnopqrstuvwxyz")
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = True
AXES_FAILURE_LIMIT = 3
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
SEAL_DEMO_AUTOCREATE = True
# Most tests log staff in with force_login; the second-factor tests and the browser walks turn it on.
SECOND_FACTOR_REQUIRED = False
# Each test's connections close as they always did (the race tests and the live server open their own).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
