"""The ML seam: embed, fit, assign, label. It knows nothing of issues, fixes, screens or the database.

The workflow calls only what is exported here, so the model or the clustering can change behind it.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from improvement.themes.clustering import DEFAULT_ASSIGN_THRESHOLD, assign, fit, model_versions
from improvement.themes.labelling import label_keywords
from improvement.themes.results import FitResult, ThemeCluster


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length float32 embeddings of analysis texts, one row per text."""
    from cases.embedding import embed_texts

    return embed_texts(texts)


__all__ = [
    "DEFAULT_ASSIGN_THRESHOLD",
    "FitResult",
    "ThemeCluster",
    "assign",
    "embed",
    "fit",
    "label_keywords",
    "model_versions",
]
