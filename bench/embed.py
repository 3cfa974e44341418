"""Embedding throughput: our path (cases in the database, through the embed service) against a raw encode call.

Reads analysis texts of airline tweets from ../shared/data/airline_tweets.csv, stores them as cases in
the configured database (DATABASE_URL, or a throwaway SQLite file when unset), and times, alternating which
goes first in each repeat so that load from other work hits both alike: `case_embed_many` (what
case_embed_task runs: read, hash, embed with the configured EMBEDDING_BACKEND, write back), our embedding
alone (`embed_texts`, so the rest is the service's own read/hash/write cost), and a bare
`SentenceTransformer.encode` on the same texts. It then compares our vectors with sentence-transformers'
on the first `--cosine-texts` texts, and prints, last,
`ours_docs_per_s=... raw_docs_per_s=... ratio=... min_cosine=...`. The benchmark's cases are deleted
after. `--int8` also measures int8 dynamic quantization (speed and closeness to float32).

    .venv/bin/python bench/embed.py --limit 3000 --repeats 2 [--int8]
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CSV = REPOSITORY_ROOT.parent / "shared" / "data" / "airline_tweets.csv"
EXTERNAL_ID_PREFIX = "bench-embed-"


def _setup_django() -> None:
    sys.path.insert(0, str(REPOSITORY_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "fixloop-bench-only")
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("SQLITE_PATH", str(Path(tempfile.mkdtemp()) / "bench.sqlite3"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _read_texts(path: Path, limit: int) -> list[tuple[str, str, str]]:
    """(tweet id, airline, raw text) of the first `limit` rows."""
    with path.open(newline="", encoding="utf-8") as file:
        rows = []
        for row in csv.DictReader(file):
            rows.append((row["tweet_id"], row["airline"], row["text"]))
            if len(rows) == limit:
                break
    return rows


def _compare_int8(model, texts: list[str], float_vectors, *, batch_size: int, repeats: int, raw_seconds: float) -> None:
    """Time int8 dynamic quantization of the Linear layers and print how close its vectors stay to float32."""
    import copy

    import numpy as np
    import torch

    quantized = torch.quantization.quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear}, dtype=torch.qint8)
    quantized.encode(texts[:64], batch_size=batch_size, show_progress_bar=False)
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        int8_vectors = quantized.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        seconds.append(time.perf_counter() - started)
    cosine = (int8_vectors * float_vectors).sum(axis=1)
    neighbours = 10
    float_similarity = float_vectors @ float_vectors.T
    int8_similarity = int8_vectors @ int8_vectors.T
    np.fill_diagonal(float_similarity, -2)
    np.fill_diagonal(int8_similarity, -2)
    float_top = np.argpartition(-float_similarity, neighbours, axis=1)[:, :neighbours]
    int8_top = np.argpartition(-int8_similarity, neighbours, axis=1)[:, :neighbours]
    overlap = np.mean([len(set(a) & set(b)) / neighbours for a, b in zip(float_top, int8_top, strict=True)])
    print(
        f"int8_docs_per_s={len(texts) / min(seconds):.1f} int8_speedup_over_raw={raw_seconds / min(seconds):.2f} "
        f"int8_cosine_to_float32_mean={cosine.mean():.4f} int8_cosine_min={cosine.min():.4f} "
        f"int8_top{neighbours}_neighbour_overlap={overlap:.3f}"
    )


def _parse_arguments() -> argparse.Namespace:
    """The command line: which CSV, how many texts, how many timed runs, the batch size, and `--int8`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--limit", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=2, help="Timed runs of each path; the best is reported.")
    parser.add_argument("--batch-size", type=int, default=64, help="Texts per batch of the raw encode.")
    parser.add_argument("--cosine-texts", type=int, default=1000, help="Texts compared with the torch vectors.")
    parser.add_argument(
        "--int8",
        action="store_true",
        help="Also time a raw encode with int8 dynamic quantization and compare its vectors with float32.",
    )
    return parser.parse_args()


def _store_cases(rows: list[tuple[str, str, str]]) -> tuple[list[int], list[str]]:
    """Store the rows as the benchmark's cases (replacing any left over); returns their ids and analysis texts."""
    from django.utils import timezone

    from cases.models import Case
    from cases.text import analysis_text

    Case.objects.filter(external_id__startswith=EXTERNAL_ID_PREFIX).delete()
    now = timezone.now()
    cases = Case.objects.bulk_create(
        [
            Case(
                channel="twitter",
                external_id=f"{EXTERNAL_ID_PREFIX}{tweet_id}-{index}",
                brand=airline,
                text=text,
                analysis_text=analysis_text(text, brand_names=[airline]),
                received_at=now,
            )
            for index, (tweet_id, airline, text) in enumerate(rows)
        ],
        batch_size=1000,
    )
    ids = list(Case.objects.filter(external_id__startswith=EXTERNAL_ID_PREFIX).values_list("id", flat=True))
    return ids, [case.analysis_text for case in cases]


