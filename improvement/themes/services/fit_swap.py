"""Persisting one fit: write its themes, links and statuses in the caller's transaction, all or nothing.

A cluster matched to an existing theme updates it (a dormant theme is reactivated); its label never changes: a
label of the fit that differs is stored as `suggested_label` for a team lead to accept (themes the lead named get
none). An unmatched cluster is a new theme, labelled by the fit, unless curation owns it: when at least
CURATED_MINIMUM_SHARE of its cases were placed by hand (merged or moved) in one theme, its cases belong to that
theme, so a merged theme's cases never come back as a new theme. Cases keep their theme unless clearly closer to
another (ml.theme_sticky_assignments). An active theme the refit blended into a neighbour stays active while at
least half of its cases (and RETAIN_MINIMUM_CASES) are still as close to it; otherwise it goes dormant, unless
a team lead moved cases into it. Links with source "manual" are never overwritten by a run. Merged themes are
never touched. Last, the swap checks that no active theme is left without cases: a theme this run created and
left empty is not kept, an older one goes dormant.

Seeded themes (services.seeded) are not in the fit: the cases the seeds took (`SeededCases`) are linked to them
as given, and their centroids, names and status stay as the lead made them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.utils import timezone

from cases.embedding import embedding_to_bytes
from improvement.errors import ThemeStateError
from improvement.models import CaseTheme, ClusteringRun, Theme, ThemeEvent
from improvement.models.themes import LABEL_MAX_LENGTH
from improvement.themes import ml
from improvement.themes.selectors import CaseSnapshot
from improvement.themes.services.assignment import theme_assign_to_nearest
from improvement.themes.services.links import (
    WRITE_BATCH_SIZE,
    case_theme_upsert,
    case_theme_upsert_columns,
    theme_sizes_recount,
    themes_lock_all,
)
from improvement.volumes.services import daily_theme_volumes_refresh

# An active theme the refit did not find stays active when at least this many of its cases, and this share of them,
# are still closer to it than (within STICKY_MARGIN) to the theme the fit chose; otherwise it goes dormant.
# Cases whose links a refit writes at once: a few MB of columns, never a model object per case.
LINK_WRITE_CHUNK = 50_000
RETAIN_MINIMUM_CASES = 10
RETAIN_MINIMUM_SHARE = 0.5
# An unmatched cluster belongs to the theme a team lead placed at least this share of its cases in (by hand).
CURATED_MINIMUM_SHARE = 0.5

# Sample cases kept per seeded theme (its most similar members), as a fitted theme keeps its representatives.
REPRESENTATIVE_COUNT = 5


@dataclass(frozen=True)
class SeededCases:
    """Cases a refit gave to seeded themes before fitting the rest: per case, its theme's id and similarity."""

    theme_ids: list[int]
    centroids: np.ndarray
    case_ids: np.ndarray
    theme_indices: np.ndarray
    similarities: np.ndarray


@dataclass
class _Swap:
    """What the swap has written so far: themes per cluster index, the events to store, and the counts."""

    run: ClusteringRun
    themes: dict[int, Theme]
    events: list[ThemeEvent]
    cluster_themes: list[Theme | None]
    # Case id -> theme id of every link a team lead made (moves, merges, splits): a run never overwrites these.
    manual_theme_by_case: dict[int, int]
    created: list[Theme]
    sticky_count: int = 0
    retained_count: int = 0
    dormant_count: int = 0
    seeded_case_count: int = 0


