"""Celery tasks of the cases app: thin, take ids, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from cases.services.embedding import case_embed_backlog_requeue, case_embed_many, case_embed_pending
from cases.services.upload_import import case_import_run
from core.jobs import enqueue_on_commit, retrying_task_options


@shared_task(
    name="cases.case_embed_task",
    **retrying_task_options(retry_backoff=5, soft_time_limit=20 * 60, time_limit=25 * 60),
)
def case_embed_task(case_ids: list[int]) -> int:
    """Embed the given cases (those whose analysis text changed since their last embedding); returns how many.

    When any were embedded, the tasks named in settings.CASES_AFTER_EMBED_TASKS follow with the same ids
    (e.g. new cases joining themes), sent by name so that cases imports nothing of the apps that build on it.
    """
    embedded = case_embed_many(case_ids=case_ids)
    if embedded:
        for task_name in settings.CASES_AFTER_EMBED_TASKS:
            enqueue_on_commit(task_name, list(case_ids))
    return embedded


@shared_task(
    name="cases.case_embed_pending_task",
    **retrying_task_options(retry_backoff=5, soft_time_limit=20 * 60, time_limit=25 * 60),
)
def case_embed_pending_task() -> int:
    """Backfill: embed every case not embedded yet or whose analysis text changed; returns how many."""
    return case_embed_pending()


@shared_task(
    name="cases.case_embed_backlog_task",
    **retrying_task_options(retry_backoff=5, soft_time_limit=60, time_limit=90),
)
def case_embed_backlog_task() -> int:
    """Beat sweep: queue the embedding of cases left unembedded (a lost worker, embedding on ingest off)."""
    return case_embed_backlog_requeue()


# Not retried: the run claims its upload first, so a retry would find it claimed and do nothing.
@shared_task(name="cases.case_import_run_task", soft_time_limit=20 * 60, time_limit=25 * 60, long_running=True)
def case_import_run_task(import_id: int) -> str | None:
    """Import an uploaded contacts file (claimed once: a second run does nothing); returns its final status."""
    case_import = case_import_run(import_id=import_id)
    return None if case_import is None else case_import.status