def _time_paths(
    model, texts: list[str], ids: list[int], *, batch_size: int, repeats: int
) -> tuple[dict[str, list[float]], Any]:
    """Time a raw encode, `case_embed_many` and `embed_texts` `repeats` times each, then delete the benchmark's cases.

    The order rotates each repeat, so a burst of load from other work does not fall on one path only. Returns
    the seconds of each path ("raw", "ours", "embed_only") and the last raw encode's normalized vectors.
    """
    from cases.embedding import embed_texts
    from cases.models import Case
    from cases.services.embedding import case_embed_many

    seconds: dict[str, list[float]] = {"raw": [], "ours": [], "embed_only": []}
    raw_vectors = None  # stays None only when repeats is 0, which fails later on min() of no timings

    def raw() -> None:
        nonlocal raw_vectors
        raw_vectors = model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )

    def ours() -> None:
        embedded = case_embed_many(case_ids=ids)
        assert embedded == len(ids), (embedded, len(ids))

    def embed_only() -> None:
        embed_texts(list(dict.fromkeys(texts)))

    paths = [("raw", raw), ("ours", ours), ("embed_only", embed_only)]
    try:
        for repeat in range(repeats):
            for name, run in paths[repeat % 3 :] + paths[: repeat % 3]:
                # Clear the stored embeddings so each timed run of our path embeds every case again.
                Case.objects.filter(id__in=ids).update(
                    embedding=None, embedding_model="", embedded_text_hash="", embedded_at=None
                )
                started = time.perf_counter()
                run()
                seconds[name].append(time.perf_counter() - started)
    finally:
        Case.objects.filter(id__in=ids).delete()
    return seconds, raw_vectors


def _min_cosine(texts: list[str], raw_vectors) -> float:
    """The smallest cosine between our vector and sentence-transformers' for the same text."""
    from cases.embedding import embed_texts

    ours = embed_texts(texts)
    return float((ours * raw_vectors[: len(texts)]).sum(axis=1).min())


def _print_summary(
    texts: list[str], *, distinct: int, batch_size: int, seconds: dict[str, list[float]], min_cosine: float
) -> None:
    """Print the run's setting, every timing, the service's own share, and last the `ours_docs_per_s=...` line."""
    import torch
    from django.db import connection

    from cases.embedding import embedding_backend

    ours = len(texts) / min(seconds["ours"])
    raw = len(texts) / min(seconds["raw"])
    overhead = 1 - min(seconds["embed_only"]) / min(seconds["ours"])
    print(
        f"texts={len(texts)} distinct_texts={distinct} raw_batch_size={batch_size} backend={embedding_backend()} "
        f"torch_threads={torch.get_num_threads()} vendor={connection.vendor} cpus={os.cpu_count()} "
        f"load_average_1m={os.getloadavg()[0]:.1f}"
    )
    timings = (f"{name}_seconds=" + ",".join(f"{value:.2f}" for value in values) for name, values in seconds.items())
    print(" ".join(timings))
    print(f"service_overhead_share={overhead:.3f} (read, hash and write-back, of our path's best time)")
    print(f"ours_docs_per_s={ours:.1f} raw_docs_per_s={raw:.1f} ratio={ours / raw:.3f} min_cosine={min_cosine:.6f}")


def main() -> None:
    """Run the benchmark: store the cases, time both paths (and int8 if asked), print the results."""
    arguments = _parse_arguments()
    _setup_django()

    from cases.embedding import embed_texts, embedding_model

    rows = _read_texts(arguments.csv, arguments.limit)
    ids, texts = _store_cases(rows)
    distinct = len(set(texts))
    model = embedding_model()
    # Warm-up: first calls allocate (and the ONNX backend exports the model when it has no cached export yet).
    model.encode(texts[:64], batch_size=arguments.batch_size, show_progress_bar=False)
    embed_texts(texts[:64])

    seconds, raw_vectors = _time_paths(model, texts, ids, batch_size=arguments.batch_size, repeats=arguments.repeats)
    min_cosine = _min_cosine(texts[: arguments.cosine_texts], raw_vectors)
    if arguments.int8:
        _compare_int8(
            model,
            texts,
            raw_vectors,
            batch_size=arguments.batch_size,
            repeats=arguments.repeats,
            raw_seconds=min(seconds["raw"]),
        )
    _print_summary(texts, distinct=distinct, batch_size=arguments.batch_size, seconds=seconds, min_cosine=min_cosine)


if __name__ == "__main__":
    main()
