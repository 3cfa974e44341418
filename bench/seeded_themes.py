"""Seeded vs unseeded themes on the airline negatives, with the nine human reason names as the only seeds.

Reads the cached embeddings /work/cache/airline.npz (texts, labels, embeddings; production analysis text, bundled
model) or AIRLINE_NPZ; embeds only the nine seed names. For each seed threshold it prints how many tweets the
seeds take and how pure that is (precision), then NMI / ARI / outliers / themes of seeds + fit of the rest, beside
the unseeded pipeline (the same fit on every tweet).

    nice -n 10 .venv/bin/python bench/seeded_themes.py [--thresholds 0.3,0.35,0.4,0.45,0.5] [--fit-thresholds 0.4]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from airline_data import ALL_BRAND_WORDS  # noqa: E402

from improvement.themes import ml  # noqa: E402
from improvement.themes.ml.evaluation import score  # noqa: E402

AIRLINE_NPZ = Path(os.environ.get("AIRLINE_NPZ", "/work/cache/airline.npz"))


def _seed_centroids(names: list[str]) -> np.ndarray:
    from cases.embedding import embed_texts

    return np.stack([ml.seed_centroid(embed_texts(ml.seed_phrases(name=name))) for name in names])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--thresholds", default="0.25,0.3,0.35,0.4,0.45,0.5")
    parser.add_argument("--fit-thresholds", default=str(ml.SEED_ASSIGN_THRESHOLD))
    parser.add_argument("--skip-unseeded", action="store_true")
    arguments = parser.parse_args()
    if not AIRLINE_NPZ.exists():
        sys.exit(f"{AIRLINE_NPZ} not found: build it from ../shared/data/airline_tweets.csv first.")
    data = np.load(AIRLINE_NPZ, allow_pickle=True)
    texts = [str(text) for text in data["texts"]]
    labels = np.array([str(label) for label in data["labels"]])
    embeddings = np.asarray(data["embeddings"], dtype=np.float32)
    names = sorted(set(labels.tolist()))
    centroids = _seed_centroids(names)
    print(f"airline negatives: {len(texts)} tweets, {len(names)} reasons as seeds: {names}", flush=True)

    print("seed-only assignment (no fit):", flush=True)
    for threshold in [float(value) for value in arguments.thresholds.split(",")]:
        assigned, _ = ml.seed_assign(embeddings=embeddings, seed_centroids=centroids, threshold=threshold)
        taken = assigned >= 0
        correct = int((np.array(names)[assigned[taken]] == labels[taken]).sum()) if taken.any() else 0
        print(
            f"  threshold={threshold:.2f} seeded_share={taken.mean():.4f} "
            f"precision={correct / max(1, int(taken.sum())):.4f} "
            f"nmi_seed_only={score(true_labels=labels, predicted=assigned)['nmi']}",
            flush=True,
        )

    figures: dict[str, float] = {}
    if not arguments.skip_unseeded:
        started = time.perf_counter()
        unseeded = ml.fit(texts=texts, embeddings=embeddings, stop_words=ALL_BRAND_WORDS)
        unseeded_scores = score(true_labels=labels, predicted=unseeded.assignments)
        print(
            f"unseeded: {json.dumps(unseeded_scores)} n_themes={len(unseeded.clusters)} "
            f"outliers={unseeded.outlier_share:.4f} seconds={time.perf_counter() - started:.1f}",
            flush=True,
        )
        figures.update(
            unseeded_nmi=unseeded_scores["nmi"],
            unseeded_outliers=round(unseeded.outlier_share, 4),
            unseeded_n_themes=len(unseeded.clusters),
        )
    for threshold in [float(value) for value in arguments.fit_thresholds.split(",")]:
        started = time.perf_counter()
        seeded = ml.fit_with_seeds(
            texts=texts, embeddings=embeddings, seed_centroids=centroids, seed_threshold=threshold,
            stop_words=ALL_BRAND_WORDS,
        )  # fmt: skip
        combined = seeded.combined_assignments()
        seeded_scores = score(true_labels=labels, predicted=combined)
        seeds_used = len(set(seeded.seed_assignments[seeded.seed_assignments >= 0].tolist()))
        n_themes = seeds_used + len(seeded.rest.clusters)
        print(
            f"seeded threshold={threshold:.2f}: {json.dumps(seeded_scores)} n_themes={n_themes} "
            f"(seeds with cases {seeds_used} + fitted {len(seeded.rest.clusters)}) "
            f"seeded_share={(seeded.seed_assignments >= 0).mean():.4f} outliers={seeded.outlier_share:.4f} "
            f"seconds={time.perf_counter() - started:.1f}",
            flush=True,
        )
        print(f"  fitted labels: {[cluster.label for cluster in seeded.rest.clusters]}", flush=True)
        key = f"seeded_{threshold:.2f}".replace(".", "")
        figures.update(
            {
                f"{key}_nmi": seeded_scores["nmi"],
                f"{key}_outliers": round(seeded.outlier_share, 4),
                f"{key}_n_themes": n_themes,
            }
        )
    print(" ".join(f"{key}={value}" for key, value in figures.items()), flush=True)


if __name__ == "__main__":
    main()
