"""Celery tasks of the improvement app: thin, take ids, safe to run twice."""
from __future__ import annotations

import smtplib

from celery import shared_task
from django.db import InterfaceError, OperationalError

from improvement.notifications import issue_event_notify

# Transient: the database or the mail server went away; anything else is a bug and must not be retried.
TRANSIENT_NOTIFY_ERRORS = (OperationalError, InterfaceError, smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(
    name="improvement.issue_event_notify_task",
    autoretry_for=TRANSIENT_NOTIFY_ERRORS,
    max_retries=5,
    retry_backoff=30,
    retry_jitter=True,
    soft_time_limit=60,
    time_limit=90,
)
def issue_event_notify_task(event_id: int) -> int:
    """Email the people an issue or fix audit event concerns (once per event); returns how many emails."""
    return issue_event_notify(event_id=event_id)
