"""Theme groups proposed from centroids: pure numbers, no database."""

from __future__ import annotations

import numpy as np

from improvement.themes.ml import theme_group_count, theme_groups_propose


def _near(direction: np.ndarray, noise: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return direction + noise * rng.standard_normal(direction.shape)


def test_groups_are_the_families_of_alike_centroids_numbered_by_first_appearance():
    axes = np.eye(8)
    centroids = np.stack(
        [
            _near(axes[0], 0.05, 1),
            _near(axes[3], 0.05, 2),
            _near(axes[0], 0.05, 3),
            _near(axes[3], 0.05, 4),
            _near(axes[0], 0.05, 5),
            _near(axes[3], 0.05, 6),
        ]
    )

    groups = theme_groups_propose(centroids=centroids, group_count=2)

    assert groups.tolist() == [0, 1, 0, 1, 0, 1]


def test_the_default_count_is_the_square_root_of_the_themes_between_2_and_12():
    assert [theme_group_count(count) for count in (0, 1, 2, 3, 9, 15, 16, 77, 200)] == [0, 1, 2, 2, 3, 4, 4, 9, 12]


def test_proposing_is_deterministic_and_handles_no_and_one_theme():
    centroids = np.random.default_rng(7).standard_normal((15, 16))

    first = theme_groups_propose(centroids=centroids)
    second = theme_groups_propose(centroids=centroids.copy())

    assert first.tolist() == second.tolist()
    assert len(set(first.tolist())) == 4
    assert theme_groups_propose(centroids=np.zeros((0, 16))).tolist() == []
    assert theme_groups_propose(centroids=np.ones((1, 16))).tolist() == [0]
