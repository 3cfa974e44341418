"""What the seam hands back: plain, frozen dataclasses of numpy arrays, strings and JSON-able dicts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ThemeCluster:
    """One theme found by a fit: a short problem label, its keywords, its members and their centroid.

    `parent` numbers the broader group the theme belongs to in the same fit (themes with one parent are a coarser
    cut of the same tree: a proposal for theme groups); -1 where the fit made none.
    """

    label: str
    keywords: list[str]
    member_indices: np.ndarray
    representative_indices: list[int]
    centroid: np.ndarray
    parent: int = -1

    @property
    def size(self) -> int:
        return int(len(self.member_indices))


@dataclass(frozen=True)
class FitResult:
    """The themes of one fit; `assignments[i]` indexes `clusters`, or is -1 for a document left unassigned."""

    clusters: list[ThemeCluster]
    assignments: np.ndarray
    outlier_share: float
    parameters: dict
    model_versions: dict

    @property
    def centroids(self) -> np.ndarray:
        """The clusters' centroids stacked as rows (float32), ready for `assign`."""
        if not self.clusters:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([cluster.centroid for cluster in self.clusters]).astype(np.float32)
