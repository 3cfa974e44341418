"""New cases joining themes: each newly (re-)embedded case joins the nearest active theme above the threshold.

A seeded theme's threshold is the seed threshold (ml.SEED_ASSIGN_THRESHOLD), a fitted theme's the seam's default.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases.embedding import embedding_from_bytes, embedding_from_stored
from cases.models import Case
from improvement.models import CaseTheme, Theme
from improvement.themes import ml
from improvement.themes.selectors import case_ids_awaiting_theme
from improvement.themes.services.links import case_theme_upsert, theme_sizes_adjust, themes_lock_shared
from improvement.volumes.services import daily_theme_recounts_serialise, daily_theme_volumes_refresh_for_cases

logger = logging.getLogger(__name__)

ASSIGN_CHUNK_SIZE = 2000


@dataclass(frozen=True)
class ThemeAssignment:
    """What one incremental assignment did: cases that joined a theme, and those left unassigned."""

    assigned: int
    unassigned: int


def _embedded_vectors(case_ids: list[int]) -> tuple[list[int], list[np.ndarray]]:
    """The ids and embeddings of these cases that are embedded and not placed by hand; malformed ones are skipped."""
    rows = (
        Case.objects.filter(id__in=case_ids, embedded_at__isnull=False)
        .exclude(theme_link__source=CaseTheme.Source.MANUAL)
        .order_by("id")
        .values_list("id", "embedding")
    )
    ids: list[int] = []
    vectors: list[np.ndarray] = []
    for case_id, data in rows:
        vector = embedding_from_stored(data)
        if vector is None:
            logger.warning(
                "Case %s has a stored embedding of %s values; left for re-embedding",
                case_id,
                embedding_from_bytes(data).size if data else 0,
            )
            continue
        ids.append(case_id)
        vectors.append(vector)
    return ids, vectors


def theme_assign_to_nearest(
    *, case_ids: Sequence[int], themes: Sequence[Theme], centroids: np.ndarray
) -> ThemeAssignment:
    """Link each case to its nearest theme above the seam's threshold (or to none), keeping theme sizes by F().

    The sizes change once, at the end, in theme id order: concurrent assignments wait on each other there and
    never deadlock.
    """
    assigned = unassigned = 0
    size_changes: Counter[int] = Counter()
    for start in range(0, len(case_ids), ASSIGN_CHUNK_SIZE):
        ids, vectors = _embedded_vectors(list(case_ids[start : start + ASSIGN_CHUNK_SIZE]))
        if not ids:
            continue
        if len(themes):
            # A seeded theme takes a case only as close as a refit would give it one (ml.SEED_ASSIGN_THRESHOLD).
            thresholds = np.array(
                [ml.SEED_ASSIGN_THRESHOLD if theme.is_seeded else ml.DEFAULT_ASSIGN_THRESHOLD for theme in themes]
            )
            indices, similarities = ml.assign_with_thresholds(
                embeddings=np.stack(vectors), centroids=centroids, thresholds=thresholds
            )
        else:
            indices = np.full(len(ids), -1)
            similarities = np.zeros(len(ids), dtype=np.float32)
        previous = dict(CaseTheme.objects.filter(case_id__in=ids).values_list("case_id", "theme_id"))
        links = []
        for case_id, index, similarity in zip(ids, indices.tolist(), similarities.tolist(), strict=True):
            theme = themes[index] if index >= 0 else None
            links.append(
                CaseTheme(
                    case_id=case_id,
                    theme=theme,
                    source=CaseTheme.Source.INCREMENTAL,
                    similarity=round(float(similarity), 6) if theme is not None else None,
                )
            )
            if previous.get(case_id) is not None:
                size_changes[previous[case_id]] -= 1
            if theme is not None:
                size_changes[theme.pk] += 1
                assigned += 1
            else:
                unassigned += 1
        case_theme_upsert(links=links)
    theme_sizes_adjust(changes=size_changes)
    return ThemeAssignment(assigned=assigned, unassigned=unassigned)


def theme_assign_new_cases(*, case_ids: Iterable[int]) -> ThemeAssignment:
    """Let newly (re-)embedded cases join the nearest active theme above the seam's threshold, or stay unassigned.

    A case is taken when it is embedded and has no theme link yet or one older than its embedding; cases moved
    by a team lead are left alone. Before the first clustering run there are no themes and nothing happens:
    the run will place them.

    The cases are claimed by locking their rows (SKIP LOCKED on PostgreSQL) until commit, and the themes are held
    only against a swap or curation (themes_lock_shared): workers given disjoint chunks place them at the same
    time, and two given the same cases (a redelivered task, the backlog sweep beside a queued task) never place
    one twice: the second skips the rows the first holds, or finds them placed once it commits.
    """
    ids = sorted({int(case_id) for case_id in case_ids})
    if not ids:
        return ThemeAssignment(assigned=0, unassigned=0)
    with transaction.atomic():
        assignment = _assign_pending(ids)
        if assignment.assigned or assignment.unassigned:
            daily_theme_recounts_serialise()
            daily_theme_volumes_refresh_for_cases(case_ids=ids)
    return assignment


def _claimed_pending(ids: list[int]) -> list[int]:
    """Lock, skipping rows another transaction holds, the cases among `ids` still awaiting a theme; their ids."""
    pending: list[int] = []
    for start in range(0, len(ids), ASSIGN_CHUNK_SIZE):
        claimed = list(
            Case.objects.select_for_update(skip_locked=True, no_key=True)
            .filter(id__in=ids[start : start + ASSIGN_CHUNK_SIZE], embedded_at__isnull=False)
            .order_by("id")
            .values_list("id", flat=True)
        )
        # Read after the claim, in a statement of its own: it sees the links of a worker that held a row and
        # committed just before this one locked it (the claim's own snapshot may predate that commit).
        rows = Case.objects.filter(id__in=claimed).values_list(
            "id", "embedded_at", "theme_link__assigned_at", "theme_link__source"
        )
        pending.extend(
            case_id
            for case_id, embedded_at, assigned_at, source in rows
            if source != CaseTheme.Source.MANUAL
            and (assigned_at is None or (embedded_at is not None and assigned_at < embedded_at))
        )
    return sorted(pending)


def _assign_pending(ids: list[int]) -> ThemeAssignment:
    themes = [
        theme
        for theme in themes_lock_shared().values()
        if theme.status == Theme.Status.ACTIVE and theme.centroid is not None
    ]
    if not themes:
        return ThemeAssignment(assigned=0, unassigned=0)
    centroids = np.stack([embedding_from_bytes(theme.centroid) for theme in themes if theme.centroid is not None])
    return theme_assign_to_nearest(case_ids=_claimed_pending(ids), themes=themes, centroids=centroids)


def theme_assign_backlog(*, older_than: timedelta | None = None) -> ThemeAssignment:
    """Place the cases embedded `older_than` ago that never joined a theme since; returns what was done.

    The default age is settings.THEMES_ASSIGN_BACKLOG_AGE_SECONDS: younger cases still have their assignment
    task queued. This is how cases a lost worker left get placed. Safe to run twice, and beside the queued
    tasks: each chunk locks the themes and places only cases still awaiting one. Before the first run there are
    no themes and nothing is done (the run places every case).
    """
    if not Theme.objects.filter(status=Theme.Status.ACTIVE, centroid__isnull=False).exists():
        return ThemeAssignment(assigned=0, unassigned=0)
    if older_than is None:
        older_than = timedelta(seconds=settings.THEMES_ASSIGN_BACKLOG_AGE_SECONDS)
    ids = case_ids_awaiting_theme(embedded_before=timezone.now() - older_than)
    assigned = unassigned = 0
    for start in range(0, len(ids), ASSIGN_CHUNK_SIZE):
        chunk = theme_assign_new_cases(case_ids=ids[start : start + ASSIGN_CHUNK_SIZE])
        assigned += chunk.assigned
        unassigned += chunk.unassigned
    return ThemeAssignment(assigned=assigned, unassigned=unassigned)
