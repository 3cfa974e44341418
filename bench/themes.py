"""Theme identity across refits, and how many new cases stay unassigned, on the airline tweets.

Stores 90% of the unique airline tweets (a fixed random split) as embedded cases, runs a clustering run, lets
the other 10% arrive as new cases (`theme_assign_new_cases`: nearest theme above the seam's threshold), then
refits over all of them and measures how many of the old cases kept their theme id. Prints, last:

    stability=... (old cases assigned by the first run whose theme id is the same after the refit; target >= 0.95)
    incremental_unassigned_share=... (new cases that joined no theme on arrival; target <= 0.15)

Embeddings come from .cache/airline_embeddings.npy (bench/airline_data.py computes and caches them once), or, with
--embeddings-npz, from a labelled set's .npz (keys texts and embeddings, e.g. bench/cluster_quality.py's sets).
Runs in a throwaway SQLite file unless DATABASE_URL is set (which must then hold no cases).

    .venv/bin/python bench/themes.py
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent


def _setup_django() -> None:
    sys.path.insert(0, str(REPOSITORY_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "fixloop-bench-only")
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("SQLITE_PATH", str(Path(tempfile.mkdtemp()) / "bench-themes.sqlite3"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _store(data, indices, *, prefix: str) -> list[int]:
    from cases.embedding import EMBEDDING_MODEL_NAME, embedding_to_bytes, text_hash
    from cases.models import Case

    start = datetime.fromisoformat("2015-02-16T00:00:00+00:00")
    cases = [
        Case(
            channel="twitter",
            external_id=f"{prefix}{i}",
            brand=data.airlines[i],
            text=data.texts[i],
            received_at=start + timedelta(minutes=int(i)),
            analysis_text=data.texts[i],
            embedding=embedding_to_bytes(data.embeddings[i]),
            embedding_model=EMBEDDING_MODEL_NAME,
            embedded_text_hash=text_hash(data.texts[i]),
            embedded_at=start + timedelta(days=9),
        )
        for i in indices
    ]
    return [case.pk for case in Case.objects.bulk_create(cases, batch_size=2000)]


def _npz_set(path: Path) -> SimpleNamespace:
    """A set's texts and embeddings from an .npz (no brand: every case's brand is empty)."""
    stored = np.load(path, allow_pickle=True)
    texts = [str(text) for text in stored["texts"]]
    return SimpleNamespace(texts=texts, airlines=[""] * len(texts), embeddings=stored["embeddings"])


def _run(label: str, sticky_margin: float | None):
    from improvement.models import ClusteringRun
    from improvement.themes.services.runs import clustering_run_execute

    run = ClusteringRun.objects.create(trigger=ClusteringRun.Trigger.COMMAND)
    started = time.perf_counter()
    run = clustering_run_execute(run_id=run.pk, sticky_margin=sticky_margin)
    print(
        f"{label}: status={run.status} cases={run.case_count} themes={run.theme_count} new={run.new_theme_count} "
        f"matched={run.matched_theme_count} dormant={run.dormant_theme_count} "
        f"outlier_share={run.outlier_share} seconds={time.perf_counter() - started:.1f} {run.error}"
    )
    if run.status != ClusteringRun.Status.SUCCEEDED:
        raise SystemExit(f"{label} failed: {run.error}")
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="use only the first N tweets (0: all)")
    parser.add_argument("--new-share", type=float, default=0.10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--embeddings-npz", type=Path, default=None, help="texts and embeddings instead of the tweets")
    parser.add_argument(
        "--no-sticky",
        action="store_true",
        help="take the refit's assignments as they are (no STICKY_MARGIN)",
    )
    arguments = parser.parse_args()
    _setup_django()
    sys.path.insert(0, str(REPOSITORY_ROOT / "bench"))
    from airline_data import load_airline

    from cases.models import Case
    from improvement.models import CaseTheme
    from improvement.themes.ml import STICKY_MARGIN
    from improvement.themes.services.assignment import theme_assign_new_cases

    sticky_margin = None if arguments.no_sticky else STICKY_MARGIN

    if Case.objects.exists():
        raise SystemExit("The configured database already holds cases; run against an empty one.")
    data = _npz_set(arguments.embeddings_npz) if arguments.embeddings_npz else load_airline()
    count = arguments.limit or len(data.texts)
    order = np.random.default_rng(arguments.seed).permutation(count)
    new_count = round(count * arguments.new_share)
    old_indices, new_indices = np.sort(order[new_count:]), np.sort(order[:new_count])
    print(f"tweets={count} old={len(old_indices)} new={len(new_indices)}")

    old_ids = _store(data, old_indices, prefix="old-")
    _run("first run (old cases)", sticky_margin)
    before = dict(CaseTheme.objects.filter(case_id__in=old_ids).values_list("case_id", "theme_id"))

    new_ids = _store(data, new_indices, prefix="new-")
    arrival = theme_assign_new_cases(case_ids=new_ids)
    unassigned_share = arrival.unassigned / max(1, arrival.assigned + arrival.unassigned)
    print(f"arrivals: assigned={arrival.assigned} unassigned={arrival.unassigned}")

    refit = _run("refit (old + new cases)", sticky_margin)
    print(
        f"refit parameters: sticky_margin={refit.parameters.get('sticky_margin')} "
        f"sticky_case_count={refit.parameters.get('sticky_case_count')}"
    )
    after = dict(CaseTheme.objects.filter(case_id__in=old_ids).values_list("case_id", "theme_id"))
    assigned_before = [case_id for case_id, theme_id in before.items() if theme_id is not None]
    kept = sum(1 for case_id in assigned_before if after.get(case_id) == before[case_id])
    same_all = sum(1 for case_id in old_ids if after.get(case_id) == before.get(case_id))
    print(f"old cases assigned by the first run: {len(assigned_before)}; kept their theme id: {kept}")
    print(f"old cases with the same theme (or still none): {same_all} of {len(old_ids)}")
    print(f"stability={kept / max(1, len(assigned_before)):.4f} incremental_unassigned_share={unassigned_share:.4f}")


if __name__ == "__main__":
    main()
