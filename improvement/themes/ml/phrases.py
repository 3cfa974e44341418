"""Theme labels in the cases' own words: the candidate phrase nearest the theme's centroid.

Candidates are 2-5 word runs inside one clause of the members' texts ("marked delivered but never arrived"),
ranked by phrase-level c-TF-IDF (frequent in the theme, rare elsewhere); the best few are embedded by the
caller's embedding function and the one most similar to the theme's centroid (KeyBERT-style) becomes the label.
Without an embedding function the top c-TF-IDF phrase is the label. Brand words and handles never appear.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from improvement.themes.ml.vectors import normalise_rows

EmbedTexts = Callable[[Sequence[str]], np.ndarray]

PHRASE_MIN_WORDS = 2
PHRASE_MAX_WORDS = 5
# Candidates per theme sent to the embedding function (bench/theme_labels.py: more than 20 changed no label's
# cosine to its human name by more than 0.01 on any set, and costs embedding time).
CANDIDATE_COUNT = 20
# A phrase must occur in at least this many of the theme's cases (and this share of them) to be a candidate.
MINIMUM_CASES = 2
MINIMUM_SHARE = 0.01
# A clause is the text between punctuation; phrases never cross one.
CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”…|/\\]+|\s-\s|\s–\s")
WORD = re.compile(r"[^\W_][\w'&-]*")
# Words that may open a phrase though they are stop words: they carry the problem ("never arrived", "not received").
NEGATIONS = frozenset({"no", "not", "never", "cannot", "can't", "won't", "didn't", "doesn't", "isn't", "wasn't"})


def clause_words(text: str) -> list[list[str]]:
    """The lower-cased words of each clause of `text`."""
    return [words for clause in CLAUSE_BREAK.split(text.lower()) if (words := WORD.findall(clause))]


def text_phrases(text: str, *, stop_words: frozenset[str], is_brand: Callable[[str], bool]) -> set[str]:
    """Every distinct candidate phrase of one text: 2-5 words in one clause, starting with a content word or a
    negation, ending with a content word, with no brand word and not all digits."""
    phrases: set[str] = set()
    for words in clause_words(text):
        for start, first in enumerate(words):
            if (first in stop_words and first not in NEGATIONS) or is_brand(first):
                continue
            for end in range(start + PHRASE_MIN_WORDS, min(start + PHRASE_MAX_WORDS, len(words)) + 1):
                last = words[end - 1]
                if is_brand(last):
                    break
                if last in stop_words or last.isdigit():
                    continue
                phrase = words[start:end]
                if any(is_brand(word) for word in phrase[1:-1]):
                    break
                phrases.add(" ".join(phrase))
    return phrases


def group_phrase_scores(
    *, texts: Sequence[str], groups: np.ndarray, stop_words: frozenset[str], is_brand: Callable[[str], bool]
) -> dict[int, list[tuple[str, float]]]:
    """Per group (-1 ignored), its candidate phrases by phrase-level c-TF-IDF, best first.

    The score is BERTopic's class-based TF-IDF on case counts: (cases of the group with the phrase / group size)
    x log(1 + average group size / cases of all groups with the phrase).
    """
    group_ids = sorted(int(group) for group in set(np.asarray(groups).tolist()) if group != -1)
    in_group: dict[int, Counter[str]] = {group: Counter() for group in group_ids}
    overall: Counter[str] = Counter()
    sizes: Counter[int] = Counter()
    for text, group in zip(texts, np.asarray(groups).tolist(), strict=True):
        if group == -1:
            continue
        phrases = text_phrases(text, stop_words=stop_words, is_brand=is_brand)
        in_group[group].update(phrases)
        overall.update(phrases)
        sizes[group] += 1
    if not group_ids:
        return {}
    average_size = sum(sizes.values()) / len(group_ids)
    result: dict[int, list[tuple[str, float]]] = {}
    for group in group_ids:
        floor = max(MINIMUM_CASES, math.ceil(MINIMUM_SHARE * sizes[group]))
        scored = [
            (phrase, (count / sizes[group]) * math.log(1 + average_size / overall[phrase]))
            for phrase, count in in_group[group].items()
            if count >= floor
        ]
        # Ties in alphabetical order: putting the longer phrase first (and so dropping its parts from the
        # shortlist) cost the simulated stream 0.010 of label-to-name cosine (bench/theme_labels.py).
        scored.sort(key=lambda item: (-item[1], item[0]))
        result[group] = scored
    return result


def _without_nested(phrases: list[str]) -> list[str]:
    """Phrases in order, leaving out one contained in an earlier phrase ("delivered but" after "marked delivered
    but never arrived")."""
    kept: list[str] = []
    for phrase in phrases:
        padded = f" {phrase} "
        if not any(padded in f" {other} " for other in kept):
            kept.append(phrase)
    return kept


def best_phrases(
    *, candidates: dict[int, list[tuple[str, float]]], centroids: dict[int, np.ndarray], embed: EmbedTexts | None
) -> dict[int, str]:
    """Per group, the shortlisted candidate most cosine-similar to its centroid (one `embed` call for all groups);
    the top c-TF-IDF candidate without `embed` or without a centroid for the group. A group without candidates is
    left out."""
    shortlists = {
        group: _without_nested([phrase for phrase, _score in scored])[:CANDIDATE_COUNT]
        for group, scored in candidates.items()
        if scored
    }
    chosen = {group: phrases[0] for group, phrases in shortlists.items()}
    embedded = {group: phrases for group, phrases in shortlists.items() if group in centroids}
    if embed is None or not embedded:
        return chosen
    unique = sorted({phrase for phrases in embedded.values() for phrase in phrases})
    vectors = normalise_rows(np.asarray(embed(unique), dtype=np.float32))
    row = {phrase: index for index, phrase in enumerate(unique)}
    for group, phrases in embedded.items():
        centroid = normalise_rows(np.atleast_2d(np.asarray(centroids[group], dtype=np.float32)))[0]
        similarity = vectors[[row[phrase] for phrase in phrases]] @ centroid
        chosen[group] = phrases[int(np.argmax(similarity))]
    return chosen


def label_parameters(*, embedded: bool) -> dict:
    """The JSON-able record of how labels were chosen (stored with a fit's parameters)."""
    return {
        "phrase_words": [PHRASE_MIN_WORDS, PHRASE_MAX_WORDS],
        "minimum_cases": MINIMUM_CASES,
        "minimum_share": MINIMUM_SHARE,
        "candidates": CANDIDATE_COUNT,
        "chosen_by": "cosine to theme centroid" if embedded else "phrase c-TF-IDF",
    }


def phrase_label(phrase: str) -> str:
    """A phrase as a label: its first letter capitalised ("Marked delivered but never arrived")."""
    return phrase[:1].upper() + phrase[1:]
