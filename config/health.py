"""Health of the parts Fixloop depends on: the database and the Celery broker."""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from config.celery_app import app as celery_app


def database_status() -> str:
    """'ok' when a trivial query succeeds, else 'error: <reason>'."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure means unhealthy; the reason is reported, not raised
        return f"error: {error.__class__.__name__}"
    return "ok"


def broker_status() -> str:
    """'eager' when tasks run in-process, 'ok' when the broker accepts a connection, else 'error: <reason>'."""
    if settings.CELERY_TASK_ALWAYS_EAGER and not settings.CELERY_BROKER_URL:
        return "eager"
    try:
        with celery_app.connection_for_write(settings.CELERY_BROKER_URL) as broker_connection:
            broker_connection.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:  # same as above
        return f"error: {error.__class__.__name__}"
    return "ok"
