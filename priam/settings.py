"""PRIAM settings, driven by environment variables.

With nothing set PRIAM runs in its embedded mode, safe to use for real on one
machine: SQLite under ./var, Celery tasks run eagerly in the web process, e-mails
are written as files under ./var/mail, DEBUG is off and the secret key is generated once under
./var. DEBUG=1 is for development; production sets DEBUG=0 plus the variables
named in the README.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from priam.scheduling import every

BASE_DIR = Path(__file__).resolve().parent.parent

# A key that is only ever acceptable in DEBUG mode; production must replace it.
DEVELOPMENT_SECRET_KEY = "django-insecure-priam-development-only-never-use-in-production"


def env(name, default=""):
    return os.environ.get(name) or default


def envbool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def envint(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None


def envlist(name):
    return [item.strip() for item in env(name).split(",") if item.strip()]


def env_secret(name, default=""):
    """Read NAME, or the file named by NAME_FILE (for Docker/systemd secrets)."""
    path = env(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return env(name, default)


def generated_secret_key(path):
    """The key kept in `path`, made on first use and readable only by its owner."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write aside, then link into place: processes starting together (gunicorn
        # workers, the Celery worker) all end up with the one key that got there first.
        aside = path.with_name(f".{path.name}.{os.getpid()}")
        with os.fdopen(os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(secrets.token_urlsafe(64))
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
        finally:
            aside.unlink()
    key = path.read_text().strip()
    if not key:
        raise ImproperlyConfigured(f"{path} is empty: delete it and PRIAM makes a new secret key.")
    return key


# DEBUG has three states. 1: development. 0: production, where the secret key and
# host names must be configured. Unset: the embedded default, safe for real use on
# one machine with nothing configured (DEBUG off, a key generated once under
# DATA_DIR, only the local host names).
DEBUG = envbool("DEBUG", False)
PRODUCTION = not DEBUG and env("DEBUG") != ""
DATA_DIR = Path(env("PRIAM_DATA_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_secret("SECRET_KEY")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS")
if DEBUG:
    SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]
elif not PRODUCTION:
    SECRET_KEY = SECRET_KEY or generated_secret_key(DATA_DIR / "secret_key")
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost"]
else:
    if not SECRET_KEY or SECRET_KEY == DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a long random value when DEBUG is off (or SECRET_KEY_FILE to a file holding it)."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS must list this site's host names (comma-separated) when DEBUG is off."
        )
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "django_guid",
    "assessments",
]

MIDDLEWARE = [
    # First: refuses an oversized body before anything (RejectNul reads request.POST) reads it.
    "assessments.middleware.BodySizeLimitMiddleware",
    # Counts every request from here on and times it (reads nothing of it).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # /healthz, /readyz and token scrapes of /metrics, whatever the Host and over plain HTTP
    # (assessments/probes.py says why that is safe).
    "assessments.probes.ProbeMiddleware",
    # The request id (X-Request-ID) for the logs, the response and the tasks queued.
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "assessments.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Both act on the response, inside the session middleware so its save sees the refresh.
    "assessments.middleware.SessionIdleTimeoutMiddleware",
    "assessments.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Labels requests by view; before axes, so it sees the lockout page axes puts in a response's place.
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes requires, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

# Request bodies: uploads (a record PDF, a piece of evidence: at most 20 MB each) on the paths
# these patterns match in full, 1 MB elsewhere. Larger bodies get 413 before they are read;
# the proxy in front should refuse them first (README).
PRIAM_MAX_UPLOAD_BYTES = envint("PRIAM_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
PRIAM_MAX_BODY_BYTES = envint("PRIAM_MAX_BODY_BYTES", 1024 * 1024)
PRIAM_MAX_UPLOAD_PATHS = [
    r"/verify/",
    r"/api/v1/verify/",
    r"/projects/[0-9]+/evidence/",
    r"/api/v1/projects/[0-9]+/evidence/",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = PRIAM_MAX_BODY_BYTES  # form fields and JSON, never files
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # larger uploads spool to a temporary file

ROOT_URLCONF = "priam.urls"
WSGI_APPLICATION = "priam.wsgi.application"

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
                "assessments.context_processors.notifications",
            ],
        },
    },
]

