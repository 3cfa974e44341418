"""Score a fit against human labels (NMI, ARI, homogeneity, completeness), and the KMeans-with-true-k reference."""
from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import numpy as np
from sklearn import metrics

from improvement.themes.clustering import DEFAULT_ASSIGN_THRESHOLD, fit, normalise_rows


def score(*, true_labels: Sequence[str], predicted: np.ndarray) -> dict:
    """sklearn's agreement scores; an unassigned document (-1) counts as one more predicted label."""
    return {
        "nmi": round(float(metrics.normalized_mutual_info_score(true_labels, predicted)), 4),
        "ari": round(float(metrics.adjusted_rand_score(true_labels, predicted)), 4),
        "homogeneity": round(float(metrics.homogeneity_score(true_labels, predicted)), 4),
        "completeness": round(float(metrics.completeness_score(true_labels, predicted)), 4),
    }


def evaluate_fit(
    *,
    texts: Sequence[str],
    embeddings: np.ndarray,
    true_labels: Sequence[str],
    stop_words: Iterable[str] = (),
    random_state: int = 42,
    assign_threshold: float = DEFAULT_ASSIGN_THRESHOLD,
) -> dict:
    """Fit as production does and score the themes against `true_labels`."""
    started = time.perf_counter()
    result = fit(
        texts=texts, embeddings=embeddings, stop_words=stop_words, random_state=random_state,
        assign_threshold=assign_threshold,
    )
    seconds = time.perf_counter() - started
    return {
        **score(true_labels=true_labels, predicted=result.assignments),
        "n_themes": len(result.clusters),
        "outlier_share": round(result.outlier_share, 4),
        "seconds": round(seconds, 2),
        "labels": [cluster.label for cluster in result.clusters],
    }


def evaluate_kmeans(*, embeddings: np.ndarray, true_labels: Sequence[str], random_state: int = 42) -> dict:
    """The reference: KMeans told the true number of labels, on the same normalised embeddings."""
    from sklearn.cluster import KMeans

    cluster_count = len(set(true_labels))
    predicted = KMeans(n_clusters=cluster_count, n_init=10, random_state=random_state).fit_predict(
        normalise_rows(embeddings)
    )
    return {**score(true_labels=true_labels, predicted=predicted), "n_themes": cluster_count}


class LabelledFileError(ValueError):
    """The labelled file or the options given for it cannot be used (missing column, nothing left, ...)."""


def labelled_file_read(
    *,
    path: str,
    text_column: str,
    label_column: str,
    brand_column: str | None = None,
    filters: Sequence[tuple[str, str]] = (),
    excluded_labels: Sequence[str] = (),
    limit: int | None = None,
) -> tuple[list[str], list[str], list[str]]:
    """(analysis texts, labels, brand names seen) of the rows kept: every filter matches, label present, not excluded.

    Each text loses @handles, URLs and its own row's brand name, as production's analysis text does.
    """
    import pandas as pd

    from cases.text import analysis_text

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as error:
        raise LabelledFileError(f"cannot read {path}: {error}") from error
    needed = [text_column, label_column, *([brand_column] if brand_column else []), *(column for column, _ in filters)]
    missing = [column for column in needed if column not in frame.columns]
    if missing:
        raise LabelledFileError(f"column(s) not in {path}: {', '.join(missing)}")
    keep = frame[label_column].str.strip() != ""
    for column, value in filters:
        keep &= frame[column] == value
    keep &= ~frame[label_column].isin(list(excluded_labels))
    frame = frame[keep]
    if limit is not None:
        frame = frame.head(limit)
    if frame.empty:
        raise LabelledFileError("no rows left after the filters")
    brands = [str(value) for value in frame[brand_column]] if brand_column else [""] * len(frame)
    texts = [
        analysis_text(str(text), brand_names=[brand] if brand else [])
        for text, brand in zip(frame[text_column], brands, strict=True)
    ]
    return texts, [str(label) for label in frame[label_column]], sorted({brand for brand in brands if brand})
