"""Embedding throughput: our path (cases in the database, through the embed service) against a raw encode call.

Reads analysis texts of airline tweets from ../shared/data/airline_tweets.csv, stores them as cases in
the configured database (DATABASE_URL, or a throwaway SQLite file when unset), times `case_embed_many`
(what case_embed_task runs: read, hash, embed, write back) and a bare `SentenceTransformer.encode` on
the same texts, and prints, last, `ours_docs_per_s=... raw_docs_per_s=... ratio=...`. The benchmark's
cases are deleted after. `--int8` also measures int8 dynamic quantization (speed and closeness to float32).

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
    parser.add_argument("--batch-size", type=int, default=64)
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


def _time_both_paths(
    model, texts: list[str], ids: list[int], *, batch_size: int, repeats: int
) -> tuple[list[float], list[float], Any]:
    """Time a raw encode and `case_embed_many` `repeats` times each, then delete the benchmark's cases.

    Returns (our seconds, raw seconds, the last raw encode's normalized vectors).
    """
    from cases.models import Case
    from cases.services.embedding import case_embed_many

    ours_seconds, raw_seconds = [], []
    raw_vectors = None  # stays None only when repeats is 0, which fails later on min() of no timings
    try:
        for _ in range(repeats):
            started = time.perf_counter()
            raw_vectors = model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            raw_seconds.append(time.perf_counter() - started)

            # Clear the stored embeddings so each timed run of our path embeds every case again.
            Case.objects.filter(id__in=ids).update(
                embedding=None, embedding_model="", embedded_text_hash="", embedded_at=None
            )
            started = time.perf_counter()
            embedded = case_embed_many(case_ids=ids)
            ours_seconds.append(time.perf_counter() - started)
            assert embedded == len(ids), (embedded, len(ids))
    finally:
        Case.objects.filter(id__in=ids).delete()
    return ours_seconds, raw_seconds, raw_vectors


def _print_summary(
    texts: list[str], *, distinct: int, batch_size: int, ours_seconds: list[float], raw_seconds: list[float]
) -> None:
    """Print the run's setting, every timing, and last the `ours_docs_per_s=... ratio=...` line."""
    import torch

    from cases.models import Case

    ours = len(texts) / min(ours_seconds)
    raw = len(texts) / min(raw_seconds)
    print(
        f"texts={len(texts)} distinct_texts={distinct} batch_size={batch_size} "
        f"torch_threads={torch.get_num_threads()} database={Case.objects.db} "
        f"vendor={__import__('django.db', fromlist=['connection']).connection.vendor}"
    )
    print(
        "ours_seconds="
        + ",".join(f"{seconds:.2f}" for seconds in ours_seconds)
        + " raw_seconds="
        + ",".join(f"{seconds:.2f}" for seconds in raw_seconds)
    )
    print(f"ours_docs_per_s={ours:.1f} raw_docs_per_s={raw:.1f} ratio={ours / raw:.3f}")


def main() -> None:
    """Run the benchmark: store the cases, time both paths (and int8 if asked), print the results."""
    arguments = _parse_arguments()
    _setup_django()

    from cases.embedding import embedding_model

    rows = _read_texts(arguments.csv, arguments.limit)
    ids, texts = _store_cases(rows)
    distinct = len(set(texts))
    model = embedding_model()
    model.encode(texts[:64], batch_size=arguments.batch_size, show_progress_bar=False)  # warm-up: first calls allocate

    ours_seconds, raw_seconds, raw_vectors = _time_both_paths(
        model, texts, ids, batch_size=arguments.batch_size, repeats=arguments.repeats
    )
    if arguments.int8:
        _compare_int8(
            model,
            texts,
            raw_vectors,
            batch_size=arguments.batch_size,
            repeats=arguments.repeats,
            raw_seconds=min(raw_seconds),
        )
    _print_summary(
        texts,
        distinct=distinct,
        batch_size=arguments.batch_size,
        ours_seconds=ours_seconds,
        raw_seconds=raw_seconds,
    )


if __name__ == "__main__":
    main()