# A server database keeps each process's connection for a minute instead of opening one per
# request; the health check (a cheap ping when a request or task first uses a kept connection)
# replaces one the server dropped, e.g. across a PostgreSQL restart, instead of failing on it.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'priam.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60 if env("DATABASE_URL") else 0),
        conn_health_checks=True,
    )
}
if not env("DATABASE_URL"):
    # The embedded database lives in the data folder, which a fresh clone lacks.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue for the write lock when their transaction starts (IMMEDIATE),
    # waiting up to 20 s, instead of failing with "database is locked" half-way
    # through; with WAL, readers never wait for a writer nor block one, and a commit
    # syncs the log but not the database file (NORMAL is still safe against
    # corruption; a power cut may lose the last commits, never half of one).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32000"
            ),
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "assessments.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lock out a username from one address after repeated failures; locking the
# username everywhere would let anyone lock a custodian out of PRIAM.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True
# Times and dates read "30 Nov 2026, 00:11" everywhere people read them (priam/formats/en).
FORMAT_MODULE_PATH = ["priam.formats"]

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
if not PRODUCTION:
    # WhiteNoise serves the app's own folders here; an empty root keeps it from warning at every start.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded evidence: on the filesystem under MEDIA_ROOT, or in an S3-compatible bucket when
# PRIAM_EVIDENCE_S3_BUCKET is set (several web servers then share it). Files are named by their
# SHA-256 and never overwritten: a second copy of the same document gets a suffix instead.
PRIAM_EVIDENCE_S3_BUCKET = env("PRIAM_EVIDENCE_S3_BUCKET")
PRIAM_EVIDENCE_MAX_BYTES = envint("PRIAM_EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)
if PRIAM_EVIDENCE_S3_BUCKET:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": PRIAM_EVIDENCE_S3_BUCKET,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "access_key": env_secret("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_secret("AWS_SECRET_ACCESS_KEY") or None,
            "region_name": env("AWS_S3_REGION_NAME", env("AWS_DEFAULT_REGION")) or None,
            "file_overwrite": False,
            "default_acl": None,
            # Downloads stream through PRIAM (audited, hash-checked), never from a bucket URL.
            "querystring_auth": True,
        },
    }
else:
    # Django's, writing each file whole or not at all (a failed write leaves no partial file).
    DEFAULT_STORAGE = {"BACKEND": "assessments.storage.AtomicFileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Source maps (half of the 40 MB collected, mostly Bootstrap's and Swagger UI's) are read only by
# browsers' developer tools: compressing them made every deploy's collectstatic minutes longer.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
# Production serves what collectstatic gathered; elsewhere WhiteNoise serves the
# files where they lie, so `make run` needs no collectstatic even with DEBUG off.
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = DATA_DIR / "media"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Strict CSP: everything is served from this origin; no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Idle sign-out: a session unused this long ends. SessionIdleTimeoutMiddleware moves the
# expiry forward at most every few minutes instead of saving on every request.
SESSION_COOKIE_AGE = envint("PRIAM_SESSION_IDLE_MINUTES", 8 * 60) * 60
SESSION_SAVE_EVERY_REQUEST = False
# The embedded mode serves plain HTTP on 127.0.0.1, so HTTPS-only settings are for production.
if PRODUCTION:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    # Balancers probe and Prometheus scrapes over plain HTTP (ProbeMiddleware answers them
    # first anyway; this keeps a staff member's /metrics and the probes unredirected behind it).
    SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$", r"^metrics/?$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)

