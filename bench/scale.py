"""Every stage at scale, on PostgreSQL with real Celery workers: ingest, embed, daily counts, refit, assign, reads.

Runs on a throwaway database created beside the one DATABASE_URL names (dropped afterwards) and starts its own
`celery worker` processes (solo pool, one private queue) on CELERY_BROKER_URL, stopping them at the end:

- ingest: `--cases` N real airline tweets (../shared/data/airline_tweets.csv, copied with fresh ids, each copy
  shifted a day so the cases span months) through POST /api/cases/bulk/ in-process, 5,000 per request.
- daily counts: `daily_volumes_refresh()` over all N cases.
- embed: the first `--embed-cases` M cases (real text) as chunk tasks of `--chunk` ids on the queue, first with
  one worker, then the same cases again with `--workers` K; each worker is warmed (model loaded) before the clock
  and embeds on `--backend` (default the EMBEDDING_BACKEND setting, ONNX Runtime unless set) with `--threads`
  threads (EMBEDDING_THREADS for ONNX, OMP/MKL for torch; 1: one core each, as workers on separate machines would be).
- the other N - M cases get stored synthetic embeddings (a real airline vector from /work/cache/airline.npz or
  ../shared/cache, plus noise): refit, assign and reads at N do not wait for N real embeddings. With
  `--ingest-cases` below N the API gets that many and SQL copies them (vectors included) up to N.
- refit: one clustering run (fit on FIT_SAMPLE_SIZE, all N assigned) executed by a fresh worker; its peak RSS.
- assign: `--assign-cases` cases re-embedded (embedded_at moved on) placed by K workers in chunk tasks; and one
  case at a time in-process (`--samples` times) for the p95 of placing one new case.
- dashboard: GET /dashboards/ and /api/dashboard/executive/ as an executive (bench/dashboard.py's workflow seed).
- search: the case browser's `case_search` (PostgreSQL full text search on its GIN index), newest 50 of a word.

Prints a table and, last, one line of key=value figures (rates in cases/s, times in ms or s, RSS in MiB).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fixloop CELERY_BROKER_URL=redis://127.0.0.1:6379/8 \\
        .venv/bin/python bench/scale.py --cases 10000 --workers 2
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY_ROOT / "bench"))
AIRLINE_CSV = REPOSITORY_ROOT.parent / "shared" / "data" / "airline_tweets.csv"
LOCAL_VECTOR_CACHE = REPOSITORY_ROOT / ".cache" / "scale_airline.npz"
VECTOR_CACHES = (
    Path("/work/cache/airline.npz"),
    REPOSITORY_ROOT.parent / "shared" / "cache" / "airline.npz",
    LOCAL_VECTOR_CACHE,
)
REQUEST_SIZE = 5_000
WRITE_CHUNK = 20_000
SYNTHETIC_EMBEDDED_AT = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
SEARCH_WORDS = ("luggage", "refund", "delayed", "cancelled", "crew", "wifi", "seat", "lost", "gate", "rude")


def _setup_django(queue: str) -> None:
    sys.path.insert(0, str(REPOSITORY_ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("SECRET_KEY", "fixloop-bench-only")
    os.environ.setdefault("HTTPS_ONLY", "0")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
    os.environ["CASES_EMBED_ON_INGEST"] = "0"
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = queue
    if not os.environ.get("DATABASE_URL") or not os.environ.get("CELERY_BROKER_URL"):
        sys.exit("bench/scale.py needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (real workers)")
    import django

    django.setup()


class Workers:
    """`celery worker` processes on the bench's queue (and one private queue each), against the bench database."""

    def __init__(self, *, queue: str, database_url: str, threads: int, backend: str, log_folder: Path) -> None:
        self.queue, self.database_url, self.threads, self.log_folder = queue, database_url, threads, log_folder
        self.backend = backend
        self.processes: list[subprocess.Popen] = []

    def start(self) -> int:
        index = len(self.processes)
        private = f"{self.queue}-w{index}"
        threads = str(self.threads)
        environment = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "EMBEDDING_BACKEND": self.backend,
            "EMBEDDING_THREADS": threads,
            "OMP_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
            "TOKENIZERS_PARALLELISM": "false",
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo"]
        command += ["--queues", f"{self.queue},{private}", "--hostname", f"{private}@bench"]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"]
        log = (self.log_folder / f"{private}.log").open("w")
        self.processes.append(
            subprocess.Popen(command, cwd=REPOSITORY_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        )
        return index

    def send(self, task_name: str, *args, worker: int | None = None) -> None:
        from config.celery_app import app

        queue = self.queue if worker is None else f"{self.queue}-w{worker}"
        app.send_task(task_name, args=list(args), queue=queue)

    def peak_rss_mib(self) -> float:
        """The largest peak resident set (VmHWM) of the running workers."""
        peaks = []
        for process in self.processes:
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
            except FileNotFoundError:
                continue
            peaks += [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM")]
        return max(peaks, default=0.0)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
        self.processes = []


def _wait(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            sys.exit(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.2)


def _airline_items(count: int) -> list[dict]:
    with AIRLINE_CSV.open(newline="", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    items = []
    copy = 0
    while len(items) < count:
        for row in rows:
            received_at = dt.datetime.strptime(row["tweet_created"], "%Y-%m-%d %H:%M:%S %z") + dt.timedelta(
                days=copy % 180
            )
            items.append(
                {
                    "external_id": f"scale-{copy}-{row['tweet_id']}",
                    "channel": "twitter",
                    "brand": row["airline"],
                    "author_handle": row["name"],
                    "text": row["text"],
                    "received_at": received_at.isoformat(),
                }
            )
            if len(items) == count:
                break
        copy += 1
    return items


def stage_ingest(count: int) -> float:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    user = get_user_model().objects.create_superuser("scale-admin", "scale@example.com", "scale-password")
    client = APIClient()
    client.force_authenticate(user)
    items = _airline_items(count)
    bodies = [
        json.dumps({"cases": items[start : start + REQUEST_SIZE]}).encode() for start in range(0, count, REQUEST_SIZE)
    ]
    del items
    # Daily counts are their own stage; ingest's follow-up recount is left out of this one.
    settings.CASES_AFTER_INGEST_TASKS = []
    # Warm up (imports, URL resolution), as a running server would be.
    warm_up = {"external_id": "scale-warm-up", "channel": "twitter", "brand": "United", "text": "warm up",
               "received_at": "2015-02-20T10:00:00+00:00"}  # fmt: skip
    client.post("/api/cases/bulk/", {"cases": [warm_up]}, format="json")
    began = time.perf_counter()
    for body in bodies:
        response = client.post("/api/cases/bulk/", body, content_type="application/json")
        assert response.status_code == 200, response.content[:300]
    return count / (time.perf_counter() - began)


def copy_cases_server_side(total: int) -> float:
    """Grow the stored cases to `total` by copying them in SQL with fresh ids, each copy a day later; seconds taken.

    Their embeddings (synthetic, stored first: writing a million vectors afterwards takes far longer) are copied too.
    """
    from django.db import connection

    from cases.models import Case

    stored = Case.objects.count()
    copies = -(-total // stored) - 1
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_case (channel, external_id, brand, author_handle, text, received_at, "
            "reply_to_external_id, thread_external_id, raw_payload, ingested_at, analysis_text, embedding_model, "
            "embedded_text_hash, embedding, embedded_at) "
            "SELECT channel, external_id || '-copy-' || copy, brand, author_handle, text, "
            "received_at + (copy %% 180) * interval '1 day', reply_to_external_id, thread_external_id, raw_payload, "
            "now(), analysis_text, embedding_model, embedded_text_hash, embedding, embedded_at "
            "FROM cases_case, generate_series(1, %s) AS copy "
            "WHERE cases_case.id <= (SELECT max(id) FROM cases_case) ORDER BY copy, id LIMIT %s",
            [copies, total - stored],
        )
        cursor.execute("ANALYZE cases_case")
    return time.perf_counter() - began


def _embedded_count(ids_upto: int) -> int:
    from cases.models import Case

    return Case.objects.filter(id__lte=ids_upto, embedded_at__isnull=False).count()


def stage_embed(workers: Workers, *, embed_ids: list[int], chunk: int, count: int) -> float:
    """Cases per second for `count` warmed workers embedding `embed_ids` from the queue, chunk tasks of `chunk`."""
    from cases.models import Case

    Case.objects.filter(id__in=embed_ids).update(
        embedding=None, embedding_model="", embedded_text_hash="", embedded_at=None
    )
    last_id = max(embed_ids)
    while len(workers.processes) < count:
        index = workers.start()
        workers.send("cases.case_embed_task", [embed_ids[index]], worker=index)
        # A worker is warm once its one-case task has embedded that case (the model is loaded).
        _wait(
            lambda i=index: Case.objects.filter(id=embed_ids[i], embedded_at__isnull=False).exists(),
            timeout=600,
            what=f"worker {index} to load the model",
        )
    Case.objects.filter(id__in=embed_ids).update(
        embedding=None, embedding_model="", embedded_text_hash="", embedded_at=None
    )
    began = time.perf_counter()
    for start in range(0, len(embed_ids), chunk):
        workers.send("cases.case_embed_task", embed_ids[start : start + chunk])
    _wait(lambda: _embedded_count(last_id) >= len(embed_ids), timeout=3600, what="the embedding backlog")
    return len(embed_ids) / (time.perf_counter() - began)


def _load_vectors():
    import numpy as np

    for path in VECTOR_CACHES:
        if path.exists():
            return np.load(path, allow_pickle=True)["embeddings"].astype(np.float32)
    # None stored yet: embed the airline texts once with the bundled model (about a minute) and keep them.
    from cases.embedding import embed_texts
    from cases.text import analysis_text

    with AIRLINE_CSV.open(newline="", encoding="utf-8") as source:
        texts = [analysis_text(row["text"]) for row in csv.DictReader(source)]
    print(f"embedding {len(texts):,} airline texts once for the synthetic vectors ({LOCAL_VECTOR_CACHE})", flush=True)
    embeddings = embed_texts(texts)
    LOCAL_VECTOR_CACHE.parent.mkdir(exist_ok=True)
    np.savez(LOCAL_VECTOR_CACHE, embeddings=embeddings)
    return embeddings


def fill_synthetic_embeddings(*, embedded_at: dt.datetime) -> int:
    """Store a synthetic vector (a real airline vector plus noise, unit length) in every case not embedded yet."""
    import numpy as np
    from django.db import connection

    from cases.embedding import EMBEDDING_MODEL_NAME
    from cases.models import Case

    base = _load_vectors()
    generator = np.random.default_rng(17)
    ids = list(Case.objects.filter(embedded_at__isnull=True).order_by("id").values_list("id", flat=True))
    for start in range(0, len(ids), WRITE_CHUNK):
        chunk = ids[start : start + WRITE_CHUNK]
        vectors = base[generator.integers(0, len(base), len(chunk))]
        vectors = vectors + generator.normal(0, 0.02, vectors.shape).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cases_case SET embedding = new.vector, embedding_model = %s, embedded_text_hash = 'synthetic', "
                "embedded_at = %s FROM unnest(%s::bigint[], %s::bytea[]) AS new (id, vector) "
                "WHERE cases_case.id = new.id",
                [EMBEDDING_MODEL_NAME, embedded_at, chunk, [vector.astype("<f4").tobytes() for vector in vectors]],
            )
    return len(ids)


def stage_daily_counts(count: int) -> float:
    from improvement.volumes.services import daily_volumes_refresh

    began = time.perf_counter()
    daily_volumes_refresh()
    return count / (time.perf_counter() - began)


def stage_refit(workers: Workers) -> tuple[float, float, str]:
    """Seconds for one clustering run on a fresh worker, that worker's peak RSS in MiB, and the run's status."""
    from django.db import transaction

    from improvement.models import ClusteringRun
    from improvement.themes.services.runs import clustering_run_request

    workers.stop_all()
    workers.start()
    began = time.perf_counter()
    with transaction.atomic():
        run = clustering_run_request(trigger=ClusteringRun.Trigger.COMMAND)
    _wait(
        lambda: ClusteringRun.objects.get(pk=run.pk).status not in ("pending", "running"),
        timeout=3600,
        what="the clustering run",
    )
    seconds = time.perf_counter() - began
    return seconds, workers.peak_rss_mib(), ClusteringRun.objects.get(pk=run.pk).status


def stage_assign(workers: Workers, *, count: int, worker_count: int, chunk: int) -> float:
    """Cases per second for `worker_count` workers placing `count` re-embedded cases in chunk tasks of `chunk`."""
    from django.utils import timezone

    from cases.models import Case
    from improvement.themes.selectors import case_ids_awaiting_theme

    while len(workers.processes) < worker_count:
        workers.start()
    ids = list(Case.objects.order_by("-id").values_list("id", flat=True)[:count])
    Case.objects.filter(id__in=ids).update(embedded_at=timezone.now())
    began = time.perf_counter()
    for start in range(0, len(ids), chunk):
        workers.send("improvement.theme_assign_new_cases_task", ids[start : start + chunk])
    future = timezone.now() + dt.timedelta(days=1)
    _wait(lambda: not case_ids_awaiting_theme(embedded_before=future), timeout=3600, what="the assignment backlog")
    return len(ids) / (time.perf_counter() - began)


def stage_assign_one(samples: int) -> float:
    """p95 milliseconds to place one newly embedded case, in-process."""
    from django.utils import timezone

    from cases.models import Case
    from improvement.themes.services.assignment import theme_assign_new_cases

    ids = list(Case.objects.order_by("id").values_list("id", flat=True)[:samples])
    timings = []
    for case_id in ids:
        Case.objects.filter(id=case_id).update(embedded_at=timezone.now())
        began = time.perf_counter()
        theme_assign_new_cases(case_ids=[case_id])
        timings.append((time.perf_counter() - began) * 1000)
    return _p95(timings)


def stage_dashboard(requests: int) -> float:
    import dashboard

    from improvement.models import Theme
    from improvement.volumes.selectors import volume_window_end

    dashboard._seed_workflow(themes=list(Theme.objects.order_by("-size")[:10]), end=volume_window_end())
    return max(
        _p95(dashboard.measure(path=path, requests=requests)) for path in ("/dashboards/", "/api/dashboard/executive/")
    )


def stage_search(requests: int) -> float:
    from cases.models import Case
    from cases.selectors import case_search

    timings = []
    for index in range(requests):
        began = time.perf_counter()
        word = SEARCH_WORDS[index % len(SEARCH_WORDS)]
        list(case_search(cases=Case.objects.all(), query=word).order_by("-received_at")[:50])
        timings.append((time.perf_counter() - began) * 1000)
    return _p95(timings)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered) + 0.5) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--embed-cases", type=int, default=1_000)
    parser.add_argument("--chunk", type=int, default=100, help="Case ids per embedding task.")
    parser.add_argument("--threads", type=int, default=1, help="Embedding threads per worker.")
    parser.add_argument(
        "--backend", choices=("onnx", "torch"), default=None, help="Embedding backend (default EMBEDDING_BACKEND)."
    )
    parser.add_argument("--assign-cases", type=int, default=5_000)
    parser.add_argument("--assign-chunk", type=int, default=500)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument(
        "--ingest-cases", type=int, default=None, help="Cases through the API (default all); the rest copied in SQL."
    )
    parser.add_argument("--skip-embed", action="store_true", help="No real embedding: every case synthetic.")
    parser.add_argument("--requests", type=int, default=20)
    arguments = parser.parse_args()
    queue = f"fixloop-scale-{uuid.uuid4().hex[:8]}"
    _setup_django(queue)
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    database_url = urlunsplit(
        urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"])
    )
    log_folder = REPOSITORY_ROOT / "test-artifacts" / "scale"
    log_folder.mkdir(parents=True, exist_ok=True)
    from cases.embedding import embedding_backend

    backend = arguments.backend or embedding_backend()
    workers = Workers(
        queue=queue, database_url=database_url, threads=arguments.threads, backend=backend, log_folder=log_folder
    )
    figures: dict[str, float | str] = {"cases": arguments.cases, "workers": arguments.workers, "backend": backend}
    try:
        print(
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; worker logs in {log_folder}", flush=True
        )
        ingest_cases = min(arguments.ingest_cases or arguments.cases, arguments.cases)
        figures["ingest_cases"] = ingest_cases
        figures["ingest_per_s"] = stage_ingest(ingest_cases)
        print(f"ingest: {ingest_cases:,} cases, {figures['ingest_per_s']:,.0f} cases/s", flush=True)
        if ingest_cases < arguments.cases:
            fill_synthetic_embeddings(embedded_at=SYNTHETIC_EMBEDDED_AT)
            seconds = copy_cases_server_side(arguments.cases)
            print(f"copied to {arguments.cases:,} cases in SQL in {seconds:.1f}s", flush=True)
        figures["daily_counts_per_s"] = stage_daily_counts(arguments.cases)
        print(f"daily counts: {figures['daily_counts_per_s']:,.0f} cases/s", flush=True)
        from cases.models import Case

        embed_ids = list(Case.objects.order_by("id").values_list("id", flat=True)[: arguments.embed_cases])
        many = f"embed_{arguments.workers}w_per_s"
        figures["embed_1w_per_s"] = figures[many] = figures["embed_speedup"] = figures["embed_worker_rss_mib"] = 0.0
        if not arguments.skip_embed:
            figures["embed_1w_per_s"] = stage_embed(workers, embed_ids=embed_ids, chunk=arguments.chunk, count=1)
            print(f"embed, 1 worker: {figures['embed_1w_per_s']:,.1f} cases/s", flush=True)
            figures[many] = stage_embed(workers, embed_ids=embed_ids, chunk=arguments.chunk, count=arguments.workers)
            figures["embed_speedup"] = figures[many] / figures["embed_1w_per_s"]
            figures["embed_worker_rss_mib"] = workers.peak_rss_mib()
        print(
            f"embed, {arguments.workers} workers: {figures[f'embed_{arguments.workers}w_per_s']:,.1f} cases/s",
            flush=True,
        )
        began = time.perf_counter()
        synthetic = fill_synthetic_embeddings(embedded_at=SYNTHETIC_EMBEDDED_AT)
        print(f"stored {synthetic:,} synthetic embeddings in {time.perf_counter() - began:.1f}s", flush=True)
        figures["refit_s"], figures["refit_worker_rss_mib"], status = stage_refit(workers)
        figures["refit_per_s"] = arguments.cases / figures["refit_s"]
        print(f"refit: {figures['refit_s']:.1f}s, {status}, worker peak RSS {figures['refit_worker_rss_mib']:,.0f} MiB")
        figures["assign_per_s"] = stage_assign(
            workers,
            count=min(arguments.assign_cases, arguments.cases),
            worker_count=arguments.workers,
            chunk=arguments.assign_chunk,
        )
        figures["assign_worker_rss_mib"] = workers.peak_rss_mib()
        figures["assign_one_p95_ms"] = stage_assign_one(arguments.samples)
        print(f"assign: {figures['assign_per_s']:,.0f} cases/s; one case p95 {figures['assign_one_p95_ms']:.1f} ms")
        figures["dashboard_p95_ms"] = stage_dashboard(arguments.requests)
        figures["search_p95_ms"] = stage_search(arguments.requests)
    finally:
        workers.stop_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    rows = [
        (f"ingest (bulk API, {figures['ingest_cases']:,} real)", f"{figures['ingest_per_s']:,.0f} cases/s"),
        ("daily counts (full recount)", f"{figures['daily_counts_per_s']:,.0f} cases/s"),
        (f"embed, 1 worker ({arguments.embed_cases:,} real)", f"{figures['embed_1w_per_s']:,.1f} cases/s"),
        (
            f"embed, {arguments.workers} workers",
            f"{figures[f'embed_{arguments.workers}w_per_s']:,.1f} cases/s ({figures['embed_speedup']:.2f}x)",
        ),
        ("refit (synthetic beyond the embedded)", f"{figures['refit_s']:.1f} s, {figures['refit_per_s']:,.0f} cases/s"),
        (f"assign, {arguments.workers} workers", f"{figures['assign_per_s']:,.0f} cases/s"),
        ("assign one case", f"p95 {figures['assign_one_p95_ms']:.1f} ms"),
        ("executive dashboard", f"p95 {figures['dashboard_p95_ms']:.1f} ms"),
        ("case search (full text, case_search)", f"p95 {figures['search_p95_ms']:.1f} ms"),
        (
            "worker peak RSS",
            f"embed {figures['embed_worker_rss_mib']:,.0f} MiB, refit "
            f"{figures['refit_worker_rss_mib']:,.0f} MiB, assign {figures['assign_worker_rss_mib']:,.0f} MiB",
        ),
    ]
    print(
        f"\nN = {arguments.cases:,} cases, {arguments.workers} workers, {backend} embedding, "
        f"{arguments.threads} thread(s) each"
    )
    for name, value in rows:
        print(f"  {name:<44} {value}")
    print(
        " ".join(
            f"{key}={value:.2f}"
            if key == "embed_speedup"
            else f"{key}={value:.1f}"
            if isinstance(value, float)
            else f"{key}={value}"
            for key, value in figures.items()
        )
    )


if __name__ == "__main__":
    main()
