"""Theme fitting at scale and assignment latency, on airline embeddings (../shared/data, cached in .cache/).

Prints: our refit of N stored embeddings (default 100,000: real airline embeddings tiled with small noise) beside
plain `BERTopic().fit_transform` on the same embeddings (time-capped, or skipped with --skip-plain); p95 of
assigning one new embedded case; and, for the assign threshold, the unassigned share and purity of held-out
airline negatives assigned to themes fitted on the rest.

    .venv/bin/python bench/cluster.py [--documents 100000] [--plain-timeout 900] [--skip-plain]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from airline_data import ALL_BRAND_WORDS, load_airline  # noqa: E402

from cases.embedding import embed_texts  # noqa: E402
from improvement.themes import ml as themes  # noqa: E402

NOISE = 0.03


def synthetic_corpus(document_count: int, *, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Real airline analysis texts and embeddings tiled to `document_count`, each copy nudged by Gaussian noise."""
    data = load_airline()
    generator = np.random.default_rng(seed)
    source = generator.integers(0, len(data.texts), size=document_count)
    vectors = data.embeddings[source] + generator.normal(0, NOISE, size=(document_count, data.embeddings.shape[1]))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    return [data.texts[i] for i in source], vectors


def _plain_bertopic(texts, embeddings, queue) -> None:
    from bertopic import BERTopic

    started, cpu_started = time.perf_counter(), time.process_time()
    topics, _ = BERTopic().fit_transform(texts, embeddings)
    topics = np.asarray(topics)
    queue.put(
        {
            "seconds": round(time.perf_counter() - started, 1),
            "cpu_seconds": round(time.process_time() - cpu_started, 1),
            "load_average_1m": round(os.getloadavg()[0], 1),
            "n_topics": int(len(set(topics.tolist()) - {-1})),
            "outlier_share": round(float(np.mean(topics == -1)), 4),
        }
    )


def plain_bertopic(texts: list[str], embeddings: np.ndarray, *, timeout: float) -> dict:
    """Plain BERTopic() in a child process, stopped after `timeout` seconds."""
    # spawn, not fork: the parent already runs OpenMP (UMAP, torch), and a forked child would abort.
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_plain_bertopic, args=(texts, embeddings, queue))
    started = time.perf_counter()
    process.start()
    process.join(timeout)
    if process.is_alive():
        process.terminate()
        process.join()
        return {"seconds": f"> {timeout:.0f} (stopped)"}
    if queue.empty():
        return {"error": f"exit code {process.exitcode}", "seconds": round(time.perf_counter() - started, 1)}
    return queue.get()


def assign_latency(centroids: np.ndarray, vectors: np.ndarray) -> dict:
    """Milliseconds to assign one embedded case at a time, over many cases."""
    timings = []
    for vector in vectors:
        started = time.perf_counter()
        themes.assign(embeddings=vector[None, :], centroids=centroids, threshold=themes.DEFAULT_ASSIGN_THRESHOLD)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "cases": len(timings),
        "p50_ms": round(float(np.percentile(timings, 50)), 3),
        "p95_ms": round(float(np.percentile(timings, 95)), 3),
        "max_ms": round(float(np.max(timings)), 3),
    }


def embed_and_assign_latency(centroids: np.ndarray, texts: list[str]) -> dict:
    """Milliseconds to embed one new case's text and assign it (the model already loaded)."""
    embed_texts(texts[:2])
    timings = []
    for text in texts:
        started = time.perf_counter()
        themes.assign(embeddings=embed_texts([text]), centroids=centroids, threshold=themes.DEFAULT_ASSIGN_THRESHOLD)
        timings.append((time.perf_counter() - started) * 1000)
    return {"cases": len(timings), "p95_ms": round(float(np.percentile(timings, 95)), 2)}


