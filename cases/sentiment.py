"""How negative a case reads: VADER's lexicon (vaderSentiment ships it; nothing is downloaded), per sentence."""

from __future__ import annotations

import functools
import re

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# A case at or above this negativity (VADER compound -0.5 or lower) counts as strongly negative: VADER's authors
# call -0.05 negative; -0.5 keeps plain complaints ("where is my order", 0.0; "my bag was lost", 0.32) apart from
# angry ones ("worst airline ever, lost my bag", 0.75).
STRONGLY_NEGATIVE = 0.5
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@functools.cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def text_negativity(text: str) -> float:
    """0 (not negative) to 1 (as negative as VADER scores): minus the compound score of the most negative sentence.

    Scored per sentence because VADER's negation window crosses sentence ends: "It never arrived. Furious!" scores
    +0.65 as one text ("never" flips "furious"), and 0.61 negative sentence by sentence.
    """
    sentences = [sentence for sentence in SENTENCE_END.split(text) if sentence.strip()]
    if not sentences:
        return 0.0
    lowest = min(_analyzer().polarity_scores(sentence)["compound"] for sentence in sentences)
    return round(max(0.0, -lowest), 4)


def is_strongly_negative(negativity: float | None) -> bool:
    """True for a scored case at or above STRONGLY_NEGATIVE."""
    return negativity is not None and negativity >= STRONGLY_NEGATIVE
