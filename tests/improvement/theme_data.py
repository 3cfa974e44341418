"""Real airline tweets for the theme tests: read and embedded once per process, stored as cases per test."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from cases.embedding import (
    EMBEDDING_MODEL_NAME,
    embed_texts,
    embedding_to_bytes,
    text_hash,
)
from cases.models import Case
from cases.text import analysis_text
from improvement.models import CaseTheme, Theme

REASONS = (
    "Lost Luggage",
    "Cancelled Flight",
    "Late Flight",
    "Customer Service Issue",
    "Flight Booking Problems",
)
PER_REASON = 90
EMBEDDED_AT = datetime.fromisoformat("2015-02-25T00:00:00+00:00")


@dataclass(frozen=True)
class AirlineTweets:
    """450 negative airline tweets, 90 for each of five complaint reasons, with their embeddings."""

    tweet_ids: list[str]
    texts: list[str]
    analysis_texts: list[str]
    airlines: list[str]
    reasons: list[str]
    received_at: list[datetime]
    embeddings: np.ndarray


@functools.cache
def _load(csv_path: str) -> AirlineTweets:
    seen: set[str] = set()
    per_reason: dict[str, int] = {}
    rows = []
    with open(csv_path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["tweet_id"] in seen:
                continue
            seen.add(row["tweet_id"])
            reason = row["negativereason"]
            if reason in REASONS and per_reason.get(reason, 0) < PER_REASON:
                per_reason[reason] = per_reason.get(reason, 0) + 1
                rows.append(row)
    analysis_texts = [analysis_text(row["text"], brand_names=[row["airline"]]) for row in rows]
    return AirlineTweets(
        tweet_ids=[row["tweet_id"] for row in rows],
        texts=[row["text"] for row in rows],
        analysis_texts=analysis_texts,
        airlines=[row["airline"] for row in rows],
        reasons=[row["negativereason"] for row in rows],
        received_at=[datetime.strptime(row["tweet_created"], "%Y-%m-%d %H:%M:%S %z") for row in rows],
        embeddings=embed_texts(analysis_texts),
    )


@pytest.fixture
def airline_tweets(shared_data: Path) -> AirlineTweets:
    return _load(str(shared_data / "airline_tweets.csv"))


def store_cases(tweets: AirlineTweets, indices=None, *, embedded: bool = True) -> list[Case]:
    """Store the chosen tweets as twitter cases (embedded as the embedding service would), in the given order."""
    chosen = range(len(tweets.texts)) if indices is None else indices
    cases = [
        Case(
            channel="twitter",
            external_id=tweets.tweet_ids[i],
            brand=tweets.airlines[i],
            text=tweets.texts[i],
            received_at=tweets.received_at[i],
            analysis_text=tweets.analysis_texts[i],
            embedding=embedding_to_bytes(tweets.embeddings[i]) if embedded else None,
            embedding_model=EMBEDDING_MODEL_NAME if embedded else "",
            embedded_text_hash=text_hash(tweets.analysis_texts[i]) if embedded else "",
            embedded_at=EMBEDDED_AT if embedded else None,
        )
        for i in chosen
    ]
    return Case.objects.bulk_create(cases)


def themes_by_reason(tweets: AirlineTweets, cases: list[Case], indices) -> dict[str, Theme]:
    """One active theme per complaint reason holding its cases (as a fit would), without running a fit."""
    themes: dict[str, Theme] = {}
    for reason in REASONS:
        members = [(case, i) for case, i in zip(cases, indices, strict=True) if tweets.reasons[i] == reason]
        if not members:
            continue
        centroid = tweets.embeddings[[i for _, i in members]].mean(axis=0)
        centroid = (centroid / np.linalg.norm(centroid)).astype(np.float32)
        theme = Theme.objects.create(
            label=reason.lower(),
            model_label=reason.lower(),
            keywords=[reason.lower()],
            representative_case_ids=[case.pk for case, _ in members[:3]],
            centroid=embedding_to_bytes(centroid),
            size=len(members),
        )
        CaseTheme.objects.bulk_create(
            [CaseTheme(case=case, theme=theme, source=CaseTheme.Source.FIT, similarity=0.5) for case, _ in members]
        )
        themes[reason] = theme
    return themes
