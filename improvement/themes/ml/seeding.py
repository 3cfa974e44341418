"""Seeded themes: centroids from a taxonomy's phrases, zero-shot assignment to them, and a fit of the rest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from improvement.themes.ml.clustering import assign, fit, similarity_blocks
from improvement.themes.ml.results import FitResult
from improvement.themes.ml.vectors import normalise_rows, unit_centroid

# Cosine similarity to the nearest seed centroid at or above which a case joins that seeded theme. Measured on the
# airline negatives with the nine reason names as the only seeds (bench/seeded_themes.py, thresholds 0.30-0.60):
# 0.50 gave the best NMI of the seeded fits (0.2507; 0.2347-0.2457 elsewhere; unseeded 0.2527), the best
# homogeneity (0.319) and fewer outliers than unseeded (3.3% vs 4.0%); the seeds then take 28% of the tweets at
# 66% precision (0.40: 53% at 59%; 0.60: 10% at 74%), leaving the rest to the fit.
SEED_ASSIGN_THRESHOLD = 0.50


def seed_phrases(*, name: str, description: str = "", examples: Sequence[str] = ()) -> list[str]:
    """The phrases a seeded theme's centroid is embedded from: its name, its description, each example."""
    return [phrase.strip() for phrase in [name, description, *examples] if phrase and phrase.strip()]


def seed_centroid(phrase_embeddings: np.ndarray) -> np.ndarray:
    """A seeded theme's centroid: the unit mean of its phrases' embeddings (each normalised first)."""
    return unit_centroid(normalise_rows(np.atleast_2d(phrase_embeddings)))


@dataclass(frozen=True)
class SeededFit:
    """Cases on seeded themes (`seed_assignments[i]` indexes the seeds, -1 for none), and the fit of the others.

    `rest_indices` are the positions (in the input) of the documents no seed took; `rest.assignments` follows them.
    """

    seed_count: int
    seed_assignments: np.ndarray
    seed_similarities: np.ndarray
    rest_indices: np.ndarray
    rest: FitResult

    def combined_assignments(self) -> np.ndarray:
        """One label per document: seed i is i, the fit's cluster j is (seed count + j), unassigned is -1."""
        combined = self.seed_assignments.copy()
        rest = self.rest.assignments
        combined[self.rest_indices] = np.where(rest >= 0, rest + self.seed_count, -1)
        return combined

    @property
    def outlier_share(self) -> float:
        """The share of all documents on neither a seeded theme nor a fitted one."""
        combined = self.combined_assignments()
        return float((combined < 0).mean()) if len(combined) else 0.0


def seed_assign(
    *, embeddings: np.ndarray, seed_centroids: np.ndarray, threshold: float = SEED_ASSIGN_THRESHOLD
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest seed centroid per row by cosine similarity: (its index, or -1 below `threshold`; the similarity)."""
    embeddings = np.atleast_2d(np.asarray(embeddings, dtype=np.float32))
    if len(seed_centroids) == 0 or len(embeddings) == 0:
        return np.full(len(embeddings), -1, dtype=np.int64), np.zeros(len(embeddings), dtype=np.float32)
    nearest, best = assign(embeddings=embeddings, centroids=seed_centroids, threshold=-np.inf)
    return np.where(best >= threshold, nearest, -1).astype(np.int64), best.astype(np.float32)


def assign_with_thresholds(
    *, embeddings: np.ndarray, centroids: np.ndarray, thresholds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the most similar centroid among those whose own threshold it reaches (or -1), and that similarity.

    Seeded and fitted themes side by side: a seeded theme takes a case only at SEED_ASSIGN_THRESHOLD, a fitted one
    at its lower threshold, so a case just short of a seed still joins the nearest fitted theme it is close to.
    """
    embeddings = np.atleast_2d(np.asarray(embeddings, dtype=np.float32))
    if len(centroids) == 0 or len(embeddings) == 0:
        return np.full(len(embeddings), -1, dtype=np.int64), np.zeros(len(embeddings), dtype=np.float32)
    row_thresholds = np.asarray(thresholds, dtype=np.float32)[np.newaxis, :]
    nearest = np.empty(len(embeddings), dtype=np.int64)
    best = np.empty(len(embeddings), dtype=np.float32)
    for start, similarities in similarity_blocks(embeddings=embeddings, centroids=centroids):
        eligible = np.where(similarities >= row_thresholds, similarities, -np.inf)
        block_nearest = np.argmax(eligible, axis=1)
        nearest[start : start + len(eligible)] = block_nearest
        best[start : start + len(eligible)] = eligible[np.arange(len(eligible)), block_nearest]
    found = np.isfinite(best)
    return np.where(found, nearest, -1).astype(np.int64), np.where(found, best, 0.0).astype(np.float32)


def fit_with_seeds(
    *,
    texts: Sequence[str],
    embeddings: np.ndarray,
    seed_centroids: np.ndarray,
    seed_threshold: float = SEED_ASSIGN_THRESHOLD,
    previous_themes: np.ndarray | None = None,
    **fit_options: Any,
) -> SeededFit:
    """Assign documents to the nearest seed above `seed_threshold`, then fit themes among the rest as usual.

    `fit_options` go to `fit`; with overwrite_embeddings=True and no seed taking a case, `embeddings` is normalised in
    place."""
    seed_assignments, seed_similarities = seed_assign(
        embeddings=embeddings, seed_centroids=seed_centroids, threshold=seed_threshold
    )
    rest_indices = np.flatnonzero(seed_assignments < 0)
    if len(rest_indices) == len(embeddings):
        # No seed took a case: the fit reads the caller's arrays, no copy of a million vectors.
        rest = fit(texts=texts, embeddings=embeddings, previous_themes=previous_themes, **fit_options)
    else:
        # The rest is this function's own copy, so the fit may normalise it in place.
        rest = fit(
            texts=[texts[int(i)] for i in rest_indices],
            embeddings=np.asarray(embeddings, dtype=np.float32)[rest_indices],
            previous_themes=None if previous_themes is None else np.asarray(previous_themes)[rest_indices],
            **{**fit_options, "overwrite_embeddings": True},
        )
    rest = FitResult(
        clusters=rest.clusters,
        assignments=rest.assignments,
        outlier_share=rest.outlier_share,
        parameters={**rest.parameters, "seed_count": len(seed_centroids), "seed_threshold": seed_threshold},
        model_versions=rest.model_versions,
    )
    return SeededFit(
        seed_count=len(seed_centroids),
        seed_assignments=seed_assignments,
        seed_similarities=seed_similarities,
        rest_indices=rest_indices,
        rest=rest,
    )