# Celery: without a broker, tasks run eagerly in-process so `make run` needs no services.
CELERY_TASK_ALWAYS_EAGER = not env("CELERY_BROKER_URL")
CELERY_BROKER_URL = env("CELERY_BROKER_URL") or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND") or (None if CELERY_TASK_ALWAYS_EAGER else CELERY_BROKER_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A web request publishes its tasks (through the outbox, assessments/services/outbox.py) at
# commit: with Redis stopped or unreachable it must give up at once, leaving the message to the
# relay, not hang or retry (measured: 0.02 s when stopped, 2.6 s when it accepts but never
# answers; an unreachable host is bounded by the 1 s connect timeout).
# redis-py itself reconnects a pooled connection a restarted Redis closed. socket_timeout stays
# above kombu's 1 s BRPOP poll for the workers.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0}
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 2}
# Evaluations per task when an impact preview re-scores projects: any number of workers take
# the chunks in parallel (see bench/README.md, "Impact preview", for the size chosen).
PRIAM_RESCORE_CHUNK = envint("PRIAM_RESCORE_CHUNK", 1000)
# Run `celery -A priam beat` beside the workers. The embedded mode has no beat: cron
# `manage.py run_scheduled` instead, which does all of this once (see README).
# The hour (local time) of the daily digest e-mail.
PRIAM_DIGEST_HOUR = envint("PRIAM_DIGEST_HOUR", 7)
# Jobs run on the clock (`every`: at each o'clock for hourly ones) and at most once per run even
# if two beats run by mistake (priam/scheduling.py). *_SECONDS overrides *_MINUTES (for tests).
CELERY_BEAT_SCHEDULE = {
    # Reminders, overdue obligations and expiries: idempotent, so hourly is safe and prompt.
    "after-approval": {
        "task": "assessments.tasks.scheduled_after_approval_task",
        "schedule": every(
            timedelta(seconds=envint("PRIAM_SCHEDULED_SECONDS", 60 * envint("PRIAM_SCHEDULED_MINUTES", 60)))
        ),
    },
    # Each day's digest for those who chose one; idempotent (what was mailed is marked sent).
    "notifications-digest": {
        "task": "assessments.tasks.notifications_digest_task",
        "schedule": crontab(hour=PRIAM_DIGEST_HOUR, minute=0),
    },
    "verify-audit-chain": {
        "task": "assessments.tasks.audit_verify_chain_task",
        "schedule": every(
            timedelta(seconds=envint("PRIAM_AUDIT_VERIFY_SECONDS", 60 * envint("PRIAM_AUDIT_VERIFY_MINUTES", 60)))
        ),
    },
    # Tasks whose publish failed (Redis was down) wait in the outbox; this sends them once it is
    # back. Safe to overlap: each message is sent under its row lock.
    "outbox-relay": {"task": "assessments.tasks.outbox_relay_task", "schedule": timedelta(minutes=1)},
}

# Audit exports up to this many events stream straight to the browser; larger ones
# are made in the background (a Celery task) and downloaded when ready.
AUDIT_EXPORT_STREAM_LIMIT = envint("AUDIT_EXPORT_STREAM_LIMIT", 50000)

# Signing of decision records (see README).
# Key and certificate files (PEM; CHAIN_FILE holds the intermediates and the CA),
# or a PKCS#12 file plus a file holding its passphrase. TRUST_ROOTS_FILE lists
# the CA certificates verification trusts (default: the top of the chain). With
# none of these set and DEBUG on, the local test CA under DATA_DIR/signing is
# used (`manage.py init_signing` creates it), as in the embedded mode. The timestamp server is optional.
PRIAM_SIGNING = {
    "KEY_FILE": env("PRIAM_SIGNING_KEY_FILE"),
    "CERT_FILE": env("PRIAM_SIGNING_CERT_FILE"),
    "CHAIN_FILE": env("PRIAM_SIGNING_CHAIN_FILE"),
    "PKCS12_FILE": env("PRIAM_SIGNING_PKCS12_FILE"),
    "PASSPHRASE_FILE": env("PRIAM_SIGNING_PASSPHRASE_FILE"),
    "TRUST_ROOTS_FILE": env("PRIAM_SIGNING_TRUST_ROOTS_FILE"),
    "TSA_URL": env("PRIAM_TSA_URL"),
    "USE_TEST_CA": not PRODUCTION,
}

# Printed documents (decision records, risk profile PDFs): the letterhead's name and logo (a path
# under static/), and the address of this instance that a record's reader is sent to, /verify/.
PRIAM_INSTANCE_NAME = env("PRIAM_INSTANCE_NAME", "PRIAM")
PRIAM_INSTANCE_LOGO = env("PRIAM_INSTANCE_LOGO", "favicon.svg")
PRIAM_PUBLIC_URL = env("PRIAM_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# After approval: a condition that is not blocking is due this many days after the approval
# (its custodian may move the date); reminders go out this many days before an obligation is
# due and before an approval expires.
PRIAM_OBLIGATION_DUE_DAYS = envint("PRIAM_OBLIGATION_DUE_DAYS", 90)
PRIAM_OBLIGATION_REMINDER_DAYS = envint("PRIAM_OBLIGATION_REMINDER_DAYS", 14)
PRIAM_EXPIRY_REMINDER_DAYS = (60, 14)

# E-mail (notifications, password resets): through the SMTP server EMAIL_HOST names or, with
# none, written as one file per message under DATA_DIR/mail, where nothing is lost unsent.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    (
        "django.core.mail.backends.smtp.EmailBackend"
        if env("EMAIL_HOST")
        else "django.core.mail.backends.filebased.EmailBackend"
    ),
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(DATA_DIR / "mail"))
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
# A mail server that stops answering must not hold a worker (or a request) for ever.
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "priam@localhost")

