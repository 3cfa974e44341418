"""Split one theme's cases into parts by k-means on their embeddings (numpy and scikit-learn only)."""

from __future__ import annotations

from collections import Counter

import numpy as np

SPLIT_RANDOM_STATE = 42
SPLIT_INITIALISATIONS = 10


def split_groups(*, embeddings: np.ndarray, parts: int) -> list[np.ndarray]:
    """Boolean member masks of the k-means parts, largest first; fewer than `parts` when the rows do not separate."""
    from sklearn.cluster import KMeans

    groups = KMeans(n_clusters=parts, random_state=SPLIT_RANDOM_STATE, n_init=SPLIT_INITIALISATIONS).fit_predict(
        embeddings
    )
    return [groups == group for group, _ in Counter(groups.tolist()).most_common()]
