"""Celery tasks of the cases app: thin, take ids, safe to run twice."""
from __future__ import annotations

from celery import current_app, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction

from cases.services.embedding import case_embed_many, case_embed_pending

# Transient: the database went away or a connection broke; anything else is a bug and must not be retried.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def _registered_task(task_name: str):
    """The task of that name, importing every app's tasks first if it is not registered yet.

    A worker imports them all on start; a process running tasks eagerly (tests, `manage.py` commands) may not have.
    """
    if task_name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[task_name]


@shared_task(
    name="cases.case_embed_task",
    autoretry_for=TRANSIENT_ERRORS,
    max_retries=3,
    retry_backoff=5,
    retry_jitter=True,
    soft_time_limit=20 * 60,
    time_limit=25 * 60,
)
def case_embed_task(case_ids: list[int]) -> int:
    """Embed the given cases (those whose analysis text changed since their last embedding); returns how many.

    When any were embedded, the tasks named in settings.CASES_AFTER_EMBED_TASKS follow with the same ids
    (e.g. new cases joining themes), sent by name so that cases imports nothing of the apps that build on it.
    """
    embedded = case_embed_many(case_ids=case_ids)
    if embedded:
        for task_name in getattr(settings, "CASES_AFTER_EMBED_TASKS", ()):
            follow_up = _registered_task(task_name)
            transaction.on_commit(lambda follow_up=follow_up: follow_up.delay(list(case_ids)))
    return embedded


@shared_task(
    name="cases.case_embed_pending_task",
    autoretry_for=TRANSIENT_ERRORS,
    max_retries=3,
    retry_backoff=5,
    retry_jitter=True,
    soft_time_limit=50 * 60,
    time_limit=55 * 60,
)
def case_embed_pending_task() -> int:
    """Backfill: embed every case not embedded yet or whose analysis text changed; returns how many."""
    return case_embed_pending()
