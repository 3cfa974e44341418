"""Celery tasks for impact and theme alerts: thin, take ids, safe to run twice."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task

from core.jobs import NOTIFY_TASK_OPTIONS, retrying_task_options
from improvement.errors import ImpactUnavailable
from improvement.impact.services.alerts import theme_alert_notify, theme_spike_check
from improvement.impact.services.evaluation import fix_impact_evaluate, fix_impact_evaluate_all_shipped
from improvement.models import FixTicket


@shared_task(
    name="improvement.impact_evaluate_fix_task",
    **retrying_task_options(retry_backoff=30, soft_time_limit=5 * 60, time_limit=6 * 60),
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


@shared_task(name="improvement.impact_daily_task", soft_time_limit=20 * 60, time_limit=25 * 60)
def impact_daily_task() -> dict:
    """The daily impact job: estimate shipped and working fixes, record verdicts, catch regressions."""
    return asdict(fix_impact_evaluate_all_shipped())


@shared_task(name="improvement.theme_spike_check_task", soft_time_limit=10 * 60, time_limit=12 * 60)
def theme_spike_check_task() -> int:
    """Flag spiking and emerging themes for the last counted day; returns how many new alerts."""
    return len(theme_spike_check().created)


@shared_task(name="improvement.theme_alert_notify_task", **NOTIFY_TASK_OPTIONS)
def theme_alert_notify_task(alert_id: int) -> int:
    """Email the team leads about a theme alert (once per alert); returns how many emails."""
    return theme_alert_notify(alert_id=alert_id)
