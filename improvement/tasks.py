"""Celery tasks of the improvement app: thin, take ids, safe to run twice."""
from __future__ import annotations

import smtplib
from dataclasses import asdict

from celery import shared_task
from django.db import InterfaceError, OperationalError

from improvement.models import ClusteringRun, FixTicket
from improvement.notifications import issue_event_notify, theme_alert_notify
from improvement.services.impact import ImpactUnavailable, fix_impact_evaluate, fix_impact_evaluate_all_shipped
from improvement.services.theme_alerts import theme_spike_check
from improvement.services.themes import (
    ThemeStateError,
    clustering_run_execute,
    clustering_run_request,
    theme_assign_new_cases,
)
from improvement.services.volumes import daily_volumes_refresh

# Transient: the database or the mail server went away; anything else is a bug and must not be retried.
TRANSIENT_NOTIFY_ERRORS = (OperationalError, InterfaceError, smtplib.SMTPException, ConnectionError, TimeoutError)
NOTIFY_TASK_OPTIONS = {
    "autoretry_for": TRANSIENT_NOTIFY_ERRORS,
    "max_retries": 5,
    "retry_backoff": 30,
    "retry_jitter": True,
    "soft_time_limit": 60,
    "time_limit": 90,
}


@shared_task(name="improvement.issue_event_notify_task", **NOTIFY_TASK_OPTIONS)
def issue_event_notify_task(event_id: int) -> int:
    """Email the people an issue or fix audit event concerns (once per event); returns how many emails."""
    return issue_event_notify(event_id=event_id)


@shared_task(name="improvement.clustering_run_task", soft_time_limit=50 * 60, time_limit=55 * 60)
def clustering_run_task(run_id: int) -> str | None:
    """Execute a pending clustering run (a second delivery finds it claimed and does nothing); returns its status."""
    run = clustering_run_execute(run_id=run_id)
    return run.status if run is not None else None


@shared_task(name="improvement.clustering_run_nightly_task", soft_time_limit=60, time_limit=120)
def clustering_run_nightly_task() -> int | None:
    """Request the nightly clustering run (skipped while another is pending or running); returns its id."""
    try:
        return clustering_run_request(trigger=ClusteringRun.Trigger.NIGHTLY).pk
    except ThemeStateError:
        return None


@shared_task(
    name="improvement.theme_assign_new_cases_task",
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=5,
    retry_jitter=True,
    soft_time_limit=10 * 60,
    time_limit=12 * 60,
)
def theme_assign_new_cases_task(case_ids: list[int]) -> int:
    """Let newly embedded cases join their nearest active theme; returns how many joined one."""
    return theme_assign_new_cases(case_ids=case_ids).assigned


@shared_task(
    name="improvement.impact_evaluate_fix_task",
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=30,
    retry_jitter=True,
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
)
def impact_evaluate_fix_task(fix_id: int) -> str | None:
    """Estimate a shipped fix's impact, recording its verdict when final; returns the verdict (None: unmeasurable)."""
    fix = FixTicket.objects.filter(pk=fix_id).first()
    if fix is None:
        return None
    try:
        return fix_impact_evaluate(fix=fix).verdict
    except ImpactUnavailable:
        return None


@shared_task(name="improvement.daily_volumes_refresh_task", soft_time_limit=30 * 60, time_limit=35 * 60)
def daily_volumes_refresh_task() -> int:
    """Recount every day's totals and theme counts (catches cases that were never embedded); returns rows written."""
    return daily_volumes_refresh()


@shared_task(name="improvement.impact_daily_task", soft_time_limit=50 * 60, time_limit=55 * 60)
def impact_daily_task() -> dict:
    """The daily impact job: estimate shipped and working fixes, record verdicts, catch regressions."""
    return asdict(fix_impact_evaluate_all_shipped())


@shared_task(name="improvement.theme_spike_check_task", soft_time_limit=10 * 60, time_limit=12 * 60)
def theme_spike_check_task() -> int:
    """Flag spiking and emerging themes for the last counted day; returns how many new alerts."""
    return len(theme_spike_check().created or [])


@shared_task(name="improvement.theme_alert_notify_task", **NOTIFY_TASK_OPTIONS)
def theme_alert_notify_task(alert_id: int) -> int:
    """Email the team leads about a theme alert (once per alert); returns how many emails."""
    return theme_alert_notify(alert_id=alert_id)
