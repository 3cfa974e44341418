"""Pure parts of the clustering: leaf size, the bertopic import, the two cuts of the merge tree, thread pinning,
majority counts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
from threadpoolctl import threadpool_info

from improvement.themes.ml.clustering import (
    UNUSED_BERTOPIC_MODULES,
    merge_similar_groups,
    minimum_cluster_size,
    single_threaded,
)
from improvement.themes.ml.evaluation import majority_problem_counts
from improvement.themes.ml.vectors import NORMALISE_BLOCK_ROWS, normalise_rows, normalise_rows_in_place

ROOT = Path(__file__).resolve().parents[4]


def test_minimum_cluster_size_is_a_quarter_of_the_square_root_and_at_least_ten():
    assert [minimum_cluster_size(count) for count in (100, 1_600, 7_500, 10_000)] == [10, 10, 22, 25]


def test_bertopic_imports_without_transformers_once_its_unused_representations_are_skipped():
    script = (
        "import sys\n"
        "from improvement.themes.ml.clustering import _skip_bertopic_generators\n"
        "_skip_bertopic_generators()\n"
        "import bertopic.representation as representation\n"
        "print('transformers' in sys.modules, type(representation.TextGeneration).__name__,"
        " representation.KeyBERTInspired.__module__)\n"
    )

    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)

    assert completed.stdout.split() == ["False", "NotInstalled", "bertopic.representation._keybert"]
    skipped = {module.rsplit(".", 1)[1] for module in UNUSED_BERTOPIC_MODULES}
    assert skipped == {"_textgeneration", "_zeroshot", "_visual"}


def test_normalise_rows_in_blocks_and_in_place_match_the_whole_array_bit_for_bit():
    generator = np.random.default_rng(5)
    vectors = generator.standard_normal((NORMALISE_BLOCK_ROWS + 17, 16)).astype(np.float32) * 4.0
    vectors[3] = 0.0
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    whole = vectors / np.where(norms == 0, 1, norms)

    blocked = normalise_rows(vectors)
    in_place = vectors.copy()
    returned = normalise_rows_in_place(in_place)

    np.testing.assert_array_equal(blocked, whole)
    np.testing.assert_array_equal(in_place, whole)
    assert returned is in_place
    assert not np.shares_memory(blocked, vectors)
    assert (blocked[3] == 0).all()
    with pytest.raises(ValueError, match="writable 2-d float32"):
        normalise_rows_in_place(vectors.astype(np.float64))


def test_merge_at_a_lower_similarity_cuts_the_same_tree_higher_up():
    # Centred centroid similarities: groups 0-1 0.953, 2 to each of them 0.662, 3-4 0.324, every other pair < 0.
    embeddings = np.array(
        [[1, 0.1, 0, 0]] * 2 + [[1, -0.1, 0, 0]] * 2 + [[1, 0, 0.6, 0]] * 2 + [[-1, 0, 0, 0]] * 2 + [[0, 0, 0, 1]] * 2,
        dtype=np.float32,
    )
    groups = np.repeat(np.arange(5), 2)

    themes = merge_similar_groups(embeddings=embeddings, groups=groups, group_count=5, similarity=0.9)
    parents = merge_similar_groups(embeddings=embeddings, groups=groups, group_count=5, similarity=0.5)

    assert themes.tolist() == [0, 0, 0, 0, 1, 1, 2, 2, 3, 3]
    assert parents.tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 2, 2]


def test_single_threaded_limits_blas_and_numba_inside_and_restores_numba_after():
    before = numba.get_num_threads()

    with single_threaded():
        inside_numba = numba.get_num_threads()
        inside_blas = {pool["num_threads"] for pool in threadpool_info()}

    assert (inside_numba, inside_blas) == (1, {1})
    assert numba.get_num_threads() == before


def test_majority_problem_counts_counts_the_themes_each_label_is_the_most_frequent_in():
    labels = ["late", "late", "lost", "late", "lost", "lost", "rude"]
    predicted = np.array([0, 0, 0, 1, 1, 1, -1])

    assert majority_problem_counts(true_labels=labels, predicted=predicted) == {"late": 1, "lost": 1, "rude": 0}