def fit_swap_in(
    *,
    run_id: int,
    snapshot: CaseSnapshot,
    result: ml.FitResult,
    matches: dict[int, int],
    existing: Sequence[ml.ExistingTheme],
    duration_seconds: float,
    sticky_margin: float | None = ml.STICKY_MARGIN,
    seeded: SeededCases | None = None,
) -> None:
    """Write one fit's themes and assignments; runs inside the caller's transaction, all or nothing.

    `snapshot` holds the cases the fit saw; `seeded` the cases given to seeded themes before it (none by default).
    """
    run = ClusteringRun.objects.select_for_update().get(id=run_id)
    if run.status != ClusteringRun.Status.RUNNING:
        raise ThemeStateError(f"Clustering run {run_id} is {run.status}, no longer running.")
    themes = {theme_id: theme for theme_id, theme in themes_lock_all().items() if theme.status != Theme.Status.MERGED}
    swap = _Swap(
        run=run,
        themes=themes,
        events=[],
        cluster_themes=[],
        manual_theme_by_case=dict(
            CaseTheme.objects.filter(source=CaseTheme.Source.MANUAL, theme__isnull=False).values_list(
                "case_id", "theme_id"
            )
        ),
        created=[],
    )
    for index, cluster in enumerate(result.clusters):
        theme_id = matches.get(index)
        curated = None if theme_id is not None else _curated_owner(swap, snapshot=snapshot, cluster=cluster)
        swap.cluster_themes.append(
            curated or _cluster_theme_write(swap, snapshot=snapshot, cluster=cluster, theme_id=theme_id)
        )
    unmatched = _unmatched_active_themes(
        swap, existing=existing, matches=matches, dimension=snapshot.embeddings.shape[1]
    )
    centroids = np.vstack(
        [
            result.centroids.reshape(len(result.clusters), snapshot.embeddings.shape[1]),
            *[previous.centroid[np.newaxis, :] for previous in unmatched],  # type: ignore[index]
        ]
    ).astype(np.float32)
    assignments = _final_assignments(
        swap,
        snapshot=snapshot,
        result=result,
        matches=matches,
        existing=existing,
        unmatched=unmatched,
        centroids=centroids,
        sticky_margin=sticky_margin,
    )
    _fit_links_write(swap, snapshot=snapshot, assignments=assignments, centroids=centroids)
    live_themes = [theme for theme in swap.cluster_themes if theme is not None]
    live_centroids = centroids[[index for index, theme in enumerate(swap.cluster_themes) if theme is not None]]
    if seeded is not None and seeded.theme_ids:
        seeded_themes, seeded_centroids = _seeded_links_write(swap, seeded=seeded)
        live_themes = [*live_themes, *seeded_themes]
        live_centroids = np.vstack([live_centroids.reshape(-1, seeded.centroids.shape[1]), seeded_centroids])
    _unfound_themes_retire(swap, existing=existing, live_theme_ids={theme.pk for theme in live_themes})
    # Cases embedded after the snapshot, or linked to a theme that just went dormant, join the new themes.
    stale_case_ids = list(
        CaseTheme.objects.exclude(source=CaseTheme.Source.MANUAL).exclude(run=run).values_list("case_id", flat=True)
    )
    if stale_case_ids:
        theme_assign_to_nearest(case_ids=stale_case_ids, themes=live_themes, centroids=live_centroids)
    removed_ids = _empty_active_themes_resolve(swap)
    live_theme_ids = {theme.pk for theme in live_themes} - removed_ids
    ThemeEvent.objects.bulk_create(swap.events, batch_size=WRITE_BATCH_SIZE)
    theme_sizes_recount()
    # A refit may move any case, so every day's theme counts are recounted with it, in the same transaction.
    daily_theme_volumes_refresh()
    _run_succeed(
        swap,
        snapshot=snapshot,
        result=result,
        live_theme_count=len(live_theme_ids),
        sticky_margin=sticky_margin,
        duration_seconds=duration_seconds,
    )


