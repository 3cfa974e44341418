"""The pure seeded-theme seam: phrases, centroids, zero-shot assignment and the fit of what no seed took."""

from __future__ import annotations

import numpy as np

from improvement.themes import ml


def _unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_seed_phrases_are_name_description_and_examples_without_blanks():
    assert ml.seed_phrases(name=" Lost bags ", description="", examples=["bag missing", "  ", "no suitcase"]) == [
        "Lost bags",
        "bag missing",
        "no suitcase",
    ]


def test_seed_centroid_is_the_unit_mean_of_normalised_phrases():
    centroid = ml.seed_centroid(np.array([[2.0, 0.0], [0.0, 5.0]], dtype=np.float32))

    np.testing.assert_allclose(centroid, [np.sqrt(0.5), np.sqrt(0.5)], rtol=1e-6)


def test_seed_assign_takes_the_nearest_seed_at_or_above_the_threshold():
    seeds = np.stack([_unit(1, 0, 0), _unit(0, 1, 0)])
    embeddings = np.stack([_unit(1, 0.1, 0), _unit(0.1, 1, 0), _unit(0, 0, 1), _unit(1, 0, 1)])

    indices, similarities = ml.seed_assign(embeddings=embeddings, seed_centroids=seeds, threshold=0.7)

    assert indices.tolist() == [0, 1, -1, 0]
    np.testing.assert_allclose(similarities, [0.995037, 0.995037, 0.0, 0.707107], atol=1e-6)


def test_seed_assign_without_seeds_leaves_everything_unassigned():
    indices, similarities = ml.seed_assign(
        embeddings=np.eye(3, dtype=np.float32), seed_centroids=np.zeros((0, 3), np.float32)
    )

    assert indices.tolist() == [-1, -1, -1]
    assert similarities.tolist() == [0.0, 0.0, 0.0]


def test_fit_with_seeds_fits_only_what_no_seed_took_and_combines_the_labels():
    generator = np.random.default_rng(7)
    seed_direction = _unit(*([1.0] + [0.0] * 15))
    near_seed = np.stack([seed_direction + generator.normal(0, 0.01, 16) for _ in range(12)])
    far = np.stack([_unit(*([0.0] + list(generator.normal(0, 1, 15)))) for _ in range(20)])
    embeddings = ml.normalise_rows(np.vstack([near_seed, far]))
    texts = [f"document {index}" for index in range(len(embeddings))]

    seeded = ml.fit_with_seeds(
        texts=texts, embeddings=embeddings, seed_centroids=seed_direction[np.newaxis, :], seed_threshold=0.9
    )

    assert seeded.seed_count == 1
    assert seeded.seed_assignments.tolist() == [0] * 12 + [-1] * 20
    assert seeded.rest_indices.tolist() == list(range(12, 32))
    # 20 documents are below the fit's minimum of 30: no fitted theme, all of them unassigned.
    assert seeded.rest.clusters == []
    assert seeded.combined_assignments().tolist() == [0] * 12 + [-1] * 20
    assert seeded.outlier_share == 20 / 32
    assert seeded.rest.parameters["seed_count"] == 1
    assert seeded.rest.parameters["seed_threshold"] == 0.9


def test_assign_with_thresholds_skips_a_centroid_whose_own_threshold_is_not_reached():
    centroids = np.stack([_unit(1, 0, 0), _unit(0, 1, 0)])
    embeddings = np.stack([_unit(0.45, 0.35, 0.82), _unit(0.6, 0.3, 0.74), _unit(0.2, 0.2, 0.96)])

    indices, similarities = ml.assign_with_thresholds(
        embeddings=embeddings, centroids=centroids, thresholds=np.array([0.5, 0.3])
    )

    assert indices.tolist() == [1, 0, -1]
    np.testing.assert_allclose(similarities, [0.35, 0.6, 0.0], atol=2e-3)
