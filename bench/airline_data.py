"""The airline tweets (../shared/data) as analysis texts with their embeddings, cached under .cache/ for benches."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPOSITORY = Path(__file__).resolve().parent.parent
SHARED_DATA = REPOSITORY.parent / "shared" / "data"
CACHE = REPOSITORY / ".cache"
EMBEDDINGS_PATH = CACHE / "airline_embeddings.npy"
ROWS_PATH = CACHE / "airline_rows.jsonl"

# Every airline's names and handles: removed from its own tweets, stop words for labels everywhere.
AIRLINE_BRAND_NAMES = {
    "Virgin America": ["Virgin America", "VirginAmerica", "Virgin", "VirginAirlines"],
    "United": ["United", "United Airlines", "UnitedAirlines"],
    "US Airways": ["US Airways", "USAirways", "USAir", "US Air"],
    "American": ["American", "American Airlines", "AmericanAir", "AmericanAirlines", "AA"],
    "Southwest": ["Southwest", "Southwest Airlines", "SouthwestAir", "SWA"],
    "Delta": ["Delta", "Delta Airlines", "DeltaAssist", "JetBlue"],
}
ALL_BRAND_WORDS = sorted(
    {
        word
        for names in AIRLINE_BRAND_NAMES.values()
        for name in names
        for word in [name, name.replace(" ", ""), *name.split()]
    }
    | {
        "jetblue",
        "jet blue",
        "airways",
        "airlines",
        "airline",
        "virginamerica",
        "americanair",
        "southwestair",
        "usairways",
        "flyers",
    }
)


@dataclass(frozen=True)
class AirlineSet:
    texts: list[str]
    airlines: list[str]
    sentiments: list[str]
    reasons: list[str]
    embeddings: np.ndarray

    def select(self, mask: np.ndarray) -> AirlineSet:
        indices = np.flatnonzero(mask)
        return AirlineSet(
            texts=[self.texts[i] for i in indices],
            airlines=[self.airlines[i] for i in indices],
            sentiments=[self.sentiments[i] for i in indices],
            reasons=[self.reasons[i] for i in indices],
            embeddings=self.embeddings[indices],
        )

    def negatives_with_reason(self) -> AirlineSet:
        return self.select(
            np.array(
                [
                    sentiment == "negative" and reason not in ("", "Can't Tell")
                    for sentiment, reason in zip(self.sentiments, self.reasons, strict=True)
                ]
            )
        )


def load_airline() -> AirlineSet:
    """Unique tweets (first row per tweet_id) as analysis texts, embedded once and cached."""
    if not (EMBEDDINGS_PATH.exists() and ROWS_PATH.exists()):
        _build_cache()
    rows = [json.loads(line) for line in ROWS_PATH.read_text().splitlines()]
    embeddings = np.load(EMBEDDINGS_PATH)
    return AirlineSet(
        texts=[row["text"] for row in rows],
        airlines=[row["airline"] for row in rows],
        sentiments=[row["sentiment"] for row in rows],
        reasons=[row["reason"] for row in rows],
        embeddings=embeddings,
    )


def _build_cache() -> None:
    import pandas as pd

    sys.path.insert(0, str(REPOSITORY))
    from cases.embedding import embed_texts
    from cases.text import analysis_text

    frame = pd.read_csv(SHARED_DATA / "airline_tweets.csv", dtype={"tweet_id": str}, keep_default_na=False)
    frame = frame.drop_duplicates(subset="tweet_id", keep="first")
    rows = [
        {
            "tweet_id": tweet_id,
            "text": analysis_text(text, brand_names=AIRLINE_BRAND_NAMES[airline]),
            "airline": airline,
            "sentiment": sentiment,
            "reason": reason,
        }
        for tweet_id, text, airline, sentiment, reason in zip(
            frame["tweet_id"],
            frame["text"],
            frame["airline"],
            frame["airline_sentiment"],
            frame["negativereason"],
            strict=True,
        )
    ]
    embeddings = embed_texts([row["text"] for row in rows], show_progress=True)
    CACHE.mkdir(exist_ok=True)
    np.save(EMBEDDINGS_PATH, embeddings)
    ROWS_PATH.write_text("".join(json.dumps(row) + "\n" for row in rows))


if __name__ == "__main__":
    data = load_airline()
    print(len(data.texts), data.embeddings.shape, len(data.negatives_with_reason().texts))