def _curated_owner(swap: _Swap, *, snapshot: CaseSnapshot, cluster: ml.ThemeCluster) -> Theme | None:
    """The active theme holding, by a team lead's hand, at least CURATED_MINIMUM_SHARE of the cluster's cases."""
    owners = Counter(
        swap.manual_theme_by_case[case_id]
        for case_id in snapshot.case_ids[cluster.member_indices].tolist()
        if case_id in swap.manual_theme_by_case
    )
    if not owners:
        return None
    theme_id, count = owners.most_common(1)[0]
    owner = swap.themes.get(theme_id)
    if owner is None or owner.status != Theme.Status.ACTIVE or count < CURATED_MINIMUM_SHARE * cluster.size:
        return None
    return owner


def _cluster_theme_write(
    swap: _Swap, *, snapshot: CaseSnapshot, cluster: ml.ThemeCluster, theme_id: int | None
) -> Theme:
    """Update the matched theme from the cluster (or create a new one), queueing its events.

    A matched theme keeps its label; the fit's differing label becomes its suggested label (none for a label a
    team lead chose), and an event records each new suggestion.
    """
    label = cluster.label[:LABEL_MAX_LENGTH]
    theme = swap.themes.get(theme_id) if theme_id is not None else None
    is_new = theme is None
    if theme is None:
        theme = Theme(label=label, first_run=swap.run)
    else:
        if theme.status == Theme.Status.DORMANT:
            swap.events.append(ThemeEvent(theme=theme, kind=ThemeEvent.Kind.REACTIVATED, run=swap.run))
        suggested = "" if theme.is_label_custom or theme.label == label else label
        if suggested and suggested != theme.suggested_label:
            swap.events.append(
                ThemeEvent(
                    theme=theme,
                    kind=ThemeEvent.Kind.LABEL_SUGGESTED,
                    run=swap.run,
                    data={"label": theme.label, "suggested": suggested},
                )
            )
        theme.suggested_label = suggested
    theme.model_label = label
    theme.keywords = list(cluster.keywords)
    theme.representative_case_ids = [int(snapshot.case_ids[i]) for i in cluster.representative_indices]
    theme.centroid = embedding_to_bytes(cluster.centroid)
    theme.status = Theme.Status.ACTIVE
    theme.last_seen_run = swap.run
    theme.save()
    if is_new:
        swap.created.append(theme)
        swap.events.append(
            ThemeEvent(theme=theme, kind=ThemeEvent.Kind.CREATED, run=swap.run, data={"size": cluster.size})
        )
    return theme


def _unmatched_active_themes(
    swap: _Swap, *, existing: Sequence[ml.ExistingTheme], matches: dict[int, int], dimension: int
) -> list[ml.ExistingTheme]:
    """Active themes the fit did not find that have cases and a centroid: candidates for their own cases."""
    matched = set(matches.values())
    return [
        previous
        for previous in existing
        if previous.theme_id not in matched
        and previous.centroid is not None
        and previous.case_ids
        and previous.centroid.shape == (dimension,)
        and swap.themes.get(previous.theme_id) is not None
        and swap.themes[previous.theme_id].status == Theme.Status.ACTIVE
    ]


def _final_assignments(
    swap: _Swap,
    *,
    snapshot: CaseSnapshot,
    result: ml.FitResult,
    matches: dict[int, int],
    existing: Sequence[ml.ExistingTheme],
    unmatched: list[ml.ExistingTheme],
    centroids: np.ndarray,
    sticky_margin: float | None,
) -> np.ndarray:
    """The fit's assignments made sticky, with blended themes retained or let go (their cases back to the fit)."""
    cluster_count = len(result.clusters)
    previous = ml.previous_clusters(
        case_ids=snapshot.case_ids,
        matches={**matches, **{cluster_count + offset: theme.theme_id for offset, theme in enumerate(unmatched)}},
        themes=existing,
    )
    assignments, swap.sticky_count = ml.theme_sticky_assignments(
        assignments=result.assignments,
        embeddings=snapshot.embeddings,
        centroids=centroids,
        previous_clusters=previous,
        margin=sticky_margin,
    )
    for offset, candidate in enumerate(unmatched):
        index = cluster_count + offset
        kept = assignments == index
        previous_members = int((previous == index).sum())
        theme = None
        if previous_members and kept.sum() >= max(RETAIN_MINIMUM_CASES, RETAIN_MINIMUM_SHARE * previous_members):
            theme = swap.themes[candidate.theme_id]
            centroids[index] = ml.unit_centroid(snapshot.embeddings[kept])
            theme.centroid = embedding_to_bytes(centroids[index])
            theme.last_seen_run = swap.run
            theme.save(update_fields=["centroid", "last_seen_run", "updated_at"])
            swap.retained_count += 1
        else:
            assignments = np.where(kept, result.assignments, assignments)
            swap.sticky_count -= int(kept.sum())
        swap.cluster_themes.append(theme)
    return assignments


