"""Writes for themes: clustering runs swapped in atomically, new cases joining themes, and curation by team leads.

Identity across refits: each cluster of a new fit is matched to at most one existing theme (active or dormant)
by a one-to-one assignment (Hungarian) on a score mixing the Jaccard overlap of their case sets and the cosine
similarity of their centroids, so a theme keeps its id, label and links. A cluster matched to nothing becomes a
new theme; a theme matched by no cluster goes dormant (never deleted) unless a team lead moved cases into it.

A case stays with its theme across a refit unless the new fit puts it clearly (STICKY_MARGIN) closer to another
one, so borderline cases do not flip between neighbouring themes every night. Likewise an active theme the refit
blended into a neighbour stays active while at least half of its cases (and RETAIN_MINIMUM_CASES) are still as
close to it; otherwise it goes dormant.

Edits by team leads survive refits: custom labels are kept, and case links with source "manual" (moves, merges
and splits) are never overwritten by a run.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from scipy.optimize import linear_sum_assignment

from cases.embedding import (
    EMBEDDING_DIMENSION,
    embedding_from_bytes,
    embedding_to_bytes,
)
from cases.models import Case
from improvement import themes as theme_model
from improvement.models import CaseTheme, ClusteringRun, Theme, ThemeEvent
from improvement.selectors.themes import user_can_curate_themes
from improvement.services.volumes import daily_volumes_refresh, daily_volumes_refresh_for_cases

logger = logging.getLogger(__name__)

# A cluster and a theme are the same theme when the best one-to-one pairing gives them a score at least this high.
MATCH_MINIMUM_SCORE = 0.35
JACCARD_WEIGHT = 0.6
CENTROID_WEIGHT = 0.4
# A dormant theme has (almost) no cases left to overlap, so it comes back on its centroid alone, if that is close.
CENTROID_ONLY_MINIMUM_SIMILARITY = 0.9
# A case stays in its theme across a refit unless it became more than this much closer (cosine) to another theme.
STICKY_MARGIN: float | None = 0.05
# An active theme the refit did not find stays active when at least this many of its cases, and this share of them,
# are still closer to it than (within STICKY_MARGIN) to the theme the fit chose; otherwise it goes dormant.
RETAIN_MINIMUM_CASES = 10
RETAIN_MINIMUM_SHARE = 0.5
# A run still pending or running after this long was abandoned (worker lost); it no longer blocks a new request.
ABANDONED_RUN_AGE = timedelta(hours=2)
SPLIT_MINIMUM_CASES_PER_PART = 2
MOVE_MAXIMUM_CASES = 1000
ASSIGN_CHUNK_SIZE = 2000
WRITE_BATCH_SIZE = 1000


class ThemeStateError(Exception):
    """The operation makes no sense in the theme's (or run's) current state: the API answers 409."""


class ClusteringError(Exception):
    """A clustering run cannot proceed with the stored data (nothing to cluster, a malformed embedding)."""


# ---------------------------------------------------------------------------------------------------------------
# Clustering runs
# ---------------------------------------------------------------------------------------------------------------


def _require_curator(user: AbstractBaseUser | None) -> None:
    if user is not None and not user_can_curate_themes(user):
        raise PermissionDenied(
            "Only social team leads and staff admins may curate themes or request clustering runs."
        )


def clustering_run_request(
    *,
    trigger: str = ClusteringRun.Trigger.API,
    requested_by: AbstractBaseUser | None = None,
) -> ClusteringRun:
    """Create a pending run and enqueue its execution after commit; refused while another run is pending or running.

    Runs left pending or running for longer than ABANDONED_RUN_AGE are marked failed first, so a lost worker
    does not block clustering for ever.
    """
    _require_curator(requested_by)
    if trigger not in ClusteringRun.Trigger.values:
        raise ValidationError({"trigger": f"unknown trigger {trigger!r}"})
    from improvement.tasks import clustering_run_task

    now = timezone.now()
    with transaction.atomic():
        ClusteringRun.objects.filter(
            status__in=[ClusteringRun.Status.PENDING, ClusteringRun.Status.RUNNING],
            created_at__lt=now - ABANDONED_RUN_AGE,
        ).update(
            status=ClusteringRun.Status.FAILED,
            finished_at=now,
            error="Abandoned: not finished in time.",
        )
        busy = (
            ClusteringRun.objects.filter(
                status__in=[ClusteringRun.Status.PENDING, ClusteringRun.Status.RUNNING]
            )
            .order_by("id")
            .first()
        )
        if busy is not None:
            raise ThemeStateError(
                f"Clustering run {busy.pk} is already {busy.status}; wait for it to finish."
            )
        run = ClusteringRun.objects.create(trigger=trigger, requested_by=requested_by)
        transaction.on_commit(lambda: clustering_run_task.delay(run.pk))
    return run


@dataclass(frozen=True)
class _Snapshot:
    """The embedded cases a run clusters, in id order."""

    case_ids: np.ndarray
    texts: list[str]
    embeddings: np.ndarray


@dataclass(frozen=True)
class _ExistingTheme:
    theme_id: int
    centroid: np.ndarray | None
    case_ids: frozenset[int]


def _embedding_or_error(case_id: int, data: bytes | memoryview) -> np.ndarray:
    vector = embedding_from_bytes(data)
    if vector.shape != (EMBEDDING_DIMENSION,):
        raise ClusteringError(
            f"Case {case_id} has a stored embedding of {vector.size} values; expected {EMBEDDING_DIMENSION}."
        )
    return vector


def _embedded_cases_snapshot() -> _Snapshot:
    rows = (
        Case.objects.filter(embedded_at__isnull=False)
        .order_by("id")
        .values_list("id", "analysis_text", "embedding")
    )
    case_ids: list[int] = []
    texts: list[str] = []
    vectors: list[np.ndarray] = []
    for case_id, text, data in rows.iterator(chunk_size=ASSIGN_CHUNK_SIZE):
        if data is None:
            raise ClusteringError(
                f"Case {case_id} is marked embedded but has no stored embedding."
            )
        vectors.append(_embedding_or_error(case_id, data))
        case_ids.append(case_id)
        texts.append(text)
    if not case_ids:
        raise ClusteringError("No embedded cases to cluster.")
    return _Snapshot(
        case_ids=np.array(case_ids, dtype=np.int64),
        texts=texts,
        embeddings=np.stack(vectors).astype(np.float32),
    )


def theme_stop_words() -> list[str]:
    """Every distinct brand of the stored cases and its no-space form: brand names must never label a theme."""
    words: set[str] = set()
    for brand in Case.objects.order_by().values_list("brand", flat=True).distinct():
        brand = brand.strip()
        if brand:
            words.add(brand)
            words.add(brand.replace(" ", ""))
    return sorted(words)


def _existing_themes() -> list[_ExistingTheme]:
    """Active and dormant themes with their current case sets (merged themes live on through their survivor)."""
    themes = list(
        Theme.objects.exclude(status=Theme.Status.MERGED)
        .order_by("id")
        .values_list("id", "centroid")
    )
    members: dict[int, set[int]] = {theme_id: set() for theme_id, _ in themes}
    links = CaseTheme.objects.filter(theme_id__in=list(members)).values_list(
        "theme_id", "case_id"
    )
    for theme_id, case_id in links.iterator(chunk_size=10000):
        members[theme_id].add(case_id)
    return [
        _ExistingTheme(
            theme_id=theme_id,
            centroid=embedding_from_bytes(centroid) if centroid else None,
            case_ids=frozenset(members[theme_id]),
        )
        for theme_id, centroid in themes
    ]


def theme_match_clusters(
    *,
    cluster_case_ids: Sequence[frozenset[int]],
    cluster_centroids: np.ndarray,
    themes: Sequence[_ExistingTheme],
) -> dict[int, int]:
    """Pair clusters with existing themes one-to-one: {cluster index: theme id}; unpaired clusters are new themes.

    Score = JACCARD_WEIGHT * Jaccard(case sets) + CENTROID_WEIGHT * cosine(centroids). A pair counts when its
    score reaches MATCH_MINIMUM_SCORE, or when the centroids alone are at least CENTROID_ONLY_MINIMUM_SIMILARITY
    alike (how a dormant theme, which has lost its cases, comes back).
    """
    if not cluster_case_ids or not themes:
        return {}
    scores = np.zeros((len(cluster_case_ids), len(themes)), dtype=np.float64)
    eligible = np.zeros_like(scores, dtype=bool)
    theme_centroids = np.stack(
        [
            theme.centroid
            if theme.centroid is not None
            and theme.centroid.shape == (cluster_centroids.shape[1],)
            else np.zeros(cluster_centroids.shape[1], dtype=np.float32)
            for theme in themes
        ]
    )
    similarities = _unit_rows(cluster_centroids) @ _unit_rows(theme_centroids).T
    for row, members in enumerate(cluster_case_ids):
        for column, theme in enumerate(themes):
            union = len(members | theme.case_ids)
            jaccard = len(members & theme.case_ids) / union if union else 0.0
            cosine = max(float(similarities[row, column]), 0.0)
            scores[row, column] = JACCARD_WEIGHT * jaccard + CENTROID_WEIGHT * cosine
            eligible[row, column] = (
                scores[row, column] >= MATCH_MINIMUM_SCORE
                or cosine >= CENTROID_ONLY_MINIMUM_SIMILARITY
            )
    rows, columns = linear_sum_assignment(
        np.where(eligible, scores, 0.0), maximize=True
    )
    return {
        int(row): themes[column].theme_id
        for row, column in zip(rows, columns, strict=True)
        if eligible[row, column]
    }


def _active_theme_per_case(snapshot: _Snapshot) -> np.ndarray:
    """Per snapshot case, the id of its current active theme, or -1 (so a refit never merges two of them)."""
    theme_by_case = dict(
        CaseTheme.objects.filter(theme__status=Theme.Status.ACTIVE).values_list("case_id", "theme_id")
    )
    return np.array(
        [theme_by_case.get(case_id, -1) for case_id in snapshot.case_ids.tolist()], dtype=np.int64
    )


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def clustering_run_execute(*, run_id: int) -> ClusteringRun | None:
    """Claim a pending run, fit the themes of every embedded case, and swap the result in atomically.

    Safe to call twice: only the call that moves the run from pending to running does the work. A run that
    fails is marked failed with its error and changes nothing else. Returns the run (None for an unknown id).
    """
    started_at = timezone.now()
    claimed = ClusteringRun.objects.filter(
        id=run_id, status=ClusteringRun.Status.PENDING
    ).update(status=ClusteringRun.Status.RUNNING, started_at=started_at)
    if not claimed:
        return ClusteringRun.objects.filter(id=run_id).first()
    clock = time.monotonic()
    try:
        snapshot = _embedded_cases_snapshot()
        existing = _existing_themes()
        result = theme_model.fit(
            texts=snapshot.texts,
            embeddings=snapshot.embeddings,
            stop_words=theme_stop_words(),
            previous_themes=_active_theme_per_case(snapshot),
        )
        if not result.clusters:
            raise ClusteringError(
                f"The fit found no themes among {len(snapshot.case_ids)} cases."
            )
        cluster_case_ids = [
            frozenset(
                int(case_id) for case_id in snapshot.case_ids[cluster.member_indices]
            )
            for cluster in result.clusters
        ]
        matches = theme_match_clusters(
            cluster_case_ids=cluster_case_ids,
            cluster_centroids=result.centroids,
            themes=existing,
        )
        with transaction.atomic():
            _swap_in(
                run_id=run_id,
                snapshot=snapshot,
                result=result,
                matches=matches,
                existing=existing,
                duration_seconds=time.monotonic() - clock,
            )
    except Exception as error:
        logger.exception("Clustering run %s failed", run_id)
        ClusteringRun.objects.filter(
            id=run_id, status=ClusteringRun.Status.RUNNING
        ).update(
            status=ClusteringRun.Status.FAILED,
            error=f"{type(error).__name__}: {error}"[:5000],
            finished_at=timezone.now(),
            duration_seconds=time.monotonic() - clock,
        )
    return ClusteringRun.objects.get(id=run_id)


def _swap_in(
    *,
    run_id: int,
    snapshot: _Snapshot,
    result: theme_model.FitResult,
    matches: dict[int, int],
    existing: Sequence[_ExistingTheme],
    duration_seconds: float,
) -> None:
    """Write one fit's themes and assignments; runs inside the caller's transaction, all or nothing."""
    run = ClusteringRun.objects.select_for_update().get(id=run_id)
    if run.status != ClusteringRun.Status.RUNNING:
        raise ThemeStateError(
            f"Clustering run {run_id} is {run.status}, no longer running."
        )
    # Locking every live theme serialises the swap with curation, which locks the themes it touches.
    themes = (
        Theme.objects.select_for_update().exclude(status=Theme.Status.MERGED).in_bulk()
    )
    events: list[ThemeEvent] = []
    cluster_themes: list[Theme] = []
    new_theme_count = 0
    for index, cluster in enumerate(result.clusters):
        representative_ids = [
            int(snapshot.case_ids[i]) for i in cluster.representative_indices
        ]
        theme_id = matches.get(index)
        theme = themes.get(theme_id) if theme_id is not None else None
        if theme is None:
            theme = Theme(label=cluster.label[:200], first_run=run)
            new_theme_count += 1
            is_new = True
        else:
            is_new = False
            if theme.status == Theme.Status.DORMANT:
                events.append(
                    ThemeEvent(theme=theme, kind=ThemeEvent.Kind.REACTIVATED, run=run)
                )
            if not theme.is_label_custom and theme.label != cluster.label[:200]:
                events.append(
                    ThemeEvent(
                        theme=theme,
                        kind=ThemeEvent.Kind.RENAMED,
                        run=run,
                        data={
                            "from": theme.label,
                            "to": cluster.label[:200],
                            "by_model": True,
                        },
                    )
                )
                theme.label = cluster.label[:200]
        theme.model_label = cluster.label[:200]
        theme.keywords = list(cluster.keywords)
        theme.representative_case_ids = representative_ids
        theme.centroid = embedding_to_bytes(cluster.centroid)
        theme.status = Theme.Status.ACTIVE
        theme.last_seen_run = run
        theme.save()
        if is_new:
            events.append(
                ThemeEvent(
                    theme=theme,
                    kind=ThemeEvent.Kind.CREATED,
                    run=run,
                    data={"size": cluster.size},
                )
            )
        cluster_themes.append(theme)

    manual_case_ids = set(
        CaseTheme.objects.filter(source=CaseTheme.Source.MANUAL).values_list(
            "case_id", flat=True
        )
    )
    # Active themes the fit did not find are candidates too, for their own previous cases only: a theme the
    # refit merely blended into a neighbour keeps its cases (and stays active) while they remain close to it.
    unmatched = [
        previous
        for previous in existing
        if previous.theme_id not in matches.values()
        and previous.centroid is not None
        and previous.case_ids
        and previous.centroid.shape == (snapshot.embeddings.shape[1],)
        and themes.get(previous.theme_id) is not None
        and themes[previous.theme_id].status == Theme.Status.ACTIVE
    ]
    cluster_count = len(result.clusters)
    centroids = np.vstack(
        [
            result.centroids,
            *[previous.centroid[np.newaxis, :] for previous in unmatched],
        ]
    ).astype(np.float32)
    previous_clusters = _previous_clusters(
        snapshot=snapshot,
        matches={
            **matches,
            **{
                cluster_count + offset: previous.theme_id
                for offset, previous in enumerate(unmatched)
            },
        },
        existing=existing,
    )
    final_assignments, sticky_count = theme_sticky_assignments(
        assignments=result.assignments,
        embeddings=snapshot.embeddings,
        centroids=centroids,
        previous_clusters=previous_clusters,
        margin=STICKY_MARGIN,
    )
    retained_count = 0
    for offset, previous in enumerate(unmatched):
        index = cluster_count + offset
        kept = final_assignments == index
        previous_members = int((previous_clusters == index).sum())
        if previous_members and kept.sum() >= max(
            RETAIN_MINIMUM_CASES, RETAIN_MINIMUM_SHARE * previous_members
        ):
            theme = themes[previous.theme_id]
            centroid = snapshot.embeddings[kept].mean(axis=0)
            centroids[index] = centroid / (np.linalg.norm(centroid) or 1.0)
            theme.centroid = embedding_to_bytes(centroids[index])
            theme.last_seen_run = run
            theme.save(update_fields=["centroid", "last_seen_run", "updated_at"])
            retained_count += 1
        else:
            theme = None
            final_assignments = np.where(kept, result.assignments, final_assignments)
            sticky_count -= int(kept.sum())
        cluster_themes.append(theme)
    links = []
    for position, case_id in enumerate(snapshot.case_ids.tolist()):
        if case_id in manual_case_ids:
            continue
        cluster_index = int(final_assignments[position])
        if cluster_index < 0:
            links.append(
                CaseTheme(
                    case_id=case_id, theme=None, source=CaseTheme.Source.FIT, run=run
                )
            )
            continue
        similarity = float(
            np.dot(snapshot.embeddings[position], centroids[cluster_index])
        )
        links.append(
            CaseTheme(
                case_id=case_id,
                theme=cluster_themes[cluster_index],
                source=CaseTheme.Source.FIT,
                similarity=round(similarity, 6),
                run=run,
            )
        )
    _case_theme_upsert(links)

    live_themes = [theme for theme in cluster_themes if theme is not None]
    live_centroids = centroids[
        [index for index, theme in enumerate(cluster_themes) if theme is not None]
    ]
    matched_ids = {theme.pk for theme in live_themes}
    themes_with_manual_cases = set(
        CaseTheme.objects.filter(source=CaseTheme.Source.MANUAL, theme__isnull=False)
        .values_list("theme_id", flat=True)
        .distinct()
    )
    dormant_count = 0
    for previous in existing:
        theme = themes.get(previous.theme_id)
        if (
            theme is None
            or theme.pk in matched_ids
            or theme.status != Theme.Status.ACTIVE
        ):
            continue
        if theme.pk in themes_with_manual_cases:
            continue
        theme.status = Theme.Status.DORMANT
        theme.save(update_fields=["status", "updated_at"])
        events.append(ThemeEvent(theme=theme, kind=ThemeEvent.Kind.DORMANT, run=run))
        dormant_count += 1

    # Cases embedded after the snapshot, or linked to a theme that just went dormant, join the new themes.
    stale_case_ids = list(
        CaseTheme.objects.exclude(source=CaseTheme.Source.MANUAL)
        .exclude(run=run)
        .values_list("case_id", flat=True)
    )
    if stale_case_ids:
        _assign_to_nearest(
            case_ids=stale_case_ids, themes=live_themes, centroids=live_centroids
        )

    ThemeEvent.objects.bulk_create(events, batch_size=WRITE_BATCH_SIZE)
    _recount_theme_sizes()
    # A refit may move any case, so every day's theme counts are recounted with it, in the same transaction.
    daily_volumes_refresh()
    run.status = ClusteringRun.Status.SUCCEEDED
    run.parameters = {
        **result.parameters,
        "sticky_margin": STICKY_MARGIN,
        "sticky_case_count": sticky_count,
        "retained_theme_count": retained_count,
    }
    run.model_versions = result.model_versions
    run.case_count = len(snapshot.case_ids)
    run.theme_count = len(live_themes)
    run.new_theme_count = new_theme_count
    run.matched_theme_count = len(live_themes) - new_theme_count
    run.dormant_theme_count = dormant_count
    run.outlier_share = float(result.outlier_share)
    run.finished_at = timezone.now()
    run.duration_seconds = duration_seconds
    run.error = ""
    run.save()


def _previous_clusters(
    *, snapshot: _Snapshot, matches: dict[int, int], existing: Sequence[_ExistingTheme]
) -> np.ndarray:
    """For each snapshot case, the new cluster its previous theme was matched to (-1: none, or no theme before)."""
    cluster_by_theme = {
        theme_id: cluster_index for cluster_index, theme_id in matches.items()
    }
    cluster_by_case: dict[int, int] = {}
    for theme in existing:
        cluster_index = cluster_by_theme.get(theme.theme_id)
        if cluster_index is not None:
            for case_id in theme.case_ids:
                cluster_by_case[case_id] = cluster_index
    return np.array(
        [cluster_by_case.get(case_id, -1) for case_id in snapshot.case_ids.tolist()],
        dtype=np.int64,
    )


def theme_sticky_assignments(
    *,
    assignments: np.ndarray,
    embeddings: np.ndarray,
    centroids: np.ndarray,
    previous_clusters: np.ndarray,
    threshold: float | None = None,
    margin: float | None = STICKY_MARGIN,
) -> tuple[np.ndarray, int]:
    """The fit's assignments, except that a case stays with its previous theme's cluster while that one is as good.

    A case keeps its previous theme when the refit still finds that theme, the case is at least `threshold`
    (the seam's assign threshold) alike to its centroid, and no more than `margin` less alike to it than to
    the cluster the fit chose (or the fit left it unassigned). Borderline cases then stop flipping between
    neighbouring themes from one night to the next. A `margin` of None keeps the fit's assignments as they are.
    Returns (assignments, how many cases were kept).
    """
    threshold = theme_model.DEFAULT_ASSIGN_THRESHOLD if threshold is None else threshold
    assignments = np.asarray(assignments, dtype=np.int64)
    if margin is None or len(assignments) == 0 or len(centroids) == 0:
        return assignments.copy(), 0
    has_previous = previous_clusters >= 0
    previous_similarity = np.einsum(
        "ij,ij->i", embeddings, centroids[np.where(has_previous, previous_clusters, 0)]
    )
    chosen_similarity = np.where(
        assignments >= 0,
        np.einsum(
            "ij,ij->i",
            embeddings,
            centroids[np.where(assignments >= 0, assignments, 0)],
        ),
        -np.inf,
    )
    keep = (
        has_previous
        & (previous_clusters != assignments)
        & (previous_similarity >= threshold)
        & (previous_similarity >= chosen_similarity - margin)
    )
    return np.where(keep, previous_clusters, assignments), int(keep.sum())


def _case_theme_upsert(links: list[CaseTheme]) -> None:
    """Insert the links, or overwrite a case's existing link with the new theme, source, similarity and run."""
    CaseTheme.objects.bulk_create(
        links,
        batch_size=WRITE_BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["case"],
        update_fields=["theme", "source", "similarity", "run", "assigned_at"],
    )


def _recount_theme_sizes() -> None:
    counts = dict(
        CaseTheme.objects.filter(theme__isnull=False)
        .values("theme_id")
        .annotate(count=Count("case"))
        .order_by()
        .values_list("theme_id", "count")
    )
    themes = list(Theme.objects.only("id", "size"))
    for theme in themes:
        theme.size = counts.get(theme.pk, 0)
    Theme.objects.bulk_update(themes, ["size"], batch_size=WRITE_BATCH_SIZE)


# ---------------------------------------------------------------------------------------------------------------
# New cases joining themes
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeAssignment:
    """What one incremental assignment did: cases that joined a theme, and those left unassigned."""

    assigned: int
    unassigned: int


def _assign_to_nearest(
    *, case_ids: Sequence[int], themes: Sequence[Theme], centroids: np.ndarray
) -> ThemeAssignment:
    """Link each case to its nearest theme above the seam's threshold (or to none), keeping theme sizes by F()."""
    assigned = unassigned = 0
    for start in range(0, len(case_ids), ASSIGN_CHUNK_SIZE):
        chunk = list(case_ids[start : start + ASSIGN_CHUNK_SIZE])
        rows = list(
            Case.objects.filter(id__in=chunk, embedded_at__isnull=False)
            .exclude(theme_link__source=CaseTheme.Source.MANUAL)
            .order_by("id")
            .values_list("id", "embedding")
        )
        vectors: list[np.ndarray] = []
        ids: list[int] = []
        for case_id, data in rows:
            vector = (
                embedding_from_bytes(data) if data else np.zeros(0, dtype=np.float32)
            )
            if vector.shape != (EMBEDDING_DIMENSION,):
                logger.warning(
                    "Case %s has a stored embedding of %s values; left for re-embedding",
                    case_id,
                    vector.size,
                )
                continue
            ids.append(case_id)
            vectors.append(vector)
        if not ids:
            continue
        if len(themes):
            indices, similarities = theme_model.assign(
                embeddings=np.stack(vectors),
                centroids=centroids,
                threshold=theme_model.DEFAULT_ASSIGN_THRESHOLD,
            )
        else:
            indices = np.full(len(ids), -1)
            similarities = np.zeros(len(ids), dtype=np.float32)
        previous = dict(
            CaseTheme.objects.filter(case_id__in=ids).values_list("case_id", "theme_id")
        )
        links = []
        size_changes: Counter[int] = Counter()
        for case_id, index, similarity in zip(
            ids, indices.tolist(), similarities.tolist(), strict=True
        ):
            theme = themes[index] if index >= 0 else None
            links.append(
                CaseTheme(
                    case_id=case_id,
                    theme=theme,
                    source=CaseTheme.Source.INCREMENTAL,
                    similarity=round(float(similarity), 6)
                    if theme is not None
                    else None,
                )
            )
            if previous.get(case_id) is not None:
                size_changes[previous[case_id]] -= 1
            if theme is not None:
                size_changes[theme.pk] += 1
                assigned += 1
            else:
                unassigned += 1
        _case_theme_upsert(links)
        for theme_id, change in size_changes.items():
            if change:
                Theme.objects.filter(id=theme_id).update(size=F("size") + change)
    return ThemeAssignment(assigned=assigned, unassigned=unassigned)


def theme_assign_new_cases(*, case_ids: Iterable[int]) -> ThemeAssignment:
    """Let newly (re-)embedded cases join the nearest active theme above the seam's threshold, or stay unassigned.

    A case is taken when it is embedded and has no theme link yet or one older than its embedding; cases moved
    by a team lead are left alone. Before the first clustering run there are no themes and nothing happens:
    the run will place them.
    """
    ids = sorted({int(case_id) for case_id in case_ids})
    if not ids:
        return ThemeAssignment(assigned=0, unassigned=0)
    with transaction.atomic():
        assignment = _assign_pending(ids)
        # The days these cases arrived on are recounted whether or not they joined a theme: totals count them all.
        daily_volumes_refresh_for_cases(case_ids=ids)
    return assignment


def _assign_pending(ids: list[int]) -> ThemeAssignment:
    themes = list(
        Theme.objects.select_for_update()
        .filter(status=Theme.Status.ACTIVE, centroid__isnull=False)
        .order_by("id")
    )
    if not themes:
        return ThemeAssignment(assigned=0, unassigned=0)
    centroids = np.stack([embedding_from_bytes(theme.centroid) for theme in themes])
    pending = []
    for start in range(0, len(ids), ASSIGN_CHUNK_SIZE):
        rows = Case.objects.filter(
            id__in=ids[start : start + ASSIGN_CHUNK_SIZE], embedded_at__isnull=False
        ).values_list("id", "embedded_at", "theme_link__assigned_at", "theme_link__source")
        pending.extend(
            case_id
            for case_id, embedded_at, assigned_at, source in rows
            if source != CaseTheme.Source.MANUAL and (assigned_at is None or assigned_at < embedded_at)
        )
    return _assign_to_nearest(case_ids=pending, themes=themes, centroids=centroids)


# ---------------------------------------------------------------------------------------------------------------
# Curation by team leads
# ---------------------------------------------------------------------------------------------------------------


def _locked(theme: Theme) -> Theme:
    return Theme.objects.select_for_update().get(pk=theme.pk)


def theme_rename(*, theme: Theme, label: str, by: AbstractBaseUser) -> Theme:
    """Give the theme a label of the lead's choosing; it is kept across refits (the model's label is still tracked)."""
    _require_curator(by)
    label = (label or "").strip()
    if not label:
        raise ValidationError({"label": "The label must not be empty."})
    if len(label) > 200:
        raise ValidationError({"label": "The label must be at most 200 characters."})
    with transaction.atomic():
        theme = _locked(theme)
        if theme.status == Theme.Status.MERGED:
            raise ThemeStateError(
                f"Theme {theme.pk} was merged into theme {theme.merged_into_id}; rename that one."
            )
        previous = theme.label
        theme.label = label
        theme.is_label_custom = True
        theme.save(update_fields=["label", "is_label_custom", "updated_at"])
        ThemeEvent.objects.create(
            theme=theme,
            kind=ThemeEvent.Kind.RENAMED,
            actor=by,
            data={"from": previous, "to": label},
        )
    return theme


def _combined_centroid(
    parts: Iterable[tuple[bytes | memoryview | None, int]],
) -> bytes | None:
    total = None
    for centroid, weight in parts:
        if not centroid or weight <= 0:
            continue
        vector = embedding_from_bytes(centroid).astype(np.float64) * weight
        total = vector if total is None else total + vector
    if total is None or not np.linalg.norm(total):
        return None
    return embedding_to_bytes((total / np.linalg.norm(total)).astype(np.float32))


def theme_merge(*, theme: Theme, into: Theme, by: AbstractBaseUser) -> Theme:
    """Merge a theme into another: its cases move to the survivor (as manual links), it becomes merged and points there.

    Themes merged earlier into the merged theme now point at the survivor too. Returns the survivor.
    """
    _require_curator(by)
    if theme.pk == into.pk:
        raise ValidationError({"into": "A theme cannot be merged into itself."})
    with transaction.atomic():
        first, second = sorted([theme.pk, into.pk])
        locked = Theme.objects.select_for_update().in_bulk([first, second])
        theme, into = locked[theme.pk], locked[into.pk]
        if theme.status == Theme.Status.MERGED:
            raise ThemeStateError(
                f"Theme {theme.pk} was already merged into theme {theme.merged_into_id}."
            )
        if into.status != Theme.Status.ACTIVE:
            raise ThemeStateError(
                f"Theme {into.pk} is {into.status}; merge only into an active theme."
            )
        moved_case_ids = list(
            CaseTheme.objects.filter(theme=theme).values_list("case_id", flat=True)
        )
        CaseTheme.objects.filter(theme=theme).update(
            theme=into,
            source=CaseTheme.Source.MANUAL,
            similarity=None,
            run=None,
            assigned_at=timezone.now(),
        )
        into.centroid = (
            _combined_centroid(
                [(into.centroid, into.size), (theme.centroid, theme.size)]
            )
            or into.centroid
        )
        into.size = CaseTheme.objects.filter(theme=into).count()
        into.save(update_fields=["centroid", "size", "updated_at"])
        Theme.objects.filter(merged_into=theme).update(merged_into=into)
        daily_volumes_refresh_for_cases(case_ids=moved_case_ids)
        theme.status = Theme.Status.MERGED
        theme.merged_into = into
        theme.size = 0
        theme.save(update_fields=["status", "merged_into", "size", "updated_at"])
        ThemeEvent.objects.bulk_create(
            [
                ThemeEvent(
                    theme=theme,
                    kind=ThemeEvent.Kind.MERGED,
                    actor=by,
                    data={"into": into.pk, "case_count": len(moved_case_ids)},
                ),
                ThemeEvent(
                    theme=into,
                    kind=ThemeEvent.Kind.MERGED,
                    actor=by,
                    data={"absorbed": theme.pk, "case_count": len(moved_case_ids)},
                ),
            ]
        )
    return into


def theme_split(*, theme: Theme, by: AbstractBaseUser, parts: int = 2) -> list[Theme]:
    """Re-cluster one theme's embedded cases into `parts` themes (k-means); the original keeps the largest part.

    The other parts become new active themes labelled by the seam; their cases move there as manual links,
    so the next refit keeps the split. Returns the themes, the original first.
    """
    _require_curator(by)
    if not isinstance(parts, int) or isinstance(parts, bool) or not 2 <= parts <= 10:
        raise ValidationError({"parts": "Split into between 2 and 10 parts."})
    from sklearn.cluster import KMeans

    with transaction.atomic():
        theme = _locked(theme)
        if theme.status != Theme.Status.ACTIVE:
            raise ThemeStateError(
                f"Theme {theme.pk} is {theme.status}; only an active theme can be split."
            )
        rows = list(
            Case.objects.filter(theme_link__theme=theme, embedded_at__isnull=False)
            .order_by("id")
            .values_list("id", "analysis_text", "embedding")
        )
        rows = [
            (case_id, text, data)
            for case_id, text, data in rows
            if data and len(bytes(data)) == EMBEDDING_DIMENSION * 4
        ]
        if len(rows) < parts * SPLIT_MINIMUM_CASES_PER_PART:
            raise ValidationError(
                {
                    "parts": (
                        f"Theme {theme.pk} has {len(rows)} embedded cases; splitting into {parts} needs at least "
                        f"{parts * SPLIT_MINIMUM_CASES_PER_PART}."
                    )
                }
            )
        case_ids = np.array([row[0] for row in rows])
        texts = [row[1] for row in rows]
        embeddings = np.stack([embedding_from_bytes(row[2]) for row in rows])
        groups = KMeans(n_clusters=parts, random_state=42, n_init=10).fit_predict(
            embeddings
        )
        order = [group for group, _ in Counter(groups.tolist()).most_common()]
        if len(order) < parts:
            raise ValidationError(
                {
                    "parts": f"The cases of theme {theme.pk} do not separate into {parts} parts."
                }
            )
        stop_words = theme_stop_words()
        result = [theme]
        for rank, group in enumerate(order):
            mask = groups == group
            member_texts = [
                text for text, is_member in zip(texts, mask, strict=True) if is_member
            ]
            other_texts = [
                text
                for text, is_member in zip(texts, mask, strict=True)
                if not is_member
            ]
            label, keywords = theme_model.label_keywords(
                texts=member_texts, stop_words=stop_words, background_texts=other_texts
            )
            centroid = embeddings[mask].mean(axis=0)
            centroid = (centroid / (np.linalg.norm(centroid) or 1.0)).astype(np.float32)
            member_ids = case_ids[mask]
            similarities = embeddings[mask] @ centroid
            representatives = [
                int(member_ids[i]) for i in np.argsort(-similarities)[:5]
            ]
            if rank == 0:
                theme.centroid = embedding_to_bytes(centroid)
                theme.keywords = keywords
                theme.model_label = label[:200]
                theme.representative_case_ids = representatives
                theme.size = (
                    int(mask.sum())
                    + CaseTheme.objects.filter(theme=theme).count()
                    - len(case_ids)
                )
                theme.save()
                continue
            part = Theme.objects.create(
                label=label[:200],
                model_label=label[:200],
                keywords=keywords,
                representative_case_ids=representatives,
                centroid=embedding_to_bytes(centroid),
                size=int(mask.sum()),
            )
            CaseTheme.objects.filter(case_id__in=member_ids.tolist()).update(
                theme=part,
                source=CaseTheme.Source.MANUAL,
                run=None,
                assigned_at=timezone.now(),
            )
            ThemeEvent.objects.create(
                theme=part,
                kind=ThemeEvent.Kind.CREATED,
                actor=by,
                data={"split_from": theme.pk, "case_count": int(mask.sum())},
            )
            daily_volumes_refresh_for_cases(case_ids=member_ids.tolist())
            result.append(part)
        ThemeEvent.objects.create(
            theme=theme,
            kind=ThemeEvent.Kind.SPLIT,
            actor=by,
            data={
                "into": [part.pk for part in result[1:]],
                "sizes": [part.size for part in result],
            },
        )
    return result


def theme_move_cases(
    *,
    case_ids: Sequence[int],
    to: Theme,
    by: AbstractBaseUser,
    from_theme: Theme | None = None,
) -> Theme:
    """Move cases into an active theme as manual links, which refits keep; returns the target theme.

    With `from_theme`, every case must currently be in that theme; without it, cases may come from any theme
    or be unassigned.
    """
    _require_curator(by)
    ids = sorted({int(case_id) for case_id in case_ids})
    if not ids:
        raise ValidationError({"case_ids": "Give at least one case id."})
    if len(ids) > MOVE_MAXIMUM_CASES:
        raise ValidationError(
            {"case_ids": f"Move at most {MOVE_MAXIMUM_CASES} cases at a time."}
        )
    known = set(Case.objects.filter(id__in=ids).values_list("id", flat=True))
    unknown = [case_id for case_id in ids if case_id not in known]
    if unknown:
        raise ValidationError(
            {"case_ids": f"Unknown case ids: {', '.join(map(str, unknown[:20]))}."}
        )
    with transaction.atomic():
        previous = dict(
            CaseTheme.objects.filter(case_id__in=ids).values_list("case_id", "theme_id")
        )
        if from_theme is not None:
            outside = [
                case_id for case_id in ids if previous.get(case_id) != from_theme.pk
            ]
            if outside:
                raise ValidationError(
                    {
                        "case_ids": (
                            f"Not in theme {from_theme.pk}: {', '.join(map(str, outside[:20]))}."
                        )
                    }
                )
        involved = sorted(
            {
                to.pk,
                *(theme_id for theme_id in previous.values() if theme_id is not None),
            }
        )
        locked = Theme.objects.select_for_update().in_bulk(involved)
        to = locked[to.pk]
        if to.status != Theme.Status.ACTIVE:
            raise ThemeStateError(
                f"Theme {to.pk} is {to.status}; move cases only into an active theme."
            )
        CaseTheme.objects.bulk_create(
            [
                CaseTheme(case_id=case_id, theme=to, source=CaseTheme.Source.MANUAL)
                for case_id in ids
            ],
            batch_size=WRITE_BATCH_SIZE,
            update_conflicts=True,
            unique_fields=["case"],
            update_fields=["theme", "source", "similarity", "run", "assigned_at"],
        )
        moved_from: dict[int, list[int]] = {}
        for case_id in ids:
            theme_id = previous.get(case_id)
            if theme_id != to.pk:
                moved_from.setdefault(theme_id, []).append(case_id)
        size_changes: Counter[int] = Counter()
        for theme_id, moved in moved_from.items():
            size_changes[to.pk] += len(moved)
            if theme_id is not None:
                size_changes[theme_id] -= len(moved)
        for theme_id, change in size_changes.items():
            if change:
                Theme.objects.filter(id=theme_id).update(size=F("size") + change)
        events = [
            ThemeEvent(
                theme=to,
                kind=ThemeEvent.Kind.CASES_MOVED,
                actor=by,
                data={
                    "case_ids": ids,
                    "from": {
                        str(key) if key is not None else "unassigned": value
                        for key, value in moved_from.items()
                    },
                },
            )
        ]
        events.extend(
            ThemeEvent(
                theme=locked[theme_id],
                kind=ThemeEvent.Kind.CASES_MOVED,
                actor=by,
                data={"case_ids": moved, "to": to.pk},
            )
            for theme_id, moved in moved_from.items()
            if theme_id is not None
        )
        ThemeEvent.objects.bulk_create(events)
        daily_volumes_refresh_for_cases(case_ids=ids)
    to.refresh_from_db()
    return to
