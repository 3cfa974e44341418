"""Test settings: the production settings with a fixed key, plain http and eager tasks.

`DATABASE_URL` and `CELERY_BROKER_URL` still choose the database and broker, so the same suite
runs on the embedded default and on PostgreSQL + Redis. Tasks run eagerly inside tests; the worker
test sends its task to the broker explicitly and runs a real `celery worker` process.
"""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "fixloop-tests-only-not-secret")
os.environ.setdefault("HTTPS_ONLY", "0")
# The test client's login() passes no request, which django-axes refuses; the lockout tests turn it on.
os.environ.setdefault("AXES_ENABLED", "0")

from config.settings import *  # noqa: E402,F403
from config.settings import STATIC_ROOT  # noqa: E402

CELERY_TASK_ALWAYS_EAGER = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing root; collectstatic fills it in production
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
