"""Theme quality on every labelled set, beside plain BERTopic() and KMeans told the true k.

Sets (all from ../shared/data but the simulated stream, which the project generates; texts are production's analysis
text, @handles, URLs and the row's brand dropped):

    airline           negative tweets by reason (9; "Can't Tell" left out)
    clinc150          150 intents and, for the same fit, their 10 domains (short queries; banking77's proxy)
    complaints        complaint tweets (complaint == 1) by domain
    endava            IT helpdesk e-mails by label_fine, labels with at least 100 rows (long narratives' proxy)
    simulated         the demo stream (cases/simulation/) by problem (15)

Per set and method: NMI, homogeneity, completeness, theme count and outlier share; for the simulated stream also
how many problems are the majority of exactly one theme. Embeddings come from DIR/<set>.npz when
--embeddings-dir names a folder holding it with the same texts (keys texts, labels, embeddings), else from
.cache/quality_<set>_<hash>.npy, computed once with the bundled model. The last line holds key=value pairs.

    nice -n 10 .venv/bin/python bench/cluster_quality.py [--sets airline,clinc150,...] [--embeddings-dir DIR]
        [--no-references]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from improvement.themes.ml.clustering import fit  # noqa: E402
from improvement.themes.ml.evaluation import (  # noqa: E402
    majority_problem_counts,
    plain_bertopic_assignments,
    score,
)
from improvement.themes.ml.vectors import normalise_rows  # noqa: E402

SHARED_DATA = REPOSITORY.parent / "shared" / "data"
CACHE = REPOSITORY / ".cache"
ALL_SETS = ("airline", "clinc150", "complaints", "endava", "simulated")
ENDAVA_MINIMUM_ROWS = 100


@dataclass
class LabelledSet:
    """One labelled set: analysis texts, one or more labellings (name -> label per text), brand words."""

    name: str
    texts: list[str]
    labellings: dict[str, list[str]]
    brand_words: list[str] = field(default_factory=list)
    embeddings: np.ndarray | None = None


def _read(name: str) -> LabelledSet:
    from improvement.themes.labelled_files import labelled_file_read

    if name == "airline":
        texts, labels, brands = labelled_file_read(
            path=str(SHARED_DATA / "airline_tweets.csv"),
            text_column="text",
            label_column="negativereason",
            brand_column="airline",
            filters=[("airline_sentiment", "negative")],
            excluded_labels=["Can't Tell"],
        )
        return LabelledSet(name, texts, {"airline reason": labels}, brands)
    if name == "clinc150":
        import pandas as pd

        texts, intents, _ = labelled_file_read(
            path=str(SHARED_DATA / "clinc150.csv"), text_column="text", label_column="intent"
        )
        frame = pd.read_csv(SHARED_DATA / "clinc150.csv", dtype=str, keep_default_na=False)
        domain_of = dict(zip(frame["intent"], frame["domain"], strict=True))
        return LabelledSet(
            name, texts, {"clinc150 intent": intents, "clinc150 domain": [domain_of[i] for i in intents]}
        )
    if name == "complaints":
        texts, labels, _ = labelled_file_read(
            path=str(SHARED_DATA / "complaints_tweets.csv"),
            text_column="text",
            label_column="domain",
            filters=[("complaint", "1")],
        )
        return LabelledSet(name, texts, {"complaints domain": labels})
    if name == "endava":
        import pandas as pd

        from cases.text import analysis_text

        frame = pd.read_csv(SHARED_DATA / "endava_tickets.csv", dtype=str, keep_default_na=False)
        counts = frame["label_fine"].value_counts()
        frame = frame[frame["label_fine"].isin(set(counts[counts >= ENDAVA_MINIMUM_ROWS].index))]
        texts = [analysis_text(text, brand_names=[]) for text in frame["text"]]
        return LabelledSet(name, texts, {"endava label_fine": list(frame["label_fine"])})
    if name == "simulated":
        from cases.simulation import BRAND_HANDLES, simulate_contacts
        from cases.text import analysis_text

        contacts = list(simulate_contacts(total=4000, end=datetime.date(2026, 11, 1)))
        texts = [analysis_text(contact.text, brand_names=[contact.brand]) for contact in contacts]
        brands = sorted({*BRAND_HANDLES, *BRAND_HANDLES.values()})
        return LabelledSet(name, texts, {"simulated problem": [contact.problem for contact in contacts]}, brands)
    raise SystemExit(f"unknown set {name!r}; choose from {', '.join(ALL_SETS)}")


def _embeddings(labelled: LabelledSet, embeddings_dir: Path | None) -> np.ndarray:
    if embeddings_dir is not None and (embeddings_dir / f"{labelled.name}.npz").exists():
        stored = np.load(embeddings_dir / f"{labelled.name}.npz", allow_pickle=True)
        if list(stored["texts"]) == labelled.texts:
            return normalise_rows(stored["embeddings"])
    key = hashlib.sha256("\n".join(labelled.texts).encode()).hexdigest()[:16]
    path = CACHE / f"quality_{labelled.name}_{key}.npy"
    if not path.exists():
        from cases.embedding import embed_texts

        CACHE.mkdir(exist_ok=True)
        np.save(path, embed_texts(labelled.texts, show_progress=True))
    return normalise_rows(np.load(path))


def _line(method: str, labels: list[str], assignments: np.ndarray, seconds: float | None) -> dict:
    figures = {
        **score(true_labels=labels, predicted=assignments),
        "n_themes": len(set(assignments.tolist()) - {-1}),
        "outlier_share": round(float(np.mean(assignments == -1)), 4),
    }
    if seconds is not None:
        figures["seconds"] = round(seconds, 1)
    print(f"  {method:<16} {json.dumps(figures)}", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default=",".join(ALL_SETS))
    parser.add_argument("--embeddings-dir", type=Path, default=None)
    parser.add_argument("--no-references", action="store_true", help="skip plain BERTopic() and KMeans(true k)")
    arguments = parser.parse_args()
    summary: dict[str, float] = {}
    for name in arguments.sets.split(","):
        labelled = _read(name)
        embeddings = _embeddings(labelled, arguments.embeddings_dir)
        started = time.perf_counter()
        result = fit(texts=labelled.texts, embeddings=embeddings, stop_words=labelled.brand_words)
        ours_seconds = time.perf_counter() - started
        plain = None
        if not arguments.no_references:
            started = time.perf_counter()
            plain = plain_bertopic_assignments(texts=labelled.texts, embeddings=embeddings)
            plain_seconds = time.perf_counter() - started
        for labelling, labels in labelled.labellings.items():
            print(f"{labelling} ({len(labels)} docs, {len(set(labels))} labels)", flush=True)
            ours = _line("ours", labels, result.assignments, ours_seconds)
            key = labelling.replace(" ", "_")
            summary[f"nmi_{key}"] = ours["nmi"]
            summary[f"themes_{key}"] = ours["n_themes"]
            summary[f"outliers_{key}"] = ours["outlier_share"]
            if name == "simulated":
                exactly_one = majority_problem_counts(true_labels=labels, predicted=result.assignments)
                owned = sum(1 for count in exactly_one.values() if count == 1)
                print(f"  problems the majority of exactly one theme: {owned} of {len(set(labels))}", flush=True)
                summary["simulated_problems_owned"] = owned
            if plain is not None:
                _line("plain BERTopic()", labels, plain, plain_seconds)
                from sklearn.cluster import KMeans

                kmeans = KMeans(n_clusters=len(set(labels)), n_init=10, random_state=42).fit_predict(embeddings)
                _line("KMeans(true k)", labels, kmeans, None)
        print(f"  labels: {[cluster.label for cluster in result.clusters[:12]]}", flush=True)
    print(" ".join(f"{key}={value}" for key, value in summary.items()))


if __name__ == "__main__":
    main()
