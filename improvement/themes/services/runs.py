"""Clustering runs: requested once at a time, executed by a worker, swapped in atomically (fit_swap)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from cases.embedding import EMBEDDING_MODEL_NAME
from core.jobs import enqueue_on_commit
from improvement.errors import ClusteringError, Invalid, ThemeStateError
from improvement.models import ClusteringRun
from improvement.permissions import permission_require_curator
from improvement.themes import ml
from improvement.themes.selectors import (
    active_theme_per_case,
    embedded_cases_snapshot,
    existing_themes,
    theme_stop_words,
)
from improvement.themes.services.fit_swap import fit_swap_in

logger = logging.getLogger(__name__)

# A run still pending or running after this long was abandoned (worker lost); it no longer blocks a new request.
ABANDONED_RUN_AGE = timedelta(hours=2)
ERROR_MAXIMUM_LENGTH = 5000
BUSY_STATUSES = (ClusteringRun.Status.PENDING, ClusteringRun.Status.RUNNING)


def clustering_run_request(
    *,
    trigger: str = ClusteringRun.Trigger.API,
    requested_by: User | None = None,
) -> ClusteringRun:
    """Create a pending run and enqueue its execution after commit; refused while another run is pending or running.

    Runs left pending or running for longer than ABANDONED_RUN_AGE are marked failed first, so a lost worker
    does not block clustering for ever.
    """
    permission_require_curator(requested_by)
    if trigger not in ClusteringRun.Trigger.values:
        raise Invalid({"trigger": f"unknown trigger {trigger!r}"})
    now = timezone.now()
    with transaction.atomic():
        ClusteringRun.objects.filter(status__in=BUSY_STATUSES, created_at__lt=now - ABANDONED_RUN_AGE).update(
            status=ClusteringRun.Status.FAILED, finished_at=now, error="Abandoned: not finished in time."
        )
        busy = ClusteringRun.objects.filter(status__in=BUSY_STATUSES).order_by("id").first()
        if busy is not None:
            raise ThemeStateError(f"Clustering run {busy.pk} is already {busy.status}; wait for it to finish.")
        run = ClusteringRun.objects.create(trigger=trigger, requested_by=requested_by)
        enqueue_on_commit("improvement.clustering_run_task", run.pk)
    return run


def clustering_run_execute(*, run_id: int, sticky_margin: float | None = ml.STICKY_MARGIN) -> ClusteringRun | None:
    """Claim a pending run, fit the themes of every embedded case, and swap the result in atomically.

    Safe to call twice: only the call that moves the run from pending to running does the work. A run that
    fails is marked failed with its error and changes nothing else. Returns the run (None for an unknown id).
    `sticky_margin` None takes the refit's assignments as they are (bench/themes.py compares).
    """
    claimed = ClusteringRun.objects.filter(id=run_id, status=ClusteringRun.Status.PENDING).update(
        status=ClusteringRun.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return ClusteringRun.objects.filter(id=run_id).first()
    clock = time.monotonic()
    try:
        snapshot = embedded_cases_snapshot()
        existing = existing_themes()
        result = ml.fit(
            texts=snapshot.texts,
            embeddings=snapshot.embeddings,
            stop_words=theme_stop_words(),
            previous_themes=active_theme_per_case(case_ids=snapshot.case_ids),
            embedding_model=EMBEDDING_MODEL_NAME,
        )
        if not result.clusters:
            raise ClusteringError(f"The fit found no themes among {len(snapshot.case_ids)} cases.")
        cluster_case_ids = [
            frozenset(int(case_id) for case_id in snapshot.case_ids[cluster.member_indices])
            for cluster in result.clusters
        ]
        matches = ml.theme_match_clusters(
            cluster_case_ids=cluster_case_ids, cluster_centroids=result.centroids, themes=existing
        )
        with transaction.atomic():
            fit_swap_in(
                run_id=run_id,
                snapshot=snapshot,
                result=result,
                matches=matches,
                existing=existing,
                duration_seconds=time.monotonic() - clock,
                sticky_margin=sticky_margin,
            )
    except Exception as error:
        logger.exception("Clustering run %s failed", run_id)
        ClusteringRun.objects.filter(id=run_id, status=ClusteringRun.Status.RUNNING).update(
            status=ClusteringRun.Status.FAILED,
            error=f"{type(error).__name__}: {error}"[:ERROR_MAXIMUM_LENGTH],
            finished_at=timezone.now(),
            duration_seconds=time.monotonic() - clock,
        )
    return ClusteringRun.objects.get(id=run_id)
