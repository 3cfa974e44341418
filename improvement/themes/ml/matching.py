"""Theme identity across refits, in numbers only: pair new clusters with existing themes, keep borderline cases.

Each cluster of a new fit is matched to at most one existing theme (active or dormant) by a one-to-one
assignment (Hungarian) on a score mixing the Jaccard overlap of their case sets and the cosine similarity of
their centroids, so a theme keeps its id, label and links. A cluster matched to nothing becomes a new theme.

A case stays with its theme across a refit unless the new fit puts it clearly (STICKY_MARGIN) closer to another
one, so borderline cases do not flip between neighbouring themes every night.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from improvement.themes.ml.clustering import DEFAULT_ASSIGN_THRESHOLD
from improvement.themes.ml.vectors import normalise_rows

# A cluster and a theme are the same theme when the best one-to-one pairing gives them a score at least this high.
MATCH_MINIMUM_SCORE = 0.35
JACCARD_WEIGHT = 0.6
CENTROID_WEIGHT = 0.4
# A dormant theme has (almost) no cases left to overlap, so it comes back on its centroid alone, if that is close.
CENTROID_ONLY_MINIMUM_SIMILARITY = 0.9
# A case stays in its theme across a refit unless it became more than this much closer (cosine) to another theme.
STICKY_MARGIN: float | None = 0.05


@dataclass(frozen=True)
class ExistingTheme:
    """A theme before the refit: its id, centroid (None when it has none) and the ids of its cases."""

    theme_id: int
    centroid: np.ndarray | None
    case_ids: frozenset[int]


def theme_match_clusters(
    *,
    cluster_case_ids: Sequence[frozenset[int]],
    cluster_centroids: np.ndarray,
    themes: Sequence[ExistingTheme],
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
    dimension = cluster_centroids.shape[1]
    theme_centroids = np.stack(
        [
            theme.centroid
            if theme.centroid is not None and theme.centroid.shape == (dimension,)
            else np.zeros(dimension, dtype=np.float32)
            for theme in themes
        ]
    )
    similarities = normalise_rows(cluster_centroids) @ normalise_rows(theme_centroids).T
    for row, members in enumerate(cluster_case_ids):
        for column, theme in enumerate(themes):
            union = len(members | theme.case_ids)
            jaccard = len(members & theme.case_ids) / union if union else 0.0
            cosine = max(float(similarities[row, column]), 0.0)
            scores[row, column] = JACCARD_WEIGHT * jaccard + CENTROID_WEIGHT * cosine
            eligible[row, column] = (
                scores[row, column] >= MATCH_MINIMUM_SCORE or cosine >= CENTROID_ONLY_MINIMUM_SIMILARITY
            )
    rows, columns = linear_sum_assignment(np.where(eligible, scores, 0.0), maximize=True)
    return {
        int(row): themes[column].theme_id for row, column in zip(rows, columns, strict=True) if eligible[row, column]
    }


def previous_clusters(*, case_ids: np.ndarray, matches: dict[int, int], themes: Sequence[ExistingTheme]) -> np.ndarray:
    """For each case, the new cluster its previous theme was matched to (-1: none, or no theme before)."""
    cluster_by_theme = {theme_id: cluster_index for cluster_index, theme_id in matches.items()}
    cluster_by_case: dict[int, int] = {}
    for theme in themes:
        cluster_index = cluster_by_theme.get(theme.theme_id)
        if cluster_index is not None:
            for case_id in theme.case_ids:
                cluster_by_case[case_id] = cluster_index
    return np.array([cluster_by_case.get(case_id, -1) for case_id in case_ids.tolist()], dtype=np.int64)


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
    threshold = DEFAULT_ASSIGN_THRESHOLD if threshold is None else threshold
    assignments = np.asarray(assignments, dtype=np.int64)
    if margin is None or len(assignments) == 0 or len(centroids) == 0:
        return assignments.copy(), 0
    has_previous = previous_clusters >= 0
    previous_similarity = np.einsum("ij,ij->i", embeddings, centroids[np.where(has_previous, previous_clusters, 0)])
    chosen_similarity = np.where(
        assignments >= 0,
        np.einsum("ij,ij->i", embeddings, centroids[np.where(assignments >= 0, assignments, 0)]),
        -np.inf,
    )
    keep = (
        has_previous
        & (previous_clusters != assignments)
        & (previous_similarity >= threshold)
        & (previous_similarity >= chosen_similarity - margin)
    )
    return np.where(keep, previous_clusters, assignments), int(keep.sum())