def _fit_links_write(swap: _Swap, *, snapshot: CaseSnapshot, assignments: np.ndarray, centroids: np.ndarray) -> None:
    """Link every snapshot case not placed by hand to its final theme (or to none), with its similarity.

    Written LINK_WRITE_CHUNK cases at a time as columns: memory stays bounded however many cases the run holds.
    """
    manual_case_ids = np.fromiter(
        CaseTheme.objects.filter(source=CaseTheme.Source.MANUAL).values_list("case_id", flat=True), dtype=np.int64
    )
    theme_id_of_cluster = [theme.pk if theme is not None else None for theme in swap.cluster_themes]
    for start in range(0, len(snapshot.case_ids), LINK_WRITE_CHUNK):
        positions = np.arange(start, min(start + LINK_WRITE_CHUNK, len(snapshot.case_ids)))
        positions = positions[~np.isin(snapshot.case_ids[positions], manual_case_ids)]
        clusters = assignments[positions]
        placed = clusters >= 0
        similarities = np.einsum(
            "ij,ij->i", snapshot.embeddings[positions], centroids[np.where(placed, clusters, 0)]
        ).astype(np.float32)
        case_theme_upsert_columns(
            case_ids=snapshot.case_ids[positions].tolist(),
            theme_ids=[theme_id_of_cluster[cluster] if cluster >= 0 else None for cluster in clusters.tolist()],
            similarities=[
                round(float(similarity), 6) if is_placed else None
                for similarity, is_placed in zip(similarities.tolist(), placed.tolist(), strict=True)
            ],
            source=CaseTheme.Source.FIT,
            run_id=swap.run.pk,
        )


def _seeded_links_write(swap: _Swap, *, seeded: SeededCases) -> tuple[list[Theme], np.ndarray]:
    """Link the cases the seeds took to their seeded themes (manual links kept); returns those themes and centroids.

    A seeded theme merged or made inactive since the snapshot takes no cases: they are placed with the stale ones.
    """
    manual_case_ids = set(CaseTheme.objects.filter(source=CaseTheme.Source.MANUAL).values_list("case_id", flat=True))
    themes: list[Theme | None] = [swap.themes.get(theme_id) for theme_id in seeded.theme_ids]
    themes = [theme if theme is not None and theme.status == Theme.Status.ACTIVE else None for theme in themes]
    links = []
    for case_id, index, similarity in zip(
        seeded.case_ids.tolist(), seeded.theme_indices.tolist(), seeded.similarities.tolist(), strict=True
    ):
        if case_id in manual_case_ids or themes[index] is None:
            continue
        links.append(
            CaseTheme(
                case_id=case_id,
                theme=themes[index],
                source=CaseTheme.Source.FIT,
                similarity=round(float(similarity), 6),
                run=swap.run,
            )
        )
    case_theme_upsert(links=links)
    swap.seeded_case_count = len(seeded.case_ids)
    for index, theme in enumerate(themes):
        if theme is None:
            continue
        members = np.flatnonzero(seeded.theme_indices == index)
        closest = members[np.argsort(-seeded.similarities[members], kind="stable")][:REPRESENTATIVE_COUNT]
        theme.representative_case_ids = [int(seeded.case_ids[position]) for position in closest]
        theme.last_seen_run = swap.run
        theme.save(update_fields=["representative_case_ids", "last_seen_run", "updated_at"])
    kept = [index for index, theme in enumerate(themes) if theme is not None]
    return [themes[index] for index in kept], seeded.centroids[kept]  # type: ignore[misc]


