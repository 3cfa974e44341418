"""Celery tasks for themes: thin, take ids, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from core.jobs import NOTIFY_TASK_OPTIONS, retrying_task_options
from improvement.errors import ThemeStateError
from improvement.models import ClusteringRun
from improvement.themes.services.assignment import theme_assign_backlog, theme_assign_new_cases
from improvement.themes.services.curation_jobs import curation_job_execute, curation_jobs_fail_stale
from improvement.themes.services.runs import (
    clustering_run_execute,
    clustering_run_request,
    clustering_runs_fail_stale,
)
from improvement.themes.services.snooze import theme_escalation_notify, theme_snoozes_check


@shared_task(name="improvement.clustering_run_task", soft_time_limit=20 * 60, time_limit=25 * 60, long_running=True)
def clustering_run_task(run_id: int) -> str | None:
    """Execute a pending clustering run (a second delivery finds it claimed and does nothing); returns its status."""
    run = clustering_run_execute(run_id=run_id)
    return run.status if run is not None else None


@shared_task(name="improvement.clustering_run_nightly_task", soft_time_limit=60, time_limit=120)
def clustering_run_nightly_task() -> int | None:
    """Request the nightly clustering run (skipped while another is pending or running); returns its id.

    A run whose worker was lost does not block it: the request fails such runs first.
    """
    try:
        return clustering_run_request(trigger=ClusteringRun.Trigger.NIGHTLY).pk
    except ThemeStateError:
        return None


@shared_task(
    name="improvement.theme_assign_new_cases_task",
    **retrying_task_options(retry_backoff=5, soft_time_limit=10 * 60, time_limit=12 * 60),
)
def theme_assign_new_cases_task(case_ids: list[int]) -> int:
    """Let newly embedded cases join their nearest active theme; returns how many joined one."""
    return theme_assign_new_cases(case_ids=case_ids).assigned


@shared_task(
    name="improvement.theme_assign_backlog_task",
    **retrying_task_options(retry_backoff=5, soft_time_limit=10 * 60, time_limit=12 * 60),
)
def theme_assign_backlog_task() -> int:
    """Beat sweep: place embedded cases a lost worker left without a theme; returns how many joined one."""
    return theme_assign_backlog().assigned


@shared_task(
    name="improvement.clustering_run_fail_stale_task",
    **retrying_task_options(retry_backoff=5, soft_time_limit=60, time_limit=90),
)
def clustering_run_fail_stale_task() -> int:
    """Beat sweep: fail the clustering runs whose worker stopped beating (or that never started); returns how many."""
    return clustering_runs_fail_stale()


@shared_task(name="improvement.curation_job_task", soft_time_limit=10 * 60, time_limit=12 * 60, long_running=True)
def curation_job_task(job_id: int) -> str | None:
    """Execute a queued curation job (a split); a second delivery finds it claimed and does nothing."""
    job = curation_job_execute(job_id=job_id)
    return job.status if job is not None else None


@shared_task(name="improvement.theme_snooze_check_task", soft_time_limit=5 * 60, time_limit=6 * 60)
def theme_snooze_check_task() -> int:
    """Daily, after the recount: unsnooze themes whose date came or whose volume escalated; returns how many."""
    result = theme_snoozes_check()
    return len(result.woken_ids) + len(result.escalated_ids)


@shared_task(name="improvement.theme_escalation_notify_task", **NOTIFY_TASK_OPTIONS)
def theme_escalation_notify_task(theme_id: int) -> int:
    """Email the team leads once that a snoozed theme escalated; returns how many emails were sent."""
    return theme_escalation_notify(theme_id=theme_id)


@shared_task(
    name="improvement.curation_job_fail_stale_task",
    **retrying_task_options(retry_backoff=5, soft_time_limit=60, time_limit=90),
)
def curation_job_fail_stale_task() -> int:
    """Beat sweep: fail the curation jobs whose worker died (or that never started); returns how many."""
    return curation_jobs_fail_stale()
