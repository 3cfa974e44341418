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
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 50 * 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 60 * 60)
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
    "themes-daily-spike-check": {
        "task": "improvement.theme_spike_check_task",
        "schedule": crontab(hour=env_int("IMPACT_DAILY_HOUR", 5), minute=30),
    },
}
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

# --- i15-import: a quiet console in eager mode, and contact files uploaded in the browser ---
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
# --- /i15-import ---
