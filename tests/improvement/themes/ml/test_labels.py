"""Theme labels in the cases' words (ml/phrases.py, labelling.theme_labels) and the evaluate summaries of themes."""

from __future__ import annotations

import numpy as np
import pytest

from cases.embedding import embed_texts
from improvement.themes.ml.evaluation import theme_summaries
from improvement.themes.ml.labelling import brand_words, label_keywords, names_a_brand, stop_word_set, theme_labels
from improvement.themes.ml.phrases import best_phrases, group_phrase_scores, phrase_label, text_phrases
from improvement.themes.ml.results import ThemeCluster

STOP_WORDS = stop_word_set(["United"])
BRANDS = brand_words(["United"])
PARCEL_TEXTS = [
    "parcel marked delivered but never arrived",
    "my parcel marked delivered, not here",
    "parcel marked delivered yesterday",
]
REFUND_TEXTS = ["refund not received yet", "still no refund received", "refund not received after weeks"]


def _is_brand(word: str) -> bool:
    return names_a_brand(word, BRANDS)


def test_text_phrases_stay_inside_a_clause_and_never_name_a_brand():
    phrases = text_phrases(
        "My parcel was marked delivered, but it never arrived! United lost it.", stop_words=STOP_WORDS,
        is_brand=_is_brand,
    )  # fmt: skip
    assert phrases == {"marked delivered", "never arrived", "parcel was marked", "parcel was marked delivered"}


def test_theme_labels_keep_the_plain_words_of_a_brand_name_but_never_its_own_name():
    texts = ["larkspur delivery slot missed", "delivery slot missed again", "#larkspurdelivers delivery slot missed"]
    labels = theme_labels(
        texts=texts, groups=np.zeros(3, dtype=int), centroids={}, keywords={}, stop_words=["Larkspur Delivery"]
    )
    # "delivery slot", "delivery slot missed" and "slot missed" tie (in all 3 cases); without an embedding function
    # the first in alphabetical order wins. "larkspur" and "#larkspurdelivers" never start or join a phrase.
    assert labels == {0: "Delivery slot"}


def test_text_phrases_drop_a_hashtag_holding_a_brand():
    phrases = text_phrases("lost bag #unitedsucks again", stop_words=STOP_WORDS, is_brand=_is_brand)
    assert phrases == {"lost bag"}


def test_group_phrase_scores_rank_by_phrase_ctfidf_alphabetically_on_a_tie():
    scores = group_phrase_scores(
        texts=PARCEL_TEXTS + REFUND_TEXTS + ["unassigned refund text"],
        groups=np.array([0, 0, 0, 1, 1, 1, -1]),
        stop_words=STOP_WORDS,
        is_brand=_is_brand,
    )
    # Every phrase below is in all 3 cases of its group and in no other: 3/3 * log(1 + 3/3) = log 2.
    assert [(phrase, round(score, 4)) for phrase, score in scores[0]] == [
        ("marked delivered", 0.6931),
        ("parcel marked", 0.6931),
        ("parcel marked delivered", 0.6931),
    ]
    # "refund received" is in one case only (below the 2-case floor); these two are in 2 of the 3 cases of group 1
    # and nowhere else: 2/3 * log(1 + 3/2) = 0.6109.
    assert [(phrase, round(score, 4)) for phrase, score in scores[1]] == [
        ("not received", 0.6109),
        ("refund not received", 0.6109),
    ]


def test_best_phrases_without_embedding_take_the_top_phrase_and_skip_nested_ones():
    candidates = {0: [("parcel marked delivered", 1.0), ("marked delivered", 1.0), ("never arrived", 0.5)], 1: []}
    assert best_phrases(candidates=candidates, centroids={}, embed=None) == {0: "parcel marked delivered"}


def test_best_phrases_pick_the_candidate_nearest_the_centroid():
    centroid = embed_texts(["my parcel never arrived"])[0]
    candidates = {0: [("customer service", 2.0), ("parcel never arrived", 1.0), ("refund weeks", 0.5)]}
    assert best_phrases(candidates=candidates, centroids={0: centroid}, embed=embed_texts) == {
        0: "parcel never arrived"
    }


def test_phrase_label_capitalises_only_the_first_letter():
    assert phrase_label("card declined at ATM") == "Card declined at ATM"


def test_theme_labels_fall_back_to_keywords_for_a_group_without_a_phrase():
    labels = theme_labels(
        texts=["bag", "bag lost", "luggage"],
        groups=np.array([0, 0, 0]),
        centroids={},
        keywords={0: ["bag", "luggage"]},
        stop_words=(),
    )
    assert labels == {0: "bag, luggage"}


def test_label_keywords_names_the_problem_in_the_cases_words():
    label, keywords = label_keywords(
        texts=PARCEL_TEXTS, background_texts=REFUND_TEXTS, embeddings=embed_texts(PARCEL_TEXTS), embed=embed_texts
    )
    assert label == "Parcel marked delivered"
    assert keywords[:3] == ["delivered", "marked", "marked delivered"]


def _cluster(label: str, members: list[int]) -> ThemeCluster:
    return ThemeCluster(
        label=label,
        keywords=["a", "b"],
        member_indices=np.array(members),
        representative_indices=members[:1],
        centroid=np.zeros(3, dtype=np.float32),
    )


def test_theme_summaries_give_the_majority_label_and_its_purity():
    summaries = theme_summaries(
        clusters=[_cluster("Lost bag", [0, 1, 2, 4]), _cluster("Late flight", [3, 5])],
        true_labels=["Lost Luggage", "Lost Luggage", "Late Flight", "Late Flight", "Lost Luggage", "Bad Flight"],
    )
    assert summaries == [
        {"label": "Lost bag", "keywords": ["a", "b"], "size": 4, "majority_label": "Lost Luggage", "purity": 0.75},
        # A tie goes to the first label in sorted order.
        {"label": "Late flight", "keywords": ["a", "b"], "size": 2, "majority_label": "Bad Flight", "purity": 0.5},
    ]


@pytest.mark.parametrize("members", [[0], [1]])
def test_theme_summaries_of_a_single_case_theme_are_pure(members):
    summary = theme_summaries(clusters=[_cluster("x", members)], true_labels=["p", "q"])[0]
    assert summary["purity"] == 1.0


def test_theme_labels_count_phrases_over_an_even_sample_of_a_large_corpus(monkeypatch):
    from improvement.themes.ml import labelling

    monkeypatch.setattr(labelling, "LABEL_SAMPLE_SIZE", 4)
    # Evenly spaced over 8 documents: 0, 2, 4, 7. Over all 8, "refund late" (4 texts) would beat "card declined" (2);
    # no sampled text says "refund late".
    texts = ["card declined", "refund late", "card declined", "refund late", "x", "refund late", "refund late", "y"]
    labels = theme_labels(texts=texts, groups=np.zeros(8, dtype=int), centroids={}, keywords={}, stop_words=())
    assert labels == {0: "Card declined"}
