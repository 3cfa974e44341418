"""Theme labels against the human label names: mean cosine similarity, phrase labels beside the keyword labels.

Per labelled set: fit themes as production does, then for each theme embed its label and the name of its majority
human label (our embedding model) and average their cosine similarity; once for the phrase labels the fit gives
(improvement/themes/ml/phrases.py) and once for the comma lists of keywords of the earlier labelling
(labelling.label_from_keywords on the same themes' keywords). Ten labels before and after are printed per set.

Sets (../shared/data, see its PROVENANCE.md): airline negatives (reasons), clinc150 (intents, and the same themes
against the domains), complaint tweets (domains), the simulated stream (the human names of its 15 problems).
The endava tickets have only label codes, no names: skipped. `--embeddings-cache DIR` reads DIR/<set>.npz
(texts, labels, embeddings) instead of embedding again when its texts are the same.

    .venv/bin/python bench/theme_labels.py [--sets airline,clinc150,complaints,simulated] [--embeddings-cache DIR]

The last line holds key=value pairs: <set>_before=, <set>_after= (mean cosine) per set compared.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from cases.embedding import embed_texts  # noqa: E402
from improvement.themes.labelled_files import labelled_file_read  # noqa: E402
from improvement.themes.ml import fit  # noqa: E402
from improvement.themes.ml.labelling import label_from_keywords  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SHOWN_LABELS = 10
SETS = ("airline", "clinc150", "complaints", "simulated")


def _embeddings(name: str, texts: list[str], cache: Path | None) -> np.ndarray:
    path = cache / f"{name}.npz" if cache else None
    if path and path.exists():
        stored = np.load(path, allow_pickle=True)
        if [str(text) for text in stored["texts"]] == texts:
            return np.asarray(stored["embeddings"], dtype=np.float32)
    return embed_texts(texts, show_progress=True)


def _simulated() -> tuple[list[str], dict[str, list[str]], list[str]]:
    from cases.simulation import BRAND_HANDLES, simulate_contacts
    from cases.simulation.problems import PROBLEMS_BY_KEY
    from cases.text import analysis_text

    contacts = list(simulate_contacts(total=4000, end=datetime.date(2026, 11, 1)))
    texts = [analysis_text(contact.text, brand_names=[contact.brand]) for contact in contacts]
    names = [PROBLEMS_BY_KEY[contact.problem].name for contact in contacts]
    return texts, {"problems": names}, sorted({*BRAND_HANDLES, *BRAND_HANDLES.values()})


def _labelled(name: str) -> tuple[list[str], dict[str, list[str]], list[str]]:
    """Texts, the human label names per labelling (the comparison's name), and brand stop words."""
    if name == "simulated":
        return _simulated()
    if name == "airline":
        texts, labels, brands = labelled_file_read(
            path=DATA / "airline_tweets.csv",
            text_column="text",
            label_column="negativereason",
            brand_column="airline",
            filters=[("airline_sentiment", "negative")],
            excluded_labels=["Can't Tell"],
        )
        return texts, {"reasons": labels}, brands
    if name == "clinc150":
        texts, intents, _ = labelled_file_read(path=DATA / "clinc150.csv", text_column="text", label_column="intent")
        _, domains, _ = labelled_file_read(path=DATA / "clinc150.csv", text_column="text", label_column="domain")
        named = {"intents": [i.replace("_", " ") for i in intents], "domains": [d.replace("_", " ") for d in domains]}
        return texts, named, []
    texts, domains, _ = labelled_file_read(
        path=DATA / "complaints_tweets.csv", text_column="text", label_column="domain", filters=[("complaint", "1")]
    )
    return texts, {"domains": domains}, []


def _mean_cosine(labels: list[str], names: list[str]) -> float:
    vectors = embed_texts(labels)
    targets = embed_texts(names)
    return float(np.mean(np.sum(vectors * targets, axis=1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--embeddings-cache", type=Path, default=None)
    arguments = parser.parse_args()
    figures: dict[str, float] = {}
    print("endava: its tickets carry label codes only (no names to compare a label with): skipped", flush=True)
    for name in arguments.sets.split(","):
        texts, labellings, brands = _labelled(name)
        embeddings = _embeddings(name, texts, arguments.embeddings_cache)
        result = fit(texts=texts, embeddings=embeddings, stop_words=brands, embed_phrases=embed_texts)
        before = [label_from_keywords(cluster.keywords) for cluster in result.clusters]
        after = [cluster.label for cluster in result.clusters]
        print(f"{name}: {len(texts)} docs, {len(result.clusters)} themes", flush=True)
        for labelling, human in labellings.items():
            human = np.asarray(human, dtype=object)
            majority = [
                Counter(human[cluster.member_indices].tolist()).most_common(1)[0][0] for cluster in result.clusters
            ]
            key = name if len(labellings) == 1 else f"{name}_{labelling}"
            figures[f"{key}_before"] = round(_mean_cosine(before, majority), 4)
            figures[f"{key}_after"] = round(_mean_cosine(after, majority), 4)
            print(
                f"  against {labelling}: mean cosine keywords {figures[f'{key}_before']:.4f}, "
                f"phrases {figures[f'{key}_after']:.4f}",
                flush=True,
            )
        first = next(iter(labellings.values()))
        first = np.asarray(first, dtype=object)
        for cluster, old, new in list(zip(result.clusters, before, after, strict=True))[:SHOWN_LABELS]:
            majority = Counter(first[cluster.member_indices].tolist()).most_common(1)[0][0]
            print(f"    [{majority}] {old!r} -> {new!r}", flush=True)
    print(" ".join(f"{key}={value}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