def threshold_table(thresholds: list[float]) -> list[dict]:
    """Fit on 80% of airline negatives, assign the other 20% at each threshold: unassigned share and purity.

    Purity: the share of assigned held-out tweets whose human reason is the most common reason of their theme's
    fitted members (noisy labels: the fitted members themselves reach about the same figure).
    """
    data = load_airline().negatives_with_reason()
    generator = np.random.default_rng(1)
    held_out = generator.random(len(data.texts)) < 0.2
    fitted_indices, held_indices = np.flatnonzero(~held_out), np.flatnonzero(held_out)
    result = themes.fit(
        texts=[data.texts[i] for i in fitted_indices],
        embeddings=data.embeddings[fitted_indices],
        stop_words=ALL_BRAND_WORDS,
    )
    reasons = np.array(data.reasons)
    majority = []
    for cluster in result.clusters:
        names, counts = np.unique(reasons[fitted_indices][cluster.member_indices], return_counts=True)
        majority.append(names[np.argmax(counts)])
    fitted_purity = np.mean(
        [reasons[fitted_indices][i] == majority[a] for i, a in enumerate(result.assignments) if a >= 0]
    )
    rows = []
    for threshold in thresholds:
        index, _ = themes.assign(
            embeddings=data.embeddings[held_indices], centroids=result.centroids, threshold=threshold
        )
        assigned = index >= 0
        purity = np.mean([reasons[held_indices][i] == majority[index[i]] for i in np.flatnonzero(assigned)])
        rows.append(
            {
                "threshold": threshold,
                "unassigned_share": round(float(np.mean(~assigned)), 4),
                "purity_of_assigned": round(float(purity), 4),
                "fitted_purity": round(float(fitted_purity), 4),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--plain-timeout", type=float, default=900, help="Seconds before plain BERTopic is stopped.")
    parser.add_argument("--skip-plain", action="store_true")
    parser.add_argument("--skip-thresholds", action="store_true")
    arguments = parser.parse_args()
    print(f"cores available: {len(os.sched_getaffinity(0))}", flush=True)

    texts, embeddings = synthetic_corpus(arguments.documents)
    started, cpu_started = time.perf_counter(), time.process_time()
    result = themes.fit(texts=texts, embeddings=embeddings, stop_words=ALL_BRAND_WORDS)
    # CPU seconds beside wall seconds: on a shared machine the wall clock also counts other people's work.
    ours = {
        "seconds": round(time.perf_counter() - started, 1),
        "cpu_seconds": round(time.process_time() - cpu_started, 1),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "n_themes": len(result.clusters),
        "outlier_share": round(result.outlier_share, 4),
        "labels": [cluster.label for cluster in result.clusters],
    }
    print(f"ours, refit of {arguments.documents:,} stored embeddings: {json.dumps(ours)}", flush=True)

    generator = np.random.default_rng(2)
    new_cases = embeddings[generator.integers(0, len(embeddings), size=2000)]
    print(
        f"assign one embedded case ({len(result.clusters)} themes): "
        f"{json.dumps(assign_latency(result.centroids, new_cases))}",
        flush=True,
    )
    sample_texts = [texts[i] for i in generator.integers(0, len(texts), size=200)]
    print(
        f"embed + assign one new case: {json.dumps(embed_and_assign_latency(result.centroids, sample_texts))}",
        flush=True,
    )

    if not arguments.skip_thresholds:
        print("assign threshold on held-out airline negatives:", flush=True)
        for row in threshold_table([0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]):
            marker = "  <- DEFAULT_ASSIGN_THRESHOLD" if row["threshold"] == themes.DEFAULT_ASSIGN_THRESHOLD else ""
            print(f"  {json.dumps(row)}{marker}", flush=True)

    if arguments.skip_plain:
        print("plain BERTopic().fit_transform: skipped (--skip-plain)")
    else:
        plain = plain_bertopic(texts, embeddings, timeout=arguments.plain_timeout)
        print(f"plain BERTopic().fit_transform on the same {arguments.documents:,} embeddings: {json.dumps(plain)}")


if __name__ == "__main__":
    main()
