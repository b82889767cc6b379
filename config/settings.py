"""Settings, read from the environment through django-environ.

A `.env` file beside manage.py is read when present; real environment variables win.
Every variable is listed, with a comment, in `.env.partners.example`.
"""

from pathlib import Path

import environ

from config.mailers import mailers_from_url

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Off unless set, for every entry point alike (manage.py, wsgi, Celery): a command run on
# a server without DEBUG gets production behaviour, never the simulator. `make run` sets it.
DEBUG = env.bool("DEBUG", default=False)
# "Production" is simply DEBUG off: deployments get the safe defaults unless told otherwise.
PRODUCTION = not DEBUG

SECRET_KEY = env.str(
    "SECRET_KEY",
    default="django-insecure-local-development-key-do-not-use-in-production" if DEBUG else "",
)
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off. DEBUG is off unless set: on a developer's "
        "machine run `make run`, or set DEBUG=true (in the environment or .env)."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "config.apps.PartnerHubAdminConfig",  # django.contrib.admin with our site (config/admin.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "partners",
    "enrollments",
    "webhooks",
    "monitoring",
    "partners.simulator",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "monitoring.recorder.RequestLogsWrittenMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "var")))
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'partnerhub.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The web server and the jobs loop both write: WAL, a busy timeout and IMMEDIATE
    # transactions keep SQLite from answering "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Prepared statements: PostgreSQL plans each statement the first times it sees it on a
    # connection, then reuses the plan (a provisioning's claim, with its six joins, took
    # 1.3 ms to plan and 0.2 ms to run). They need the parameters bound by the server
    # and a connection that stays the same one (CONN_MAX_AGE; pgbouncer in transaction
    # mode before 1.21 is not: set DATABASE_PREPARED_STATEMENTS=false behind one).
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {"server_side_binding": True, "prepare_threshold": 5}
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (shared breaker state, throttles) ----------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth, i18n, static, media -------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]  # short dates in the admin's lists

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request without it
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail ----------------------------------------------------------------------------
# Default: one console line per e-mail while developing (the message in var/mail/;
# consolemail:// prints it whole), the local SMTP server in production.
MAILERS = mailers_from_url(
    env.str("EMAIL_URL", default="consoleline://" if DEBUG else "smtp://localhost:25")
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Partner Hub <partnerhub@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Plain addresses: Django 6.1 deprecates (name, address) pairs.
ADMINS = env.list("ADMIN_EMAILS", default=[])

# --- Security (checked by `manage.py check --deploy`) ---------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- REST framework --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's defaults, with JSON bodies bounded in depth (a deep one was a 500).
    "DEFAULT_PARSER_CLASSES": [
        "enrollments.api.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": env.int("API_PAGE_SIZE", default=50),
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env.str("API_THROTTLE_RATE", default="1200/minute")},
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
}
# How long a POST's answer is kept for replay to a retry with the same Idempotency-Key.
API_IDEMPOTENCY_KEY_HOURS = env.int("API_IDEMPOTENCY_KEY_HOURS", default=24)
SPECTACULAR_SETTINGS = {
    "TITLE": "Partner Hub API",
    "DESCRIPTION": "Students, enrollments and certificates across seven training partners.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery ------------------------------------------------------------------------------
# No broker configured: tasks run in-process (the embedded default).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if not CELERY_BROKER_URL:
    # Eager tasks never reach a broker; the in-memory transport keeps kombu from looking
    # for (and warning about) an AMQP server on localhost.
    CELERY_BROKER_TRANSPORT = "memory"
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("CELERY_WORKER_PREFETCH_MULTIPLIER", default=1)
# Celery's Django fixup closes the database connections around every task unless this is
# set; config/celery.py applies CONN_MAX_AGE instead, and the fixup recycles them after
# this many tasks.
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
# Periodic jobs; each app adds its own entries (run by Celery beat when scaled, and by
# the embedded jobs loop under `make run`).
CELERY_BEAT_SCHEDULE: dict = {
    "enrollments-reconcile": {"task": "enrollments.tasks.reconcile", "schedule": 60.0},
    "enrollments-sync-progress": {
        "task": "enrollments.tasks.sync_open_enrollments",
        "schedule": env.float("SYNC_INTERVAL_SECONDS", default=300.0),
    },
    "enrollments-fetch-certificates": {
        "task": "enrollments.tasks.fetch_missing_certificates",
        "schedule": 900.0,
    },
    "enrollments-expiry-reminders": {
        "task": "enrollments.tasks.send_expiry_reminders",
        "schedule": 3600.0,
    },
    "enrollments-expire-vouchers": {
        "task": "enrollments.tasks.expire_vouchers",
        "schedule": 3600.0,
    },
    "enrollments-recheck-credentials": {
        "task": "enrollments.tasks.recheck_credentials",
        "schedule": 24 * 3600.0,
    },
    "enrollments-prune-idempotency-keys": {
        "task": "enrollments.tasks.prune_idempotency_keys",
        "schedule": 24 * 3600.0,
    },
    # Deletes nothing when the simulator is not used.
    "simulator-prune-idempotency-records": {
        "task": "partners.simulator.tasks.prune_simulator_idempotency_records",
        "schedule": 24 * 3600.0,
    },
}
# Any countdown we schedule stays well below this, or Redis would redeliver the task.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

# --- Partners ----------------------------------------------------------------------------
# The built-in partner simulator (served at /simulator/, adapters pointed at it). On by
# default while developing. In production (DEBUG off) it stays off even when asked for,
# unless PARTNER_SIMULATOR_FORCE is set too (a demo deployment with no real partner);
# `check --deploy` reports both cases (partners/simulator/checks.py).
PARTNER_SIMULATOR_FORCE = env.bool("PARTNER_SIMULATOR_FORCE", default=False)
_simulator_asked = env.bool("PARTNER_SIMULATOR", default=not PRODUCTION)
PARTNER_SIMULATOR = _simulator_asked and (DEBUG or PARTNER_SIMULATOR_FORCE)
# Asked for but refused (production without the force): what `check --deploy` reports.
PARTNER_SIMULATOR_REFUSED = _simulator_asked and not PARTNER_SIMULATOR
# Where this service is reached: links in e-mails, the simulator's base URL (the adapters
# call it there) and where the simulator sends its webhooks.
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")
# A Retry-After longer than this fails the call as rate-limited instead of waiting.
PARTNER_RETRY_AFTER_CAP_SECONDS = env.float("PARTNER_RETRY_AFTER_CAP_SECONDS", default=30.0)
PARTNER_BREAKER_FAIL_MAX = env.int("PARTNER_BREAKER_FAIL_MAX", default=5)
PARTNER_BREAKER_RESET_SECONDS = env.float("PARTNER_BREAKER_RESET_SECONDS", default=60.0)
# While Redis (REDIS_URL) cannot be reached, breakers keep their state per process and try
# Redis again after this many seconds.
PARTNER_BREAKER_REDIS_RETRY_SECONDS = env.float("PARTNER_BREAKER_REDIS_RETRY_SECONDS", default=30.0)
# Request and response bodies kept in request logs are cut to this many characters.
PARTNER_LOG_BODY_CHARS = env.int("PARTNER_LOG_BODY_CHARS", default=8192)
# "buffered": request logs are written in batches by a background thread (at most
# PARTNER_LOG_FLUSH_SECONDS late; a web request's own calls before it answers);
# "immediate": one INSERT per attempt, in the caller.
PARTNER_LOG_WRITER = env.str("PARTNER_LOG_WRITER", default="buffered")
PARTNER_LOG_FLUSH_SECONDS = env.float("PARTNER_LOG_FLUSH_SECONDS", default=1.0)
# Longest wait between provisioning attempts after transient partner failures.
PROVISION_MAX_BACKOFF_MINUTES = env.int("PROVISION_MAX_BACKOFF_MINUTES", default=360)
# Open enrollments synced per run of the sync job.
SYNC_BATCH_SIZE = env.int("SYNC_BATCH_SIZE", default=200)
# Days before a certificate expires when its holder is reminded (each reminder once).
CERTIFICATE_REMINDER_DAYS = env.list("CERTIFICATE_REMINDER_DAYS", cast=int, default=[60, 30, 7])
# Credential checks (enrollments/services/verification.py): Credly's public Open Badges
# endpoint, and how often a Credly badge found good is checked again (a batch a day).
CREDLY_OBI_BASE_URL = env.str("CREDLY_OBI_BASE_URL", default="https://api.credly.com/v1/obi/v2")
CREDLY_TIMEOUT_SECONDS = env.float("CREDLY_TIMEOUT_SECONDS", default=10.0)
CREDLY_MAX_ATTEMPTS = env.int("CREDLY_MAX_ATTEMPTS", default=2)
CERTIFICATE_RECHECK_DAYS = env.int("CERTIFICATE_RECHECK_DAYS", default=30)
CERTIFICATE_RECHECK_BATCH = env.int("CERTIFICATE_RECHECK_BATCH", default=200)
# Largest partner result report accepted (enrollments/services/result_imports.py); a
# larger one is refused, with the reason kept, before it is read.
RESULT_IMPORT_MAX_BYTES = env.int("RESULT_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SLACK_WEBHOOK_URL = env.str("SLACK_WEBHOOK_URL", default="")

# --- Logging -------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- Monitoring ------------------------------------------------------------------------
# Who may read /metrics: a client whose address is in this list (addresses or networks),
# or one sending `Authorization: Bearer <METRICS_TOKEN>`. Behind a proxy use the token.
METRICS_ALLOWED_IPS = [
    a for a in env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"]) if a.strip()
]
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Alert rules look back over this window; evaluated every ALERT_EVALUATION_SECONDS.
ALERT_WINDOW_MINUTES = env.int("ALERT_WINDOW_MINUTES", default=15)
ALERT_EVALUATION_SECONDS = env.int("ALERT_EVALUATION_SECONDS", default=60)
ALERT_ERROR_RATE = env.float("ALERT_ERROR_RATE", default=0.5)
ALERT_ERROR_RATE_MIN_CALLS = env.int("ALERT_ERROR_RATE_MIN_CALLS", default=10)
ALERT_LATENCY_MS = env.int("ALERT_LATENCY_MS", default=10_000)
ALERT_LATENCY_MIN_CALLS = env.int("ALERT_LATENCY_MIN_CALLS", default=5)
ALERT_SIGNATURE_FAILURES = env.int("ALERT_SIGNATURE_FAILURES", default=3)
ALERT_EVENT_STUCK_MINUTES = env.int("ALERT_EVENT_STUCK_MINUTES", default=30)
ALERT_EVENT_LOOKBACK_DAYS = env.int("ALERT_EVENT_LOOKBACK_DAYS", default=7)
ALERT_VOUCHER_STOCK_MIN = env.int("ALERT_VOUCHER_STOCK_MIN", default=5)
ALERT_CERTIFICATE_EXPIRY_DAYS = env.int("ALERT_CERTIFICATE_EXPIRY_DAYS", default=30)
# Per channel (Slack, Sentry, e-mail): no new "opened" about the same rule and partner
# within this many minutes of the last message.
ALERT_NOTIFY_COOLDOWN_MINUTES = env.int("ALERT_NOTIFY_COOLDOWN_MINUTES", default=30)
EMAIL_SUBJECT_PREFIX = "[Partner Hub] "
# Request logs and webhook deliveries older than this are deleted, in batches.
MONITORING_RETENTION_DAYS = env.int("MONITORING_RETENTION_DAYS", default=30)
# The dashboard's hourly call counts (small rows) are kept longer, for the long charts.
MONITORING_ROLLUP_RETENTION_DAYS = env.int("MONITORING_ROLLUP_RETENTION_DAYS", default=400)
MONITORING_PRUNE_BATCH_SIZE = env.int("MONITORING_PRUNE_BATCH_SIZE", default=5000)
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="production" if PRODUCTION else "dev")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    from config.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )
CELERY_BEAT_SCHEDULE.update(
    {
        "monitoring-evaluate-alerts": {
            "task": "monitoring.tasks.evaluate_alerts",
            "schedule": float(ALERT_EVALUATION_SECONDS),
        },
        "monitoring-prune-logs": {
            "task": "monitoring.tasks.prune_logs",
            "schedule": 6 * 3600.0,
        },
    }
)

