"""Theme groups, in numbers only: parent themes proposed from the similarity of theme centroids.

Average-linkage agglomerative clustering on cosine distance, cut into about the square root of the number of
themes (at least 2, at most GROUP_MAXIMUM_COUNT): a data-relative cut, because centroid similarities differ
widely between data sets (nine airline reasons are all above 0.79 alike; 60 banking intents mostly below 0.35),
so no fixed similarity threshold yields a small number of groups on both. On the simulated demo stream's 15
problems this gives payments, delivery and store, app and site, and the chat bot.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from improvement.themes.ml.vectors import normalise_rows

GROUP_MAXIMUM_COUNT = 12


def theme_group_count(theme_count: int) -> int:
    """How many groups to propose for this many themes: round(sqrt(n)), between 2 and GROUP_MAXIMUM_COUNT (n < 2: n)."""
    if theme_count < 2:
        return theme_count
    return min(GROUP_MAXIMUM_COUNT, max(2, round(math.sqrt(theme_count))))


def theme_groups_propose(*, centroids: np.ndarray, group_count: int | None = None) -> np.ndarray:
    """The proposed group of each theme (row of `centroids`): integers from 0, numbered by first appearance.

    `group_count` defaults to theme_group_count(len(centroids)); fewer groups come back when the linkage cannot
    cut into that many. Deterministic: the same centroids give the same groups.
    """
    count = len(centroids)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    if count == 1:
        return np.zeros(1, dtype=np.int64)
    wanted = theme_group_count(count) if group_count is None else group_count
    rows = normalise_rows(centroids).astype(np.float64)
    tree = linkage(rows, method="average", metric="cosine")
    raw = fcluster(tree, t=max(1, wanted), criterion="maxclust")
    numbering: dict[int, int] = {}
    return np.array([numbering.setdefault(int(value), len(numbering)) for value in raw], dtype=np.int64)
