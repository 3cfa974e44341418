"""Vector maths of the seam: unit rows, unit centroids and weighted combinations (numpy only)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

# Rows normalised per block: a million rows need one output array, not the squares' temporary beside it.
NORMALISE_BLOCK_ROWS = 65_536


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled to unit length (zero rows stay zero), as a new float32 array, a block of rows at a time."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)
    return normalise_rows_in_place(vectors.copy())


def normalise_rows_in_place(vectors: np.ndarray) -> np.ndarray:
    """normalise_rows into the array itself (2-d, float32, writable), the same values without a copy."""
    if vectors.ndim != 2 or vectors.dtype != np.float32 or not vectors.flags.writeable:
        raise ValueError("normalise_rows_in_place needs a writable 2-d float32 array")
    for start in range(0, len(vectors), NORMALISE_BLOCK_ROWS):
        block = vectors[start : start + NORMALISE_BLOCK_ROWS]
        norms = np.linalg.norm(block, axis=1, keepdims=True)
        np.divide(block, np.where(norms == 0, 1, norms), out=block)
    return vectors


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
