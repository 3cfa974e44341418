"""Fixloop settings, read from the environment.

With nothing set, Fixloop runs on an embedded default: a SQLite file beside the code and Celery
tasks executed eagerly in-process. `DATABASE_URL` switches to PostgreSQL and `CELERY_BROKER_URL`
to a real broker with separate worker processes.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for local development).")
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "cases",
    "improvement",
    "dashboards",
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
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboards.context_processors.navigation",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60))}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # Ingest, embedding and clustering write in bursts; wait for the lock instead of failing.
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboards:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' static folders too, so a fresh checkout works before collectstatic.
WHITENOISE_USE_FINDERS = True
# #15 (static files): STATIC_MANIFEST=1 (make run sets it, for collectstatic and gunicorn alike) serves content-hashed
# names, compressed with gzip and brotli, cached for a year as immutable; off by default, so tests and a fresh
# checkout without collectstatic keep the plain names above.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", False)
# Source maps are read only by a browser's developer tools; brotli at its highest level spends most of
# collectstatic's time on the bundled libraries' maps, so they are served as they are.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (
    *("jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br", "swf", "flv", "woff", "woff2"),
    *("3gp", "3gpp", "asf", "avi", "m4v", "mov", "mp4", "mpeg", "mpg", "webm", "wmv", "map"),
)
if STATIC_MANIFEST:
    STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}

# HTTPS hardening is on in production (DEBUG off); a purely local http run turns it off with HTTPS_ONLY=0.
HTTPS_ONLY = env_bool("HTTPS_ONLY", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS_ONLY
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS_ONLY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS_ONLY
SECURE_HSTS_PRELOAD = HTTPS_ONLY
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# A request body above this size is refused with 413 by the ingest API (bulk of 5,000 cases fits).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 32 * 1024 * 1024)
# Queue the embedding of newly ingested cases after commit; benchmarks and big test imports turn it off
# (`case_embed_pending_task` backfills later).
CASES_EMBED_ON_INGEST = env_bool("CASES_EMBED_ON_INGEST", True)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "fixloop@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous API call gets 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "improvement.http_errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fixloop API",
    "DESCRIPTION": "Cases, themes, improvement issues, fix tickets and their measured impact.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Several models have a `status` or `priority` field; name each choice set once.
    "ENUM_NAME_OVERRIDES": {
        "IssueStatusEnum": "improvement.models.issues.ImprovementIssue.Status",
        "IssuePriorityEnum": "improvement.models.issues.ImprovementIssue.Priority",
        "FixStatusEnum": "improvement.models.issues.FixTicket.Status",
        "ThemeStatusEnum": "improvement.models.themes.Theme.Status",
        "ClusteringRunStatusEnum": "improvement.models.themes.ClusteringRun.Status",
    },
}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Without a broker, long tasks (splits, clustering runs, imports) run on a background thread of the web process
# after the response instead of inside the request (core/jobs.py); `make run` turns it on, tests and commands don't.
EAGER_LONG_TASKS_IN_BACKGROUND = env_bool("EAGER_LONG_TASKS_IN_BACKGROUND", False)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 20 * 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 25 * 60)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # Refit the themes over every embedded case each night; the run swaps its result in atomically.
    "themes-nightly-clustering-run": {
        "task": "improvement.clustering_run_nightly_task",
        "schedule": crontab(hour=env_int("THEMES_NIGHTLY_HOUR", 2), minute=30),
    },
    # A full recount of the daily tables, before the impact job reads them.
    "daily-volumes-refresh": {
        "task": "improvement.daily_volumes_refresh_task",
        "schedule": crontab(hour=env_int("DAILY_VOLUMES_HOUR", 4), minute=30),
    },
    # Measure shipped fixes (verdicts, regressions) once the night's counts are in.
    "impact-daily-evaluation": {
        "task": "improvement.impact_daily_task",
        "schedule": crontab(hour=env_int("IMPACT_DAILY_HOUR", 5), minute=0),
    },
    # Snoozed themes come back at their date, or when a day counted since the snooze escalates.
    "themes-daily-snooze-check": {
        "task": "improvement.theme_snooze_check_task",
        "schedule": crontab(hour=env_int("DAILY_VOLUMES_HOUR", 4), minute=50),
    },
    "themes-daily-spike-check": {
        "task": "improvement.theme_spike_check_task",
        "schedule": crontab(hour=env_int("IMPACT_DAILY_HOUR", 5), minute=30),
    },
}
# --- Crash recovery (issue #16, items 5 and 6) ---
# With late acks a task held by a worker that died is delivered again once the broker's visibility timeout
# passes (Redis's default is an hour). Every task's hard time limit stays below it (tests/config/test_recovery.py
# checks), or a task still running would be delivered a second time.
CELERY_BROKER_VISIBILITY_TIMEOUT = env_int("CELERY_BROKER_VISIBILITY_TIMEOUT", 30 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    # Look for messages of dead workers every 10 s (kombu's default scans every tenth look, ~100 s).
    "unacked_restore_throttle": 1,
}
# Where tasks sent without a queue go (beat's, follow-ups); separate deployments on one broker name their own.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
# Sweeps that pick up what a lost worker left: cases never embedded, embedded cases not yet placed, and clustering
# runs whose worker stopped beating. Work younger than the backlog age is left to the task already queued for it.
RECOVERY_SWEEP_SECONDS = env_int("RECOVERY_SWEEP_SECONDS", 120)
CASES_EMBED_BACKLOG_AGE_SECONDS = env_int("CASES_EMBED_BACKLOG_AGE_SECONDS", 5 * 60)
THEMES_ASSIGN_BACKLOG_AGE_SECONDS = env_int("THEMES_ASSIGN_BACKLOG_AGE_SECONDS", 5 * 60)
# Cases embedded per transaction: the rows of a chunk stay locked (claimed) while it is embedded.
CASES_EMBED_CHUNK_SIZE = env_int("CASES_EMBED_CHUNK_SIZE", 500)
# How texts become vectors: "onnx" (ONNX Runtime on an export of the bundled model, about twice as fast) or
# "torch" (sentence-transformers); both give the same vectors. The export is cached in EMBEDDING_CACHE_DIR (default:
# a folder inside the virtualenv) and made on first use; EMBEDDING_THREADS 0 lets ONNX Runtime use every core.
EMBEDDING_BACKEND = env_str("EMBEDDING_BACKEND", "onnx")
if EMBEDDING_BACKEND not in ("onnx", "torch"):
    raise ImproperlyConfigured('EMBEDDING_BACKEND must be "onnx" or "torch".')
EMBEDDING_CACHE_DIR = env_str("EMBEDDING_CACHE_DIR")
EMBEDDING_THREADS = env_int("EMBEDDING_THREADS", 0)
# A running clustering run's worker touches heartbeat_at this often; a run silent for the timeout is failed.
CLUSTERING_RUN_HEARTBEAT_SECONDS = env_int("CLUSTERING_RUN_HEARTBEAT_SECONDS", 30)
CLUSTERING_RUN_HEARTBEAT_TIMEOUT_SECONDS = env_int("CLUSTERING_RUN_HEARTBEAT_TIMEOUT_SECONDS", 3 * 60)
if CLUSTERING_RUN_HEARTBEAT_TIMEOUT_SECONDS < 3 * CLUSTERING_RUN_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured("CLUSTERING_RUN_HEARTBEAT_TIMEOUT_SECONDS must be at least 3 heartbeats long.")
# A run still pending after this long lost its message (the broker redelivers within the visibility timeout).
CLUSTERING_RUN_PENDING_TIMEOUT_SECONDS = env_int(
    "CLUSTERING_RUN_PENDING_TIMEOUT_SECONDS", CELERY_BROKER_VISIBILITY_TIMEOUT + 5 * 60
)
# A curation job (a split) running longer than its task may live (12 min hard limit) lost its worker; one queued
# longer than the broker takes to deliver again lost its message. The beat sweep fails both with a clear error.
CURATION_JOB_RUNNING_TIMEOUT_SECONDS = env_int("CURATION_JOB_RUNNING_TIMEOUT_SECONDS", 15 * 60)
CURATION_JOB_QUEUED_TIMEOUT_SECONDS = env_int(
    "CURATION_JOB_QUEUED_TIMEOUT_SECONDS", CELERY_BROKER_VISIBILITY_TIMEOUT + 5 * 60
)
CELERY_BEAT_SCHEDULE.update(
    {
        "cases-embedding-backlog": {"task": "cases.case_embed_backlog_task", "schedule": RECOVERY_SWEEP_SECONDS},
        "themes-assignment-backlog": {
            "task": "improvement.theme_assign_backlog_task",
            "schedule": RECOVERY_SWEEP_SECONDS,
        },
        "themes-stale-clustering-runs": {
            "task": "improvement.clustering_run_fail_stale_task",
            "schedule": min(RECOVERY_SWEEP_SECONDS, CLUSTERING_RUN_HEARTBEAT_TIMEOUT_SECONDS),
        },
        "themes-stale-curation-jobs": {
            "task": "improvement.curation_job_fail_stale_task",
            "schedule": RECOVERY_SWEEP_SECONDS,
        },
    }
)
# --- end of crash recovery ---
# Tasks sent by name, with the case ids, after cases are ingested and after they are embedded (cases never
# imports improvement): the day's totals are counted as cases arrive, and embedded cases join themes.
CASES_AFTER_INGEST_TASKS = ["improvement.daily_totals_count_task"]
CASES_AFTER_EMBED_TASKS = ["improvement.theme_assign_new_cases_task"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Issue workflow notifications (issue #15): absolute links in messages, and the chat webhooks. ---
# The address people open Fixloop at; emails and chat messages link to pages under it.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# A Slack/Teams-compatible incoming webhook for the team leads (departments set theirs on the Department).
LEADS_CHAT_WEBHOOK_URL = env_str("LEADS_CHAT_WEBHOOK_URL")
# Seconds a chat webhook may take to answer before the send counts as failed (and is retried).
CHAT_WEBHOOK_TIMEOUT_SECONDS = env_int("CHAT_WEBHOOK_TIMEOUT_SECONDS", 5)
# --- end of issue workflow notifications ---

# --- Brute force, throttling and Content-Security-Policy (issue #16 item 11) ---
from datetime import timedelta  # noqa: E402  (kept inside this block)

from csp.constants import NONCE  # noqa: E402

# django-axes counts failed sign-ins (login form, admin, token endpoint) in the database, so every web worker
# sees the same count; after AXES_FAILURE_LIMIT failures for one username from one address, that pair is locked
# for AXES_COOLOFF_MINUTES with a 429. Its middleware must come last.
INSTALLED_APPS = [*INSTALLED_APPS, "axes", "csp"]
MIDDLEWARE = [*MIDDLEWARE, "csp.middleware.CSPMiddleware", "axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
# The client address is REMOTE_ADDR, or behind our one proxy (BEHIND_PROXY) the last X-Forwarded-For hop, for
# the lockout and the throttles alike: a client must not escape either by sending its own X-Forwarded-For.
AXES_CLIENT_IP_CALLABLE = "config.lockout.client_ip_address"
REST_FRAMEWORK["NUM_PROXIES"] = 1 if env_bool("BEHIND_PROXY", False) else 0
# DRF throttles (rates "N/second|minute|hour|day"; `off` turns one off), counted in the cache: set CACHE_URL
# (redis://...) when more than one web process serves, or each counts on its own.


def _throttle_rate(name: str, default: str) -> str | None:
    rate = env_str(name, default)
    return None if rate.lower() == "off" else rate


REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["config.throttling.WriteRateThrottle"]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "sign_in": _throttle_rate("API_THROTTLE_SIGN_IN", "10/minute"),
    "writes": _throttle_rate("API_THROTTLE_WRITES", "120/minute"),
}
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
# Scripts only from our own origin or with the response's nonce (no inline handlers, no eval); styles may be
# inline because plotly.js writes its own <style> elements and style attributes as it draws.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- API hardening (issue #16): error shape, database outages, body limits -------------------------------------
# Persistent connections are checked before reuse, so the first request after a database restart reconnects.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env_bool("DATABASE_CONN_HEALTH_CHECKS", True)
# Seconds a client is told to wait (Retry-After) when the database is unavailable (503).
API_RETRY_AFTER_SECONDS = env_int("API_RETRY_AFTER_SECONDS", 30)
# JSON bodies: at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes (413) and core.json_limits.JSON_MAX_DEPTH levels (400).
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "core.json_limits.LimitedJSONParser",
    "core.json_limits.LimitedFormParser",
    "rest_framework.parsers.MultiPartParser",
]
# Every 4xx/5xx in the schema carries the one `Error` shape (improvement.http_errors).
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "improvement.http_errors.document_error_responses",
]
# --- end API hardening -----------------------------------------------------------------------------------------

# --- A quiet console in eager mode, and contact files uploaded in the browser ---
if not CELERY_BROKER_URL:
    # Eager tasks still take a producer from the broker pool; naming an in-memory host keeps kombu from falling
    # back to amqp's default and warning "No hostname was supplied" on every send.
    CELERY_BROKER_WRITE_URL = "memory://localhost/"
    # One "Task ... succeeded" INFO line per eager task floods `make run`; a worker (with a broker) keeps them.
    LOGGING["loggers"] = {"celery.app.trace": {"level": "WARNING"}}
# An uploaded contacts file is refused above this size (the page names the limit); it is stored in the database.
CASES_IMPORT_MAX_UPLOAD_BYTES = env_int("CASES_IMPORT_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
# Rows the import page records as rejected, with their line and reason (the counts always cover every row).
CASES_IMPORT_RECORDED_REJECTIONS = env_int("CASES_IMPORT_RECORDED_REJECTIONS", 10_000)
# --- end of console and uploads ---

# --- Error pages (issue #15 item 5): a 403/404 is one warning line in the log, never a traceback. ---
from typing import cast  # noqa: E402  (kept inside this block)

LOGGING["filters"] = {
    "expected_refusal_without_traceback": {"()": "core.logging_filters.ExpectedRefusalWithoutTraceback"}
}
# Merged into the loggers an earlier block may have set (the eager-mode Celery one).
LOGGING["loggers"] = {
    **cast(dict, LOGGING.get("loggers", {})),
    "django.request": {"filters": ["expected_refusal_without_traceback"]},
}
# --- end of error pages ---

# --- API docs (issue #15 item 10): Swagger UI and ReDoc at /api/docs/ and /api/redoc/, served from the vendored
# drf-spectacular-sidecar files (no CDN: they work offline and under the Content-Security-Policy).
INSTALLED_APPS = [*INSTALLED_APPS, "drf_spectacular_sidecar"]
SPECTACULAR_SETTINGS["SWAGGER_UI_DIST"] = "SIDECAR"
SPECTACULAR_SETTINGS["SWAGGER_UI_FAVICON_HREF"] = "SIDECAR"
SPECTACULAR_SETTINGS["REDOC_DIST"] = "SIDECAR"
# --- end of API docs ---