def _unfound_themes_retire(swap: _Swap, *, existing: Sequence[ml.ExistingTheme], live_theme_ids: set[int]) -> None:
    """Active themes no cluster found go dormant, unless a team lead moved cases into them."""
    themes_with_manual_cases = set(
        CaseTheme.objects.filter(source=CaseTheme.Source.MANUAL, theme__isnull=False)
        .values_list("theme_id", flat=True)
        .distinct()
    )
    for previous in existing:
        theme = swap.themes.get(previous.theme_id)
        if theme is None or theme.pk in live_theme_ids or theme.status != Theme.Status.ACTIVE:
            continue
        if theme.pk in themes_with_manual_cases:
            continue
        theme.status = Theme.Status.DORMANT
        theme.save(update_fields=["status", "updated_at"])
        swap.events.append(ThemeEvent(theme=theme, kind=ThemeEvent.Kind.DORMANT, run=swap.run))
        swap.dormant_count += 1


def _empty_active_themes_resolve(swap: _Swap) -> set[int]:
    """No active theme without cases: drop the themes this run created and left empty, retire older empty ones.

    A seeded theme is the lead's own taxonomy entry and stays as the lead made it, with or without cases yet.

    Returns the ids of the dropped themes. A dropped theme was never seen outside this transaction (its events
    are not stored yet), so removing it deletes nothing anyone knew.
    """
    linked_theme_ids = set(
        CaseTheme.objects.filter(theme__isnull=False).values_list("theme_id", flat=True).distinct().order_by()
    )
    created_ids = {theme.pk for theme in swap.created}
    empty_ids = set(
        Theme.objects.filter(status=Theme.Status.ACTIVE, is_seeded=False)
        .exclude(id__in=linked_theme_ids)
        .values_list("id", flat=True)
    )
    dropped_ids = empty_ids & created_ids
    if dropped_ids:
        swap.events = [event for event in swap.events if event.theme_id not in dropped_ids]
        Theme.objects.filter(id__in=dropped_ids).delete()
        swap.created = [theme for theme in swap.created if theme.pk not in dropped_ids]
    for theme_id in sorted(empty_ids - created_ids):
        theme = swap.themes[theme_id]
        theme.status = Theme.Status.DORMANT
        theme.save(update_fields=["status", "updated_at"])
        swap.events.append(ThemeEvent(theme=theme, kind=ThemeEvent.Kind.DORMANT, run=swap.run, data={"empty": True}))
        swap.dormant_count += 1
    return dropped_ids


def _run_succeed(
    swap: _Swap,
    *,
    snapshot: CaseSnapshot,
    result: ml.FitResult,
    live_theme_count: int,
    sticky_margin: float | None,
    duration_seconds: float,
) -> None:
    run = swap.run
    run.status = ClusteringRun.Status.SUCCEEDED
    run.parameters = {
        **result.parameters,
        "sticky_margin": sticky_margin,
        "sticky_case_count": swap.sticky_count,
        "retained_theme_count": swap.retained_count,
        "seeded_case_count": swap.seeded_case_count,
    }
    run.model_versions = result.model_versions
    run.case_count = len(snapshot.case_ids) + swap.seeded_case_count
    run.theme_count = live_theme_count
    run.new_theme_count = len(swap.created)
    run.matched_theme_count = live_theme_count - len(swap.created)
    run.dormant_theme_count = swap.dormant_count
    run.outlier_share = float(result.outlier_share)
    run.finished_at = timezone.now()
    run.duration_seconds = duration_seconds
    run.error = ""
    run.save()
