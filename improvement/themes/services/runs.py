"""Clustering runs: one active at a time (a database constraint), executed by a worker, swapped in atomically.

A running run's worker touches `heartbeat_at` from a background thread; a run whose heartbeat is older than
CLUSTERING_RUN_HEARTBEAT_TIMEOUT_SECONDS (its worker died) is failed by the next request and by the beat sweep,
so a lost worker blocks new runs for minutes, not hours. A lead or admin may cancel a pending or running run; a
worker still fitting it finds it no longer running when it comes to swap and changes nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from cases.embedding import EMBEDDING_MODEL_NAME, embed_texts
from core.jobs import enqueue_on_commit
from improvement.errors import ClusteringError, Invalid, ThemeStateError
from improvement.models import ClusteringRun
from improvement.permissions import permission_require_curator
from improvement.themes import ml
from improvement.themes.selectors import (
    CaseSnapshot,
    active_theme_per_case,
    embedded_cases_snapshot,
    existing_themes,
    seeded_themes,
    theme_stop_words,
)
from improvement.themes.services.fit_swap import SeededCases, fit_swap_in

logger = logging.getLogger(__name__)

ERROR_MAXIMUM_LENGTH = 5000
BUSY_STATUSES = (ClusteringRun.Status.PENDING, ClusteringRun.Status.RUNNING)
# The database's guard (improvement/models/themes.py): a second pending or running run is refused at insert.
ONE_ACTIVE_CONSTRAINT = "clustering_run_one_active"


def clustering_runs_fail_stale(*, now: datetime | None = None) -> int:
    """Fail the runs whose worker is gone; returns how many.

    A running run is stale when its heartbeat (or, before the first one, its start) is older than
    CLUSTERING_RUN_HEARTBEAT_TIMEOUT_SECONDS; a pending run when it waited CLUSTERING_RUN_PENDING_TIMEOUT_SECONDS.
    Each update is conditional, so a heartbeat landing meanwhile keeps its run alive and a second sweep does nothing.
    """
    now = now or timezone.now()
    heartbeat_timeout = settings.CLUSTERING_RUN_HEARTBEAT_TIMEOUT_SECONDS
    pending_timeout = settings.CLUSTERING_RUN_PENDING_TIMEOUT_SECONDS
    silent_since = now - timedelta(seconds=heartbeat_timeout)
    failed = ClusteringRun.objects.filter(
        Q(heartbeat_at__lt=silent_since) | Q(heartbeat_at__isnull=True, started_at__lt=silent_since),
        status=ClusteringRun.Status.RUNNING,
    ).update(
        status=ClusteringRun.Status.FAILED,
        finished_at=now,
        error=f"Worker lost: no heartbeat for more than {heartbeat_timeout} s.",
    )
    failed += ClusteringRun.objects.filter(
        status=ClusteringRun.Status.PENDING, created_at__lt=now - timedelta(seconds=pending_timeout)
    ).update(
        status=ClusteringRun.Status.FAILED,
        finished_at=now,
        error=f"Never started: still pending after {pending_timeout} s.",
    )
    if failed:
        logger.warning("Failed %s clustering run(s) whose worker was lost", failed)
    return failed


def clustering_run_request(
    *,
    trigger: str = ClusteringRun.Trigger.API,
    requested_by: User | None = None,
) -> ClusteringRun:
    """Create a pending run and enqueue its execution after commit; refused while another run is pending or running.

    Runs whose worker was lost are failed first (clustering_runs_fail_stale). Two requests at the same moment
    cannot both succeed: the database's one-active-run constraint refuses the second, which is a Conflict too.
    """
    permission_require_curator(requested_by)
    if trigger not in ClusteringRun.Trigger.values:
        raise Invalid({"trigger": f"unknown trigger {trigger!r}"})
    clustering_runs_fail_stale()
    try:
        with transaction.atomic():
            busy = ClusteringRun.objects.filter(status__in=BUSY_STATUSES).order_by("id").first()
            if busy is not None:
                raise ThemeStateError(f"Clustering run {busy.pk} is already {busy.status}; wait for it to finish.")
            run = ClusteringRun.objects.create(trigger=trigger, requested_by=requested_by)
            enqueue_on_commit("improvement.clustering_run_task", run.pk)
    except IntegrityError as error:
        if ONE_ACTIVE_CONSTRAINT not in str(error):
            raise
        raise ThemeStateError(
            "Another clustering run was requested at the same moment; wait for it to finish."
        ) from error
    return run


def clustering_run_cancel(*, run: ClusteringRun, by: User) -> ClusteringRun:
    """End a pending or running run as cancelled, recording who; a worker still fitting it will not swap it in.

    A run in the middle of its swap holds its row, so a cancel waits for the swap and is then refused (succeeded).
    """
    permission_require_curator(by)
    with transaction.atomic():
        run = ClusteringRun.objects.select_for_update().get(pk=run.pk)
        if run.status not in BUSY_STATUSES:
            raise ThemeStateError(
                f"Clustering run {run.pk} is {run.status}; only a pending or running run can be cancelled."
            )
        run.status = ClusteringRun.Status.CANCELLED
        run.cancelled_by = by
        run.finished_at = timezone.now()
        run.error = f"Cancelled by {by.get_username()}."
        run.save(update_fields=["status", "cancelled_by", "finished_at", "error"])
    logger.info("Clustering run %s cancelled by %s", run.pk, by.get_username())
    return run


def _heartbeat_beat(*, run_id: int, stop: threading.Event, interval: float) -> None:
    try:
        while not stop.wait(interval):
            try:
                beating = ClusteringRun.objects.filter(id=run_id, status=ClusteringRun.Status.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
            except DatabaseError:
                logger.warning("Clustering run %s: heartbeat not stored", run_id, exc_info=True)
                continue
            if not beating:
                return
    finally:
        connection.close()


@contextmanager
def _heartbeat(run_id: int) -> Iterator[None]:
    """Touch the run's heartbeat_at every CLUSTERING_RUN_HEARTBEAT_SECONDS from a thread while the block runs.

    Inside an open transaction (a test's) the thread's own connection could not see the run, so none is started.
    """
    if connection.in_atomic_block:
        yield
        return
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat_beat,
        kwargs={"run_id": run_id, "stop": stop, "interval": settings.CLUSTERING_RUN_HEARTBEAT_SECONDS},
        name=f"clustering-run-{run_id}-heartbeat",
        daemon=True,
    )
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join()


def clustering_run_execute(*, run_id: int, sticky_margin: float | None = ml.STICKY_MARGIN) -> ClusteringRun | None:
    """Claim a pending run, fit the themes of every embedded case, and swap the result in atomically.

    Safe to call twice: only the call that moves the run from pending to running does the work. A run that
    fails is marked failed with its error and changes nothing else. Returns the run (None for an unknown id).
    `sticky_margin` None takes the refit's assignments as they are (bench/themes.py compares).
    """
    now = timezone.now()
    claimed = ClusteringRun.objects.filter(id=run_id, status=ClusteringRun.Status.PENDING).update(
        status=ClusteringRun.Status.RUNNING, started_at=now, heartbeat_at=now
    )
    if not claimed:
        return ClusteringRun.objects.filter(id=run_id).first()
    with _heartbeat(run_id):
        _fit_and_swap(run_id=run_id, sticky_margin=sticky_margin)
    return ClusteringRun.objects.get(id=run_id)


def _fit_and_swap(*, run_id: int, sticky_margin: float | None) -> None:
    """Fit and swap a claimed run; a failure marks it failed (unless cancelled or failed meanwhile)."""
    clock = time.monotonic()
    try:
        snapshot = embedded_cases_snapshot()
        seeds = seeded_themes()
        # Seeded themes are never matched to a cluster (nor renamed, merged or retired by the fit).
        existing = [theme for theme in existing_themes() if theme.theme_id not in set(seeds.theme_ids)]
        seeded_fit = ml.fit_with_seeds(
            texts=snapshot.texts,
            embeddings=snapshot.embeddings,
            seed_centroids=seeds.centroids,
            stop_words=theme_stop_words(),
            previous_themes=active_theme_per_case(case_ids=snapshot.case_ids),
            embedding_model=EMBEDDING_MODEL_NAME,
            embed_phrases=embed_texts,
            # The snapshot is this run's own: scaled to unit rows in place, a million vectors are held once.
            overwrite_embeddings=True,
        )
        result = seeded_fit.rest
        taken = seeded_fit.seed_assignments >= 0
        seeded = SeededCases(
            theme_ids=seeds.theme_ids,
            centroids=seeds.centroids,
            case_ids=snapshot.case_ids[taken],
            theme_indices=seeded_fit.seed_assignments[taken],
            similarities=seeded_fit.seed_similarities[taken],
        )
        if len(seeded_fit.rest_indices) < len(snapshot.case_ids):
            # Only the cases no seed took go on (a copy; with no seeded case the snapshot is kept as it is).
            snapshot = CaseSnapshot(
                case_ids=snapshot.case_ids[seeded_fit.rest_indices],
                texts=[snapshot.texts[index] for index in seeded_fit.rest_indices],
                embeddings=snapshot.embeddings[seeded_fit.rest_indices],
            )
        if not result.clusters and not taken.any():
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
                seeded=seeded,
            )
    except Exception as error:
        failed = ClusteringRun.objects.filter(id=run_id, status=ClusteringRun.Status.RUNNING).update(
            status=ClusteringRun.Status.FAILED,
            error=f"{type(error).__name__}: {error}"[:ERROR_MAXIMUM_LENGTH],
            finished_at=timezone.now(),
            duration_seconds=time.monotonic() - clock,
        )
        if failed:
            logger.exception("Clustering run %s failed", run_id)
        else:
            logger.info("Clustering run %s was cancelled or given up meanwhile; its fit was not swapped in", run_id)