# --- Webhooks ----------------------------------------------------------------------------
# Characters of each delivery's body kept on its row (the event keeps the whole payload).
WEBHOOK_DELIVERY_BODY_CHARS = env.int("WEBHOOK_DELIVERY_BODY_CHARS", default=65536)
# Proxies in front of the web processes that append to X-Forwarded-For (0: none, the
# socket address is the sender's). Never more than really there, or senders can forge it.
WEBHOOK_TRUSTED_PROXIES = env.int("WEBHOOK_TRUSTED_PROXIES", default=0)
# Unsigned or refused webhook POSTs per partner per window that get a delivery row each;
# beyond it they are answered 429 and only counted (a signed delivery is never limited).
WEBHOOK_REFUSAL_LIMIT = env.int("WEBHOOK_REFUSAL_LIMIT", default=30)
WEBHOOK_REFUSAL_WINDOW_SECONDS = env.int("WEBHOOK_REFUSAL_WINDOW_SECONDS", default=600)
# An event naming an enrollment we do not know yet is retried (backoff) this long, then fails.
WEBHOOK_DEFER_HOURS = env.int("WEBHOOK_DEFER_HOURS", default=24)
# Seconds between reconcile sweeps: events left received (lost broker message), deferred due.
WEBHOOK_RECONCILE_SECONDS = env.int("WEBHOOK_RECONCILE_SECONDS", default=60)
CELERY_BEAT_SCHEDULE.update(
    {
        "webhooks-reconcile": {
            "task": "webhooks.tasks.reconcile_webhook_events",
            "schedule": float(WEBHOOK_RECONCILE_SECONDS),
        },
    }
)