# Logs: one JSON object a line (PRIAM_LOG_FORMAT=json, the default in production, for a log
# collector) or text (the default elsewhere, for people reading `make run`). Every line carries
# the request id, which follows a request into the tasks it queues (assessments/logs.py).
PRIAM_LOG_FORMAT = env("PRIAM_LOG_FORMAT", "json" if PRODUCTION else "text")
if PRIAM_LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"PRIAM_LOG_FORMAT must be json or text, got {PRIAM_LOG_FORMAT!r}")
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,  # a proxy's id is honoured when it is a UUID; anything else is replaced
    "EXPOSE_HEADER": False,
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "assessments.logs.RequestIdFilter", "default": "-"}},
    "formatters": {
        "json": {"()": "assessments.logs.json_formatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": PRIAM_LOG_FORMAT}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO" if not DEBUG else "WARNING")},
    "loggers": {
        # pyHanko logs a traceback for every foreign PDF checked on /verify/; the result says it all.
        "pyhanko": {"level": "ERROR"},
        "pyhanko_certvalidator": {"level": "ERROR"},
        # One INFO line per request about the id it made or found.
        "django_guid": {"level": "WARNING"},
    },
}

# Health and metrics (assessments/views/health.py). Every network call /readyz makes gives up
# after this many seconds. /metrics needs this bearer token (or a signed-in staff member).
try:
    PRIAM_HEALTH_TIMEOUT = float(env("PRIAM_HEALTH_TIMEOUT", "1"))
except ValueError:
    raise ImproperlyConfigured(
        f"PRIAM_HEALTH_TIMEOUT must be a number of seconds, got {env('PRIAM_HEALTH_TIMEOUT')!r}"
    ) from None
PRIAM_METRICS_TOKEN = env_secret("PRIAM_METRICS_TOKEN")
# A Celery worker on a machine without a web node exports its metrics here (with
# PROMETHEUS_MULTIPROC_DIR set, so its pool's children are counted), on this address.
PRIAM_WORKER_METRICS_PORT = envint("PRIAM_WORKER_METRICS_PORT", 0)
PRIAM_WORKER_METRICS_ADDR = env("PRIAM_WORKER_METRICS_ADDR", "127.0.0.1")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "assessments.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "assessments.api.auth.TokenScope",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["assessments.api.parsers.SafeJSONParser", "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "assessments.api.problems.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PRIAM API",
    "DESCRIPTION": (
        "Privacy risk assessment on the Five Safes. Authenticate with a personal token "
        "(Authorization: Bearer priam_…) made on your profile page or with "
        "`manage.py create_api_token`. Errors are RFC 9457 problem details."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The exchange format's JSON Schemas become named components (AssessmentDocument, …).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "assessments.api.schema.add_exchange_components",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ProjectStatusEnum": "assessments.models.projects.Project.Status",
        "AssessmentStatusEnum": "assessments.models.projects.CustodianAssessment.Status",
        "NotificationKindEnum": "assessments.models.notifications.Notification.Kind",
        "NotificationEmailEnum": "assessments.models.notifications.Notification.Email",
        # Obligations' "action" would otherwise share the audit events' enum name.
        "ActionEnum": "assessments.models.audit.AuditAction",
        "ObligationActionEnum": "assessments.api.obligations.OBLIGATION_ACTIONS",
        "ObligationStatusEnum": "assessments.models.obligations.Obligation.Status",
    },
}

# The cache holds rate-limit counters; with several web processes they must share
# one, so production sets CACHE_URL (e.g. redis://redis:6379/1).
CACHE_URL = env("CACHE_URL")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # A stopped or unreachable Redis fails a request (and /readyz) in seconds, never hangs it.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Rate limits, counted in that cache.
# API tokens made per user per hour.
PRIAM_TOKEN_RATE = {"limit": envint("PRIAM_TOKEN_RATE_PER_HOUR", 20), "window_seconds": 3600}
# Public verification page and API: uploads per client address per minute.
PRIAM_VERIFY_RATE = {"limit": envint("PRIAM_VERIFY_RATE_PER_MINUTE", 30), "window_seconds": 60}
# Password-reset requests per hour, counted per client address and per e-mail address.
PRIAM_PASSWORD_RESET_RATE = {"limit": envint("PRIAM_PASSWORD_RESET_RATE_PER_HOUR", 5), "window_seconds": 3600}
