"""Celery tasks of the cases app: thin, take ids, safe to run twice."""
from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from cases.services.embedding import case_embed_many, case_embed_pending

# Transient: the database went away or a connection broke; anything else is a bug and must not be retried.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


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
    """Embed the given cases (those whose analysis text changed since their last embedding); returns how many."""
    return case_embed_many(case_ids=case_ids)


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
