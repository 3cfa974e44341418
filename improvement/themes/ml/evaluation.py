"""Score a fit against human labels (NMI, ARI, homogeneity, completeness), and the KMeans-with-true-k reference."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import numpy as np
from sklearn import metrics

from improvement.themes.ml.clustering import DEFAULT_ASSIGN_THRESHOLD, fit
from improvement.themes.ml.phrases import EmbedTexts
from improvement.themes.ml.results import ThemeCluster
from improvement.themes.ml.vectors import normalise_rows


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
    embed_phrases: EmbedTexts | None = None,
) -> dict:
    """Fit as production does and score the themes against `true_labels`; `themes` says what each theme stands for
    in the old tagging (theme_summaries)."""
    started = time.perf_counter()
    result = fit(
        texts=texts,
        embeddings=embeddings,
        stop_words=stop_words,
        random_state=random_state,
        assign_threshold=assign_threshold,
        embed_phrases=embed_phrases,
    )
    seconds = time.perf_counter() - started
    return {
        **score(true_labels=true_labels, predicted=result.assignments),
        "n_themes": len(result.clusters),
        "outlier_share": round(result.outlier_share, 4),
        "seconds": round(seconds, 2),
        "labels": [cluster.label for cluster in result.clusters],
        "themes": theme_summaries(clusters=result.clusters, true_labels=true_labels),
    }


def theme_summaries(*, clusters: Sequence[ThemeCluster], true_labels: Sequence[str]) -> list[dict]:
    """Per theme, largest first: label, keywords, size, its most frequent true label (the first in sorted order on a
    tie) and purity (that label's share of the theme's documents, to 4 places)."""
    labels = np.asarray([str(label) for label in true_labels], dtype=object)
    summaries = []
    for cluster in clusters:
        values, counts = np.unique(labels[cluster.member_indices].astype(str), return_counts=True)
        best = int(np.argmax(counts)) if len(counts) else -1
        summaries.append(
            {
                "label": cluster.label,
                "keywords": list(cluster.keywords),
                "size": cluster.size,
                "majority_label": str(values[best]) if best >= 0 else None,
                "purity": round(float(counts[best]) / cluster.size, 4) if best >= 0 else 0.0,
            }
        )
    return summaries


def evaluate_kmeans(*, embeddings: np.ndarray, true_labels: Sequence[str], random_state: int = 42) -> dict:
    """The reference: KMeans told the true number of labels, on the same normalised embeddings."""
    from sklearn.cluster import KMeans

    cluster_count = len(set(true_labels))
    predicted = KMeans(n_clusters=cluster_count, n_init=10, random_state=random_state).fit_predict(
        normalise_rows(embeddings)
    )
    return {**score(true_labels=true_labels, predicted=predicted), "n_themes": cluster_count}


def plain_bertopic_assignments(*, texts: Sequence[str], embeddings: np.ndarray, random_state: int = 42) -> np.ndarray:
    """The topics (-1 = outlier) of BERTopic with its defaults over the same embeddings; UMAP seeded to repeat."""
    from bertopic import BERTopic
    from umap import UMAP

    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=random_state)
    topics, _ = BERTopic(umap_model=umap_model).fit_transform(list(texts), normalise_rows(embeddings))
    return np.asarray(topics, dtype=np.int64)


def majority_problem_counts(*, true_labels: Sequence[str], predicted: np.ndarray) -> dict[str, int]:
    """Per true label, how many themes (unassigned left out) it is the most frequent label of (ties: label order)."""
    owned = dict.fromkeys(sorted(set(true_labels)), 0)
    labels = np.asarray(true_labels, dtype=object)
    for theme in sorted(set(np.asarray(predicted).tolist()) - {-1}):
        values, counts = np.unique(labels[np.asarray(predicted) == theme], return_counts=True)
        owned[str(values[int(np.argmax(counts))])] += 1
    return owned
