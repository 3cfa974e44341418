"""Celery tasks for the daily count tables: thin, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from core.jobs import retrying_task_options
from improvement.volumes.services import daily_totals_refresh_for_cases, daily_volumes_refresh


@shared_task(name="improvement.daily_volumes_refresh_task", soft_time_limit=20 * 60, time_limit=25 * 60)
def daily_volumes_refresh_task() -> int:
    """Recount every day's totals and theme counts (catches anything a step missed); returns rows written."""
    return daily_volumes_refresh()


@shared_task(
    name="improvement.daily_totals_count_task",
    **retrying_task_options(retry_backoff=5, soft_time_limit=10 * 60, time_limit=12 * 60),
)
def daily_totals_count_task(case_ids: list[int]) -> int:
    """Recount the daily totals of the days these newly ingested cases arrived on; returns rows written."""
    return daily_totals_refresh_for_cases(case_ids=case_ids)
