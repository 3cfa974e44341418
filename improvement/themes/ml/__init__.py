"""The ML seam: fit, assign, label, match, split and group. Texts and vectors in, clusters out.

It knows nothing of cases, issues, fixes, screens or the database (no ORM, no other project package), so the
model or the clustering can change behind it. The workflow calls only what is exported here.
"""

from __future__ import annotations

from improvement.themes.ml.clustering import DEFAULT_ASSIGN_THRESHOLD, assign, fit, model_versions, warm_up
from improvement.themes.ml.grouping import theme_group_count, theme_groups_propose
from improvement.themes.ml.labelling import label_keywords
from improvement.themes.ml.matching import (
    STICKY_MARGIN,
    ExistingTheme,
    previous_clusters,
    theme_match_clusters,
    theme_sticky_assignments,
)
from improvement.themes.ml.results import FitResult, ThemeCluster
from improvement.themes.ml.seeding import (
    SEED_ASSIGN_THRESHOLD,
    SeededFit,
    assign_with_thresholds,
    fit_with_seeds,
    seed_assign,
    seed_centroid,
    seed_phrases,
)
from improvement.themes.ml.splitting import split_groups
from improvement.themes.ml.vectors import closest_indices, normalise_rows, unit_centroid, weighted_unit_centroid

__all__ = [
    "DEFAULT_ASSIGN_THRESHOLD",
    "SEED_ASSIGN_THRESHOLD",
    "STICKY_MARGIN",
    "ExistingTheme",
    "FitResult",
    "SeededFit",
    "ThemeCluster",
    "assign",
    "assign_with_thresholds",
    "closest_indices",
    "fit",
    "fit_with_seeds",
    "label_keywords",
    "model_versions",
    "normalise_rows",
    "previous_clusters",
    "seed_assign",
    "seed_centroid",
    "seed_phrases",
    "split_groups",
    "theme_group_count",
    "theme_groups_propose",
    "theme_match_clusters",
    "theme_sticky_assignments",
    "unit_centroid",
    "warm_up",
    "weighted_unit_centroid",
]
