"""Theme quality against human or known labels, beside KMeans told the true k, on several labelled sets.

Sets: all airline negatives with a reason (../shared/data); each large airline's negatives on its own (a
different subset, fitted alone); and the simulated demo stream (cases/simulation/, known problem labels).

    .venv/bin/python bench/cluster_quality.py [--sets airline,per-airline,simulated] [--simulated-total 4000]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from airline_data import ALL_BRAND_WORDS, CACHE, load_airline  # noqa: E402

from improvement.themes.ml.evaluation import evaluate_fit, evaluate_kmeans  # noqa: E402


def _report(name: str, texts, embeddings, labels, stop_words) -> None:
    ours = evaluate_fit(texts=texts, embeddings=embeddings, true_labels=labels, stop_words=stop_words)
    reference = evaluate_kmeans(embeddings=embeddings, true_labels=labels)
    summary = {
        key: ours[key] for key in ("nmi", "ari", "homogeneity", "completeness", "n_themes", "outlier_share", "seconds")
    }
    print(f"{name} ({len(texts)} docs, {len(set(labels))} labels)", flush=True)
    print(f"  ours:           {json.dumps(summary)}", flush=True)
    print(f"  KMeans(true k): {json.dumps(reference)}", flush=True)
    print(f"  labels: {ours['labels']}", flush=True)


def simulated(total: int) -> tuple[list[str], np.ndarray, list[str], list[str]]:
    import datetime

    from cases.embedding import embed_texts
    from cases.simulation import BRAND_HANDLES, simulate_contacts
    from cases.text import analysis_text

    contacts = list(simulate_contacts(total=total, end=datetime.date(2026, 11, 1)))
    texts = [analysis_text(contact.text, brand_names=[contact.brand]) for contact in contacts]
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"simulated_{key}.npy"
    if path.exists():
        embeddings = np.load(path)
    else:
        embeddings = embed_texts(texts, show_progress=True)
        CACHE.mkdir(exist_ok=True)
        np.save(path, embeddings)
    brands = sorted({*BRAND_HANDLES, *BRAND_HANDLES.values()})
    return texts, embeddings, [contact.problem for contact in contacts], brands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="airline,per-airline,simulated")
    parser.add_argument("--simulated-total", type=int, default=4000)
    arguments = parser.parse_args()
    sets = arguments.sets.split(",")
    negatives = load_airline().negatives_with_reason()
    if "airline" in sets:
        _report("airline negatives", negatives.texts, negatives.embeddings, negatives.reasons, ALL_BRAND_WORDS)
    if "per-airline" in sets:
        for airline in ("United", "US Airways", "American"):
            subset = negatives.select(np.array([name == airline for name in negatives.airlines]))
            _report(f"{airline} negatives alone", subset.texts, subset.embeddings, subset.reasons, ALL_BRAND_WORDS)
    if "simulated" in sets:
        texts, embeddings, labels, brands = simulated(arguments.simulated_total)
        _report("simulated stream", texts, embeddings, labels, brands)


if __name__ == "__main__":
    main()
