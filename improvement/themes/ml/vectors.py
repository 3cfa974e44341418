"""Vector maths of the seam: unit rows, unit centroids and weighted combinations (numpy only)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled to unit length (zero rows stay zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def unit_centroid(vectors: np.ndarray) -> np.ndarray:
    """The mean of the rows scaled to unit length (float32); a zero mean stays zero."""
    centroid = np.asarray(vectors).mean(axis=0)
    return (centroid / (np.linalg.norm(centroid) or 1.0)).astype(np.float32)


def weighted_unit_centroid(parts: Iterable[tuple[np.ndarray | None, int]]) -> np.ndarray | None:
    """The unit-length weighted sum of (vector, weight) parts, skipping missing vectors and weights <= 0.

    None when nothing is left or the sum is zero: two themes' centroids combined by their sizes, for a merge.
    """
    total = None
    for vector, weight in parts:
        if vector is None or weight <= 0:
            continue
        weighted = np.asarray(vector).astype(np.float64) * weight
        total = weighted if total is None else total + weighted
    if total is None or not np.linalg.norm(total):
        return None
    return (total / np.linalg.norm(total)).astype(np.float32)


def closest_indices(*, embeddings: np.ndarray, centroid: np.ndarray, count: int) -> np.ndarray:
    """Positions of the `count` rows most similar (dot product) to the centroid, closest first."""
    return np.argsort(-(embeddings @ centroid))[:count]
