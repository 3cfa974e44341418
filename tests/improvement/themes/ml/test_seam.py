"""The ML seam on real airline tweets with the real embedding model (small slices, so the suite stays fast)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from cases.embedding import EMBEDDING_MODEL_NAME, embed_texts
from improvement.themes import ml as themes
from improvement.themes.ml.clustering import MERGE_SIMILARITY, PARENT_MERGE_SIMILARITY, merge_similar_groups
from improvement.themes.ml.labelling import brand_words, names_a_brand

pytestmark = pytest.mark.slow

AIRLINE_NAMES = {
    "Virgin America": ["Virgin America", "VirginAmerica"],
    "United": ["United"],
    "US Airways": ["US Airways", "USAirways"],
    "American": ["American", "AmericanAir"],
    "Southwest": ["Southwest", "SouthwestAir"],
    "Delta": ["Delta", "JetBlue"],
}
BRAND_STOP_WORDS = sorted({name for names in AIRLINE_NAMES.values() for name in names} | {"JetBlue"})
BRAND_WORDS = {
    "virgin",
    "america",
    "virginamerica",
    "united",
    "usairways",
    "airways",
    "american",
    "americanair",
    "southwest",
    "southwestair",
    "delta",
    "jetblue",
}
REASONS = ("Lost Luggage", "Cancelled Flight", "Customer Service Issue", "Flight Booking Problems")
PER_REASON = 100


@functools.cache
def _airline_slice(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    import pandas as pd

    from cases.text import analysis_text

    frame = pd.read_csv(path / "airline_tweets.csv", dtype=str, keep_default_na=False)
    frame = frame.drop_duplicates(subset="tweet_id")
    frame = frame[frame["airline_sentiment"] == "negative"]
    frame = pd.concat([frame[frame["negativereason"] == reason].head(PER_REASON) for reason in REASONS])
    texts = [
        analysis_text(text, brand_names=AIRLINE_NAMES[airline])
        for text, airline in zip(frame["text"], frame["airline"], strict=True)
    ]
    return texts, list(frame["negativereason"]), embed_texts(texts)


@functools.cache
def _fitted(path: Path, random_state: int) -> themes.FitResult:
    texts, _, embeddings = _airline_slice(path)
    return themes.fit(
        texts=texts,
        embeddings=embeddings,
        stop_words=BRAND_STOP_WORDS,
        random_state=random_state,
        embedding_model=EMBEDDING_MODEL_NAME,
        embed_phrases=embed_texts,
    )


@pytest.fixture
def airline_slice(shared_data):
    return _airline_slice(shared_data)


@pytest.fixture
def fitted(shared_data) -> themes.FitResult:
    return _fitted(shared_data, 42)


def test_embed_returns_unit_float32_rows_of_384():
    vectors = embed_texts(["my bag never arrived", "flight cancelled again"])
    assert vectors.shape == (2, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), [1.0, 1.0], atol=1e-5)


def test_fit_assigns_every_document_an_index_or_minus_one(airline_slice, fitted):
    texts, _, _ = airline_slice
    assert fitted.assignments.shape == (len(texts),)
    assert set(fitted.assignments.tolist()) <= set(range(-1, len(fitted.clusters)))
    for index, cluster in enumerate(fitted.clusters):
        np.testing.assert_array_equal(cluster.member_indices, np.flatnonzero(fitted.assignments == index))
    assert fitted.outlier_share == pytest.approx(float(np.mean(fitted.assignments == -1)))


def test_fit_finds_a_handful_of_themes_with_few_outliers(fitted):
    assert 3 <= len(fitted.clusters) <= 40
    assert fitted.outlier_share <= 0.15


def test_fit_orders_clusters_largest_first(fitted):
    sizes = [cluster.size for cluster in fitted.clusters]
    assert sizes == sorted(sizes, reverse=True)


def test_fit_labels_and_keywords_never_name_an_airline(fitted):
    for cluster in fitted.clusters:
        words = {word for text in [cluster.label, *cluster.keywords] for word in text.lower().replace(",", " ").split()}
        assert not any(brand in word for word in words for brand in BRAND_WORDS), cluster.label


def test_fit_centroids_are_unit_float32_and_representatives_are_members(fitted):
    for cluster in fitted.clusters:
        assert cluster.centroid.dtype == np.float32
        assert cluster.centroid.shape == (384,)
        assert np.linalg.norm(cluster.centroid) == pytest.approx(1.0, abs=1e-5)
        assert 1 <= len(cluster.representative_indices) <= 5
        assert set(cluster.representative_indices) <= set(cluster.member_indices.tolist())


def test_fit_result_parameters_and_versions_are_json(fitted):
    parameters = json.loads(json.dumps(fitted.parameters))
    versions = json.loads(json.dumps(fitted.model_versions))
    assert parameters["random_state"] == 42
    assert parameters["document_count"] == 4 * PER_REASON
    assert versions["embedding_model"] == "all-MiniLM-L6-v2"
    assert set(versions) >= {"bertopic", "umap-learn", "hdbscan", "scikit-learn"}


def test_fit_is_deterministic_for_the_same_random_state(shared_data, airline_slice):
    texts, _, embeddings = airline_slice
    first = _fitted(shared_data, 42)
    again = themes.fit(
        texts=texts, embeddings=embeddings, stop_words=BRAND_STOP_WORDS, random_state=42, embed_phrases=embed_texts
    )
    np.testing.assert_array_equal(first.assignments, again.assignments)
    assert [cluster.label for cluster in first.clusters] == [cluster.label for cluster in again.clusters]


def test_fit_overwriting_its_embeddings_finds_the_same_themes_and_leaves_them_unit_rows(airline_slice):
    texts, _, embeddings = airline_slice
    scaled = np.array(embeddings, dtype=np.float32) * 3.0  # not unit rows: the fit must scale them
    options = {"texts": texts, "stop_words": BRAND_STOP_WORDS, "random_state": 42, "embed_phrases": embed_texts}
    copied = themes.fit(embeddings=scaled.copy(), **options)
    owned = scaled.copy()

    overwritten = themes.fit(embeddings=owned, overwrite_embeddings=True, **options)

    np.testing.assert_array_equal(copied.assignments, overwritten.assignments)
    assert [cluster.label for cluster in copied.clusters] == [cluster.label for cluster in overwritten.clusters]
    np.testing.assert_array_equal(owned, themes.normalise_rows(scaled))
    assert not np.array_equal(owned, scaled)


def test_fit_groups_lost_luggage_together(airline_slice, fitted):
    _, reasons, _ = airline_slice
    luggage = fitted.assignments[np.array(reasons) == "Lost Luggage"]
    most_common = np.bincount(luggage[luggage >= 0]).argmax()
    assert np.mean(luggage == most_common) >= 0.6
    assert any(word in fitted.clusters[most_common].label.lower() for word in ("bag", "luggage", "baggage"))


def test_assign_puts_a_new_lost_luggage_text_in_the_luggage_theme(fitted):
    vector = embed_texts(["my suitcase never arrived and nobody at baggage claim can find my bag"])
    index, similarity = themes.assign(
        embeddings=vector, centroids=fitted.centroids, threshold=themes.DEFAULT_ASSIGN_THRESHOLD
    )
    assert index.shape == (1,)
    assert index[0] >= 0
    assert similarity[0] >= themes.DEFAULT_ASSIGN_THRESHOLD
    assert any(word in fitted.clusters[index[0]].label.lower() for word in ("bag", "luggage", "baggage"))


def test_assign_leaves_a_row_unassigned_below_the_threshold():
    centroids = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    rows = np.array([[0.9, 0.1], [0.2, 0.8], [-1.0, -1.0]], dtype=np.float32)
    index, similarity = themes.assign(embeddings=rows, centroids=centroids, threshold=0.5)
    assert index.tolist() == [0, 1, -1]
    np.testing.assert_allclose(
        similarity, [0.9 / np.hypot(0.9, 0.1), 0.8 / np.hypot(0.2, 0.8), -np.sqrt(0.5)], rtol=1e-5
    )


def test_assign_without_centroids_leaves_everything_unassigned():
    index, similarity = themes.assign(embeddings=np.ones((3, 4)), centroids=np.zeros((0, 4)), threshold=0.3)
    assert index.tolist() == [-1, -1, -1]
    assert similarity.tolist() == [0.0, 0.0, 0.0]


def test_fit_on_too_few_documents_returns_no_themes_and_all_unassigned():
    texts = ["bag lost", "flight late", "rude agent"]
    result = themes.fit(texts=texts, embeddings=embed_texts(texts))
    assert result.clusters == []
    assert result.assignments.tolist() == [-1, -1, -1]
    assert result.outlier_share == 1.0


def test_fit_on_one_reason_alone_finds_at_most_a_few_themes(airline_slice):
    texts, reasons, embeddings = airline_slice
    luggage = np.flatnonzero(np.array(reasons) == "Lost Luggage")[:60]
    result = themes.fit(texts=[texts[i] for i in luggage], embeddings=embeddings[luggage], stop_words=BRAND_STOP_WORDS)
    assert result.assignments.shape == (60,)
    assert len(result.clusters) <= 3


def test_merge_similar_groups_joins_groups_that_differ_from_the_rest_the_same_way():
    embeddings = np.array([[1, 0.1, 0]] * 2 + [[1, -0.1, 0]] * 2 + [[-1, 0, 0]] * 4 + [[0, 0, 1]], dtype=np.float32)
    groups = np.array([0, 0, 1, 1, 2, 2, 2, 2, -1])
    merged = merge_similar_groups(embeddings=embeddings, groups=groups, group_count=3)
    assert merged.tolist() == [0, 0, 0, 0, 1, 1, 1, 1, -1]


def test_merge_similar_groups_keeps_unrelated_groups_apart():
    embeddings = np.array([[1, 0, 0]] * 2 + [[0, 1, 0]] * 2 + [[0, 0, 1]] * 2, dtype=np.float32)
    merged = merge_similar_groups(embeddings=embeddings, groups=np.array([0, 0, 1, 1, 2, 2]), group_count=3)
    assert merged.tolist() == [0, 0, 1, 1, 2, 2]


def test_merge_similar_groups_never_merges_groups_anchored_to_different_previous_themes():
    embeddings = np.array([[1, 0.1, 0]] * 2 + [[1, -0.1, 0]] * 2 + [[-1, 0, 0]] * 4 + [[0, 0, 1]], dtype=np.float32)
    groups = np.array([0, 0, 1, 1, 2, 2, 2, 2, -1])
    previous_themes = np.array([7, 7, 9, 9, -1, -1, -1, -1, -1])
    merged = merge_similar_groups(embeddings=embeddings, groups=groups, group_count=3, previous_themes=previous_themes)
    assert merged.tolist() == [0, 0, 1, 1, 2, 2, 2, 2, -1]


def test_merge_similar_groups_merges_groups_anchored_to_the_same_previous_theme_or_to_none():
    embeddings = np.array(
        [[1, 0.1, 0]] * 2 + [[1, -0.1, 0]] * 2 + [[1, 0, 0.1]] * 2 + [[-1, 0, 0]] * 6, dtype=np.float32
    )
    groups = np.array([0, 0, 1, 1, 2, 2, 3, 3, 3, 3, 3, 3])
    # Group 1 is anchored to theme 7 (one of its two members, 50%); group 2 has no previous theme.
    previous_themes = np.array([7, 7, 7, -1, -1, -1, 4, 4, 4, 4, 4, 4])
    merged = merge_similar_groups(embeddings=embeddings, groups=groups, group_count=4, previous_themes=previous_themes)
    assert merged.tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]


def test_fit_records_how_many_themes_hdbscan_found_before_merging(fitted):
    assert fitted.parameters["hdbscan_theme_count"] >= len(fitted.clusters)
    assert fitted.parameters["merge"] == {
        "linkage": "average",
        "similarity": MERGE_SIMILARITY,
        "parent_similarity": PARENT_MERGE_SIMILARITY,
        "centred_on": "corpus mean",
        "cannot_link": "different previous themes",
        "anchor_share": 0.5,
    }


def test_fit_refuses_previous_themes_of_another_length():
    with pytest.raises(ValueError, match="2 texts but 1 previous themes"):
        themes.fit(texts=["a", "b"], embeddings=np.ones((2, 384), dtype=np.float32), previous_themes=np.array([3]))


def test_fit_refuses_texts_and_embeddings_of_different_lengths():
    with pytest.raises(ValueError, match="2 texts but 1 embeddings"):
        themes.fit(texts=["a", "b"], embeddings=np.ones((1, 384), dtype=np.float32))


def test_label_keywords_names_the_problem_and_not_the_brand():
    texts = [
        "United lost my bag on the connection",
        "my bag was lost on my connection, #unitedsucks",
        "lost bag again, no luggage at the carousel",
        "still no bag, lost luggage claim ignored",
    ]
    background = ["the flight was delayed two hours", "rude gate agent", "refund never came", "wifi broken"]
    label, keywords = themes.label_keywords(texts=texts, stop_words=["United"], background_texts=background)
    assert keywords[0] in ("bag", "lost", "lost bag")
    assert "bag" in label.lower()
    assert not any("united" in keyword for keyword in keywords)


def test_names_a_brand_catches_brand_words_and_hashtag_fragments():
    brands = brand_words(["United", "US Airways"])
    assert brands == {"united", "us", "airways", "usairways"}
    assert names_a_brand("unitedsucks", brands)
    assert names_a_brand("lost bag usairways", brands)
    assert not names_a_brand("lost bag", brands)


def _evaluate(shared_data, *extra: str) -> dict:
    from io import StringIO

    output = StringIO()
    call_command(
        "evaluate_themes",
        "--csv",
        str(shared_data / "airline_tweets.csv"),
        "--text-column",
        "text",
        "--label-column",
        "negativereason",
        "--brand-column",
        "airline",
        "--filter",
        "airline_sentiment=negative",
        "--exclude-label",
        "Can't Tell",
        *extra,
        stdout=output,
        stderr=StringIO(),
    )
    return json.loads(output.getvalue().strip().splitlines()[-1])


def test_evaluate_themes_scores_a_slice_of_airline_negatives(shared_data):
    result = _evaluate(shared_data, "--limit", "1500")
    assert set(result) >= {
        "nmi",
        "ari",
        "homogeneity",
        "completeness",
        "n_themes",
        "outlier_share",
        "seconds",
        "labels",
    }
    assert result["rows"] == 1500
    assert result["nmi"] >= 0.2
    assert result["outlier_share"] <= 0.15
    assert 3 <= result["n_themes"] == len(result["labels"]) <= 40
    assert not any(brand in label.lower() for label in result["labels"] for brand in ("united", "virgin"))


def test_evaluate_themes_refuses_an_unknown_column(shared_data):
    with pytest.raises(CommandError, match="column\\(s\\) not in .*: reason"):
        call_command(
            "evaluate_themes",
            "--csv",
            str(shared_data / "airline_tweets.csv"),
            "--text-column",
            "text",
            "--label-column",
            "reason",
        )


def test_evaluate_themes_refuses_a_malformed_filter(shared_data):
    with pytest.raises(CommandError, match="--filter takes COLUMN=VALUE"):
        call_command(
            "evaluate_themes",
            "--csv",
            str(shared_data / "airline_tweets.csv"),
            "--text-column",
            "text",
            "--label-column",
            "negativereason",
            "--filter",
            "airline_sentiment",
        )


def test_evaluate_themes_refuses_filters_that_leave_no_rows(shared_data):
    with pytest.raises(CommandError, match="no rows left after the filters"):
        call_command(
            "evaluate_themes",
            "--csv",
            str(shared_data / "airline_tweets.csv"),
            "--text-column",
            "text",
            "--label-column",
            "negativereason",
            "--filter",
            "airline=Nowhere Air",
        )
