"""Stockroom settings, read from the environment.

The embedded default (no DATABASE_URL, no REDIS_URL) runs on an SQLite file and a
Celery broker kept in files under ``var/``, so a first run needs no servers.
``make run`` writes its settings (DEBUG=1, a generated SECRET_KEY) to ``.env`` on its
first start; they are read here, so manage.py, Celery and the server agree. A variable
set in the environment always wins over the file.
"""
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_file_load(path: Path) -> None:
    """KEY=VALUE lines (blank lines, "# comments" and an "export " prefix allowed; a value
    may be quoted) into the environment, for the names the environment does not set."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, IsADirectoryError):
        return
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        name, sep, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name.isidentifier():
            continue
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(name, value)


# STOCKROOM_ENV_FILE names another file; empty reads none (the test settings do so).
_env_file = os.environ.get("STOCKROOM_ENV_FILE")
if _env_file is None:
    env_file_load(BASE_DIR / ".env")
elif _env_file:
    env_file_load(Path(_env_file))

VAR_DIR = Path(os.environ.get("STOCKROOM_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_htmx",
    "template_partials",
    "axes",
    "csp",
    "core",
    "accounts",
    "inventory",
    "suppliers",
    "purchasing",
    "orders",
    "dataio",
    "backups",
    "api",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise, without the manifest of hashed names (staticfiles.json).
    "core.middleware.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CsrfViewMiddleware: upload caps (UPLOAD_LIMITS) apply before anything reads the body.
    "core.uploads.UploadLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.HtmxLoginRedirectMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
                "inventory.context_processors.low_stock",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time: IMMEDIATE takes the write lock when the transaction
    # starts, so the ledger services behave the same as with row locks.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Brute-force protection: lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# Behind a reverse proxy, set TRUSTED_PROXY_COUNT so the client address is read
# from X-Forwarded-For instead of the proxy's own address.
AXES_IPWARE_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

# --- Security -------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False) or env_int("TRUSTED_PROXY_COUNT", 0):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- I18n -----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Third-party assets come from the npm registry (`make install`) and are served
# straight from node_modules under static/vendor/.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/pico", NODE_MODULES / "@picocss" / "pico" / "css"),
    ("vendor/swagger-ui", NODE_MODULES / "swagger-ui-dist"),
]
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", VAR_DIR / "backups"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Backup archives. A local folder by default; see the README for S3-compatible storage.
    "backups": {
        "BACKEND": os.environ.get("BACKUP_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": {"location": str(BACKUP_DIR)} if "BACKUP_STORAGE_BACKEND" not in os.environ else {},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Uploaded product images, served to signed-in users by inventory.views_media.
MEDIA_URL = "/media/"

# --- Cache, Celery --------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Redis redelivers a task nobody acknowledged after this many seconds. It must be longer
    # than any countdown or ETA we use (we use none over a minute: periodic sweeps instead).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 7200)}
else:
    # A broker kept in plain files: worker and beat run with nothing else installed.
    CELERY_BROKER_DIR = VAR_DIR / "broker"
    for folder in ("queue", "processed"):
        (CELERY_BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Every periodic task is declared here. Run exactly one beat process per installation.
CELERY_BEAT_SCHEDULE: dict = {
    "release-expired-reservations": {
        "task": "inventory.tasks.release_expired_reservations",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Drafts (never sends) purchase orders for variants at or below their min/max rule's min.
    "reorder-rules-apply": {
        "task": "purchasing.tasks.reorder_rules_run_task",
        "schedule": crontab(hour=2, minute=0),
    },
    # Emails Managers the low-stock list, only when something is low.
    "low-stock-digest": {
        "task": "purchasing.tasks.low_stock_digest_task",
        "schedule": crontab(hour=7, minute=0),
    },
    # Removes export files older than EXPORT_RETENTION_DAYS.
    "exports-expire": {
        "task": "dataio.tasks.exports_expire_task",
        "schedule": crontab(hour=3, minute=30),
    },
    # Fails imports left PENDING, VALIDATING or IN_PROGRESS by a process that died (IMPORT_STALE_MINUTES).
    "imports-recover": {
        "task": "dataio.tasks.import_jobs_recover_task",
        "schedule": 600.0,
        "options": {"expires": 590},
    },
    # Fails exports left PENDING or IN_PROGRESS by a worker that died or never came (EXPORT_STALE_MINUTES).
    "exports-recover": {
        "task": "dataio.tasks.export_jobs_recover_task",
        "schedule": 600.0,
        "options": {"expires": 590},
    },
    # Records the scheduled backups whose time has come (BackupSchedule, edited on /backups/schedule/).
    "backups-schedule-tick": {
        "task": "backups.tasks.backup_schedule_tick_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Removes backups the BACKUP_RETENTION_* rules no longer keep.
    "backups-retention": {
        "task": "backups.tasks.backups_retention_task",
        "schedule": crontab(hour=5, minute=0),
    },
    # Restores the newest backup into a scratch database and checks it; emails Admins on failure.
    "backups-drill": {
        "task": "backups.tasks.backup_drill_task",
        "schedule": crontab(hour=5, minute=30, day_of_week="sun"),
    },
}

# --- REST framework -------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies only; the upload endpoints name their multipart parsers themselves.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.SafeJSONParser"],
    # JSON answers only: DRF's browsable HTML pages carry inline styles the CSP refuses.
    # A browser gets the JSON (its Accept ends in */*); the docs live at /api/v1/docs/.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "api.schema.StockroomAutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Stockroom API",
    "DESCRIPTION": "Stock levels, movements and ledger operations; cart validation, reservations, checkout and sales orders.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Request bodies get their own components, so fields that refuse blanks say minLength 1.
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.openapi.document_common_responses",
    ],
    # Several request bodies have a field named "type" with different choices: name each set.
    "ENUM_NAME_OVERRIDES": {
        "ImportTypeEnum": "dataio.models.ImportType",
        "ImportModeEnum": "dataio.models.ImportMode",
        "OnErrorEnum": "dataio.models.OnError",
        "ExportTypeEnum": "dataio.models.ExportType",
        "ExportStatusEnum": "dataio.models.ExportStatus",
        "FileFormatEnum": "dataio.models.FileFormat",
    },
}

# --- Stockroom ------------------------------------------------------------
STOCK_LOW_THRESHOLD_DEFAULT = env_int("STOCK_LOW_THRESHOLD_DEFAULT", 10)
CURRENCY = os.environ.get("CURRENCY", "USD")
INVENTORY_PAGE_SIZE = 25
# Sections the apps above inventory add to the variant page: callables (request, variant)
# returning template context, so inventory's views never import those apps.
INVENTORY_VARIANT_PAGE_CONTEXT = ["purchasing.views_alerts.reorder_rule_context"]
# The same for the supplier page (purchasing: its orders and delivery performance).
SUPPLIER_PAGE_CONTEXT = ["purchasing.views_suppliers.supplier_orders_context"]
ORDERS_PAGE_SIZE = 25
RESERVATION_TTL_MINUTES = env_int("RESERVATION_TTL_MINUTES", 30)

# --- Stripe ---------------------------------------------------------------
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# Another server for the stripe package (stripe-mock, a local test double).
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
# Seconds a signed webhook stays acceptable (Stripe's own default is 300).
STRIPE_WEBHOOK_TOLERANCE = env_int("STRIPE_WEBHOOK_TOLERANCE", 300)

# Every handler escapes control characters (core.logging): request text never forges a line.
# Django's own handlers are declared here too, so none of them is left without the filter:
# the "django" logger mails admins and reaches the console through the root logger.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "escape_control_characters": {"()": "core.logging.EscapeControlCharacters"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["escape_control_characters"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "level": "INFO",
                          "filters": ["escape_control_characters"]},
        "mail_admins": {"class": "django.utils.log.AdminEmailHandler", "level": "ERROR",
                        "filters": ["require_debug_false", "escape_control_characters"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
    },
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "stockroom@localhost")

# --- Import and export (dataio) ---------------------------------------------
EXPORT_RETENTION_DAYS = env_int("EXPORT_RETENTION_DAYS", 7)
IMPORT_MAX_MB = env_int("IMPORT_MAX_MB", 20)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 200_000)
IMPORT_UNDO_DAYS = env_int("IMPORT_UNDO_DAYS", 7)
# Rows written per batch (each batch one transaction when bad rows are skipped), and how
# long an import may sit PENDING, VALIDATING or IN_PROGRESS without a live process before it
# is marked failed (and an export PENDING or IN_PROGRESS without a live worker).
IMPORT_BATCH_ROWS = env_int("IMPORT_BATCH_ROWS", 5000)
IMPORT_STALE_MINUTES = env_int("IMPORT_STALE_MINUTES", 30)
EXPORT_STALE_MINUTES = env_int("EXPORT_STALE_MINUTES", 180)
# Form fields other than files, held in memory: Django's default (2.5 MB). Files are capped per
# upload page by UPLOAD_LIMITS below, and spill to temporary files past FILE_UPLOAD_MAX_MEMORY_SIZE.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The bulk stock update posts 5 fields per line, up to 500 lines (a few more are refused by the page).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 3_000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Largest CSV (or XLSX, JSON) file the bulk stock update takes, in MB.
BULK_UPDATE_MAX_MB = env_int("BULK_UPDATE_MAX_MB", 2)

# --- Product images -----------------------------------------------------------
# One image at most this many MB and pixels (width × height: a decompression bomb is refused).
IMAGE_MAX_MB = env_int("IMAGE_MAX_MB", 5)
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 40_000_000)
# All images of one product form together (a product image and one per variant).
PRODUCT_UPLOAD_MAX_MB = env_int("PRODUCT_UPLOAD_MAX_MB", 60)

# --- Backups ------------------------------------------------------------------
# A key from `python -c "import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())"`;
# when set, new backups are encrypted with it and restores need it.
BACKUP_ENCRYPTION_KEY = os.environ.get("BACKUP_ENCRYPTION_KEY", "")
BACKUP_RETENTION_DAILY = env_int("BACKUP_RETENTION_DAILY", 7)
BACKUP_RETENTION_WEEKLY = env_int("BACKUP_RETENTION_WEEKLY", 4)
BACKUP_RETENTION_MAX_DAYS = env_int("BACKUP_RETENTION_MAX_DAYS", 90)
# Largest archive accepted by the restore upload page (written to a temporary file, then to the backups storage).
BACKUP_UPLOAD_MAX_MB = env_int("BACKUP_UPLOAD_MAX_MB", 2048)
# Upload views (URL names) and the setting, in MB, that caps each: core.uploads refuses a larger
# body (413) from its Content-Length, before reading it, and stops reading files past the cap.
UPLOAD_LIMITS = {
    "dataio:import_list": "IMPORT_MAX_MB",
    "api:import_list": "IMPORT_MAX_MB",
    "dataio:bulk_update": "BULK_UPDATE_MAX_MB",
    "backups:restore_upload": "BACKUP_UPLOAD_MAX_MB",
    "products:product_create": "PRODUCT_UPLOAD_MAX_MB",
    "products:product_edit": "PRODUCT_UPLOAD_MAX_MB",
    "products:variant_add": "PRODUCT_UPLOAD_MAX_MB",
    "products:variant_edit": "PRODUCT_UPLOAD_MAX_MB",
}
# S3-compatible storage for backups (BACKUP_STORAGE_BACKEND=storages.backends.s3.S3Storage, with
# django-storages[s3] installed): django-storages reads these settings; boto3 reads the credentials
# (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) from the environment itself.
if "BACKUP_STORAGE_BACKEND" in os.environ:
    AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
    AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or None
    AWS_S3_REGION_NAME = os.environ.get("AWS_S3_REGION_NAME") or None
    AWS_LOCATION = os.environ.get("AWS_LOCATION", "")
