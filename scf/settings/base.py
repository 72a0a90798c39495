"""Settings shared by every environment; every value comes from the environment."""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "scf.core.admin_config.SuperuserAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "viewflow",
    "viewflow.workflow",
    "scf.core",
    "scf.audit",
    "scf.parties",
    "scf.facilities",
    "scf.ledger",
    "scf.collections",
    "scf.releases",
    "scf.api",
    "scf.portal",
    "documents",
    "workflows.approval",
    "workflows.inbox",
    "workflows.factoring",
    "workflows.pledge",
    "workflows.confirming",
]

MIDDLEWARE = [
    # First, so that every log line of the request, and the tasks it starts, carry its id.
    "scf.core.request_ids.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks request.user verified once a second factor was entered in this session (django-otp);
    # SecondFactorMiddleware then keeps everyone who must use one on the second-factor pages until then.
    "django_otp.middleware.OTPMiddleware",
    "scf.portal.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so that it sees the outcome of authentication (django-axes docs).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "scf.urls"
WSGI_APPLICATION = "scf.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "scf.portal.context_processors.navigation",
                "scf.portal.preferences.reader_time_zone",
            ],
        },
    },
]

# SQLite by default so that a fresh clone runs with nothing set;
# DATABASE_URL switches to PostgreSQL (postgres://user@host:5432/name).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Serialise writers instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections (a new one costs about 4 ms a request), checked before each request reuses
# one, so a restarted database costs one failed check rather than an error page. SQLite opens a file.
DATABASES["default"]["CONN_MAX_AGE"] = env.int(
    "CONN_MAX_AGE", default=0 if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" else 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "scf.parties.backends.ModelBackendOneRead",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# A password alone is not a success for someone who must enter a second factor: the failures of a
# username are cleared only once the whole sign-in succeeded (scf.parties.second_factor).
AXES_RESET_ON_SUCCESS = False

# Second factor (TOTP, django-otp): lender staff always, client signatories when a lender of theirs asks
# for it (Organization.signatories_use_second_factor). Off only in unit tests that log in with force_login.
SECOND_FACTOR_REQUIRED = env.bool("SECOND_FACTOR_REQUIRED", default=True)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="SCF")
# The admin never shows a device's secret or its QR code: only its owner sees them, once, at enrolment.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
# Chinese pages group amounts by thousands with commas, as the PDFs do (scf/formats).
FORMAT_MODULE_PATH = ["scf.formats"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "scf.core.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="scf@localhost")
# The portal's address as people open it, for the links in e-mails (notifications).
PORTAL_URL = env("PORTAL_URL", default="http://localhost:8000")

# Money: one place sizes every amount column.
MONEY_MAX_DIGITS = 20
MONEY_DECIMAL_PLACES = 2
DEFAULT_CURRENCY = "CNY"

# Uploads: KYC documents and files are checked by content.
KYC_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
KYC_VALIDITY_DAYS = env.int("KYC_VALIDITY_DAYS", default=365)
# Documents a client attaches to a case (e.g. one the credit officer asked for on a return).
CASE_ATTACHMENT_MAX_BYTES = env.int("CASE_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "scf.api.authentication.PersonalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # DRF's defaults, the HTML pages under their own Content Security Policy (scf/api/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "scf.api.renderers.BrowsableAPIRenderer"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "scf.api.exceptions.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Supply-chain finance API",
    "DESCRIPTION": "Factoring, warehouse-receipt pledge and confirming-warehouse financing.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {"LanguageEnum": "django.conf.settings.LANGUAGES",
                            "PledgeKindEnum": "workflows.pledge.models.PledgeAgreement.Kind",
                            "PriceStateEnum": "workflows.pledge.models.CommodityPrice.State",
                            "ReconciliationStateEnum": "workflows.confirming.models.DeliveryReconciliation.State"},
}

# Celery: eager execution unless a broker is configured, so a fresh clone needs none.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Three queues, each consumed by its own workers (Procfile): documents (render and seal, what a user
# waits for), mail, and the nightly batch (long, one at a time, never in the way of a click).
# Anything else goes to the default queue "celery", which the documents workers consume too.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "documents.*": {"queue": "documents"},
    "scf.core.tasks.run_daily": {"queue": "nightly"},
    "scf.parties.tasks.*": {"queue": "mail"},
    "workflows.*.tasks.send_*": {"queue": "mail"},
}
CELERY_BEAT_SCHEDULE = {
    # Every daily job (scf.core.jobs): facility and KYC expiry, then each product's, in their order.
    "daily-jobs": {
        "task": "scf.core.tasks.run_daily",
        "schedule": crontab(hour=0, minute=20),
    },
    # The audit chain is extended after each audited commit; this catches up if one was missed.
    "audit-chain": {
        "task": "scf.audit.tasks.audit_chain_extend",
        "schedule": 60.0,
    },
    # Notification e-mails whose task gave up (mail server down) go out once it is back.
    "notification-mail": {
        "task": "workflows.inbox.tasks.send_pending_notifications",
        "schedule": 300.0,
    },
}

VIEWFLOW = {"AUTOREGISTER": False}

# Whenever DEBUG is off the service is assumed to sit behind an HTTPS proxy.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # A load balancer probes the health check over plain HTTP on the private network.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_REFERRER_POLICY = "same-origin"
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# Content Security Policy (django-csp), in every environment so that tests and development see
# what production sends. Scripts and styles come only from our own static files: no inline
# <script>, no on...= handler, no style="" attribute or <style> element in a portal template
# (tests/test_security_headers.py greps them). Two views widen it: the Swagger UI allows
# data: images for its icons (scf/api/docs.py), DRF's HTML pages of the API allow inline styles
# (scf/api/renderers.py). No report endpoint: the browser console shows violations, and
# tests/browser/test_csp_walk.py fails on any.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Log lines carry the request id (scf.core.request_ids); LOG_FORMAT=json writes one JSON object a line
# (python-json-logger), as log collectors read them; production sets it by default.
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "scf.core.request_ids.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(process)d %(message)s",
                 "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"],
                             "formatter": "json" if LOG_FORMAT == "json" else "text"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"fontTools": {"level": "WARNING"}, "weasyprint": {"level": "ERROR"}},
}

AUTH_USER_MODEL = "parties.User"

# Documents: the lender's sealing certificate (PKCS#12). The set-up makes a self-signed demo one
# under var/ when none is configured.
SEAL_PKCS12_FILE = env("SEAL_PKCS12_FILE", default=str(BASE_DIR / "var" / "seal" / "demo-seal.p12"))
SEAL_PKCS12_PASSWORD = env("SEAL_PKCS12_PASSWORD", default="demo-seal")
# Only a development machine makes a missing demo certificate on the fly; production must configure one.
SEAL_DEMO_AUTOCREATE = env.bool("SEAL_DEMO_AUTOCREATE", default=DEBUG)
