"""Theme labels (phrases in the cases' words, ml/phrases.py) and keywords from c-TF-IDF, brands and handles kept out.

`label_from_keywords` is the earlier comma-list label ("tracking, delivered, marked"), kept as the fallback for a
theme without a candidate phrase and for the comparison in bench/theme_labels.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

from improvement.themes.ml.phrases import EmbedTexts, best_phrases, group_phrase_scores, phrase_label
from improvement.themes.ml.vectors import unit_centroid

LABEL_WORD_COUNT = 3
BRAND_FRAGMENT_LENGTH = 4
KEYWORD_COUNT = 10
# Label phrases are counted over at most this many documents, evenly spaced (the same ones on every run): phrase
# extraction is pure Python, about 0.3 ms a text, and must not eat a 100k refit's time budget (60 s).
LABEL_SAMPLE_SIZE = 10_000
TOKEN_PATTERN = r"(?u)\b[^\W\d_][\w']+\b"
# Conversation filler that says nothing about the problem; it would otherwise top many tweet themes.
FILLER_WORDS = frozenset(
    {
        "amp",
        "don't",
        "dont",
        "i'm",
        "im",
        "it's",
        "just",
        "like",
        "thanks",
        "thank",
        "got",
        "get",
        "would",
        "can't",
        "cant",
        "u",
        "ur",
        "lol",
        "omg",
        "pls",
        "please",
        "hi",
        "hello",
        "hey",
        "yes",
        "really",
        "you're",
        "i've",
        "i'll",
        "didn't",
        "doesn't",
        "isn't",
        "wasn't",
        "won't",
        "let",
        "know",
        "need",
        "want",
        "going",
    }
)


# Contractions of stop words ("that's", "there's", "we've") say no more than the words themselves.
CONTRACTION_SUFFIXES = ("'s", "'re", "'ve", "'ll", "'d", "'m", "n't")
CONTRACTED_STOP_WORDS = frozenset(
    word + suffix
    for word in ENGLISH_STOP_WORDS | {"i", "you", "we", "they", "let", "that", "there", "what"}
    for suffix in CONTRACTION_SUFFIXES
)


def brand_words(stop_words: Iterable[str]) -> frozenset[str]:
    """Every given brand name or handle, lower-cased, whole and split into its words."""
    words: set[str] = set()
    for entry in stop_words:
        cleaned = entry.strip().lower().lstrip("@#")
        if not cleaned:
            continue
        words.add(cleaned.replace(" ", ""))
        words.update(re.findall(r"\w+", cleaned))
    return frozenset(words)


def label_brand_words(stop_words: Iterable[str]) -> frozenset[str]:
    """What a label phrase may not hold: each brand name or handle whole (spaces removed) and its first word.

    Narrower than brand_words: the later words of a brand are often plain words the cases need ("Larkspur
    Delivery", "Larkspur Pay"); the first word, or the name run together, is the brand's own.
    """
    words: set[str] = set()
    for entry in stop_words:
        cleaned = entry.strip().lower().lstrip("@#")
        if cleaned:
            words.add(cleaned.replace(" ", ""))
            words.update(re.findall(r"\w+", cleaned)[:1])
    return frozenset(words)


def stop_word_set(stop_words: Iterable[str]) -> frozenset[str]:
    """English stop words and their contractions, filler, and the brand words of `stop_words`."""
    return frozenset(ENGLISH_STOP_WORDS | CONTRACTED_STOP_WORDS | FILLER_WORDS | brand_words(stop_words))


def names_a_brand(keyword: str, brands: frozenset[str]) -> bool:
    """True when a word of the keyword is a brand word or contains one of 4+ letters ("#unitedsucks")."""
    long_brands = [brand for brand in brands if len(brand) >= BRAND_FRAGMENT_LENGTH]
    return any(word in brands or any(brand in word for brand in long_brands) for word in keyword.split())


def make_vectorizer(*, stop_words: frozenset[str]) -> CountVectorizer:
    """Uni- and bigram counts without stop words, for c-TF-IDF (one joined document per theme, so no min_df)."""
    return CountVectorizer(stop_words=sorted(stop_words), ngram_range=(1, 2), token_pattern=TOKEN_PATTERN)


def label_from_keywords(keywords: Sequence[str]) -> str:
    """The first few keywords that add a new word, joined: "bag lost, luggage, baggage"."""
    chosen: list[str] = []
    seen_words: set[str] = set()
    for keyword in keywords:
        words = set(keyword.split())
        if words <= seen_words:
            continue
        chosen.append(keyword)
        seen_words |= words
        if len(chosen) == LABEL_WORD_COUNT:
            break
    return ", ".join(chosen) if chosen else "unlabelled"


def class_keywords(
    *, texts: Sequence[str], groups: np.ndarray, stop_words: Iterable[str], keyword_count: int = KEYWORD_COUNT
) -> dict[int, list[str]]:
    """Top c-TF-IDF terms per group (BERTopic's class-based TF-IDF with frequent-word damping); -1 is ignored."""
    from bertopic.vectorizers import ClassTfidfTransformer

    brands = brand_words(stop_words)
    all_stop_words = stop_word_set(stop_words)
    group_ids = sorted(int(group) for group in set(groups.tolist()) if group != -1)
    if not group_ids:
        return {}
    joined = [" ".join(texts[int(i)] for i in np.flatnonzero(groups == group)) for group in group_ids]
    vectorizer = make_vectorizer(stop_words=all_stop_words)
    try:
        counts = vectorizer.fit_transform(joined)
    except ValueError:
        return {group: [] for group in group_ids}
    weights = ClassTfidfTransformer(reduce_frequent_words=True).fit_transform(counts).toarray()
    vocabulary = vectorizer.get_feature_names_out()
    result: dict[int, list[str]] = {}
    for row, group in enumerate(group_ids):
        order = np.argsort(-weights[row], kind="stable")
        words = [str(vocabulary[i]) for i in order if weights[row, i] > 0]
        result[group] = [word for word in words if not names_a_brand(word, brands)][:keyword_count]
    return result


def theme_labels(
    *,
    texts: Sequence[str],
    groups: np.ndarray,
    centroids: dict[int, np.ndarray],
    keywords: dict[int, list[str]],
    stop_words: Iterable[str],
    embed: EmbedTexts | None = None,
) -> dict[int, str]:
    """Per group (-1 ignored): the candidate phrase nearest its centroid (ml/phrases.py), capitalised; the keyword
    label where no phrase qualifies. `embed` turns phrases into unit vectors of the documents' embedding space."""
    groups = np.asarray(groups)
    if len(texts) > LABEL_SAMPLE_SIZE:
        chosen = np.unique(np.linspace(0, len(texts) - 1, LABEL_SAMPLE_SIZE).astype(np.int64))
        texts, groups = [texts[int(i)] for i in chosen], groups[chosen]
    brands = label_brand_words(stop_words)
    # Words of a brand that are plain words ("delivery") may be in a label, unless they are stop words anyway.
    plain_words = brand_words(stop_words) - brands - stop_word_set(())
    candidates = group_phrase_scores(
        texts=texts,
        groups=groups,
        stop_words=stop_word_set(stop_words) - plain_words,
        is_brand=lambda word: names_a_brand(word, brands),
    )
    phrases = best_phrases(candidates=candidates, centroids=centroids, embed=embed)
    return {
        group: phrase_label(phrases[group]) if group in phrases else label_from_keywords(keywords.get(group, []))
        for group in sorted(set(candidates) | set(keywords))
    }


def label_keywords(
    *,
    texts: Sequence[str],
    stop_words: Iterable[str] = (),
    background_texts: Sequence[str] = (),
    embeddings: np.ndarray | None = None,
    embed: EmbedTexts | None = None,
) -> tuple[str, list[str]]:
    """Label and keywords for one group of texts (e.g. a split or re-labelled theme), against optional background.

    With the group's `embeddings` and `embed` the label is the phrase nearest their centroid, else the top phrase.
    """
    all_texts = list(texts) + list(background_texts)
    groups = np.array([0] * len(texts) + [1] * len(background_texts))
    keywords = class_keywords(texts=all_texts, groups=groups, stop_words=stop_words)
    centroid = unit_centroid(np.asarray(embeddings)) if embeddings is not None and len(embeddings) else None
    labels = theme_labels(
        texts=all_texts,
        groups=groups,
        centroids={0: centroid} if centroid is not None else {},
        keywords=keywords,
        stop_words=stop_words,
        embed=embed if centroid is not None else None,
    )
    return labels.get(0, "unlabelled"), keywords.get(0, [])
