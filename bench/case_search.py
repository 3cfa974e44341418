"""Case search latency: the first page of `GET /api/cases/?search=...` over N cases, with and without the GIN index.

Seeds, into the database DATABASE_URL names (use a database of its own; SQLite beside a temporary file when unset),
`--cases` cases whose texts cycle through a vocabulary of real contact texts (the airline tweets and the inbound
Customer Support on Twitter tweets of ../shared/data, about 17,000; no embedding needed), spread over 180 days, 3
brands and 5 channels. On PostgreSQL the rows are generated server-side (the vocabulary goes up with COPY, then
`INSERT ... SELECT FROM generate_series`); on SQLite with a recursive CTE. A database already holding exactly
`--cases` bench cases is reused as it is.

Then runs `--queries` searches (a fixed list of words and phrases a lead types, common and rare, cycled) through the
selector the API and the page use (cases.selectors.case_search on improvement.themes.selectors.case_browse_list),
fetching the first cursor page (51 rows, newest first) as the API does. On PostgreSQL once with the GIN index of
migration cases 0004 (on the stored `search_document`) and once after dropping that index
(`--queries-without-index`, fewer: each may test every row's stored vector), then rebuilds the index and prints
how long that took.

Prints p50/p95/max per run and, last, `p95_ms=<with the index, or SQLite's LIKE> ... cases=<N> vendor=<db>`.

    createdb -h 127.0.0.1 -U postgres bench_search
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_search .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_search nice -n 10 .venv/bin/python bench/case_search.py
    nice -n 10 .venv/bin/python bench/case_search.py --cases 100000          # SQLite
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPOSITORY_ROOT.parent / "shared" / "data"
PREFIX = "bench-search-"
BRANDS = ("acme", "globex", "initech")
CHANNELS = ("twitter", "facebook", "instagram", "chat", "email")
SECONDS = 180 * 24 * 3600
PAGE_ROWS = 51
QUERIES = (
    "refund",
    "lost bag",
    "delayed flight",
    "cancelled",
    "customer service",
    "voucher",
    "wifi",
    "seat",
    "baggage fee",
    "rude",
    "password reset",
    "upgrade",
    '"on hold"',
    "charged twice",
    "broken",
    "zzzunfindable",
)


def _setup_django() -> None:
    sys.path.insert(0, str(REPOSITORY_ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("SECRET_KEY", "fixloop-bench-only")
    os.environ.setdefault("HTTPS_ONLY", "0")
    os.environ["CASES_EMBED_ON_INGEST"] = "0"
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("SQLITE_PATH", str(Path(tempfile.mkdtemp()) / "bench.sqlite3"))
    import django

    django.setup()
    if not os.environ.get("DATABASE_URL"):
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def vocabulary() -> list[str]:
    """Real contact texts: every airline tweet and every inbound Customer Support on Twitter tweet."""
    texts: list[str] = []
    with open(SHARED_DATA / "airline_tweets.csv", encoding="utf-8", newline="") as handle:
        texts.extend(row["text"] for row in csv.DictReader(handle))
    with open(SHARED_DATA / "twcs_head5000.csv", encoding="utf-8", newline="") as handle:
        texts.extend(row["text"] for row in csv.DictReader(handle) if row["inbound"] == "True")
    return [text.replace("\x00", "") for text in texts if text.strip()]


def _bench_count() -> int:
    from cases.models import Case

    return Case.objects.filter(external_id__startswith=PREFIX).count()


def _seed_postgresql(cases: int, texts: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_vocabulary (i integer PRIMARY KEY, text text NOT NULL)")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows(enumerate(texts))
        buffer.seek(0)
        with cursor.copy("COPY bench_vocabulary (i, text) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        cursor.execute(
            """
            INSERT INTO cases_case (channel, external_id, brand, author_handle, text, received_at,
                reply_to_external_id, thread_external_id, raw_payload, ingested_at, analysis_text, embedding_model,
                embedded_text_hash)
            SELECT (%(channels)s::text[])[1 + n %% 5], %(prefix)s || n, (%(brands)s::text[])[1 + (n / 5) %% 3], '',
                   v.text, now() - ((n::bigint * 7919) %% %(seconds)s) * interval '1 second',
                   '', '', '{}'::jsonb, now(), '', '', ''
            FROM generate_series(1, %(cases)s) AS n JOIN bench_vocabulary v ON v.i = n %% %(size)s
            """,
            {
                "channels": list(CHANNELS),
                "brands": list(BRANDS),
                "prefix": PREFIX,
                "seconds": SECONDS,
                "cases": cases,
                "size": len(texts),
            },
        )
        cursor.execute("DROP TABLE bench_vocabulary")
        cursor.execute("ANALYZE cases_case")


def _seed_sqlite(cases: int, texts: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_vocabulary (i integer PRIMARY KEY, text text NOT NULL)")
        cursor.executemany("INSERT INTO bench_vocabulary (i, text) VALUES (%s, %s)", list(enumerate(texts)))
        cursor.execute(
            f"""
            WITH RECURSIVE series(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM series WHERE n < {int(cases)})
            INSERT INTO cases_case (channel, external_id, brand, author_handle, text, received_at,
                reply_to_external_id, thread_external_id, raw_payload, ingested_at, analysis_text, embedding_model,
                embedded_text_hash)
            SELECT CASE n % 5 {" ".join(f"WHEN {i} THEN '{c}'" for i, c in enumerate(CHANNELS))} END,
                   '{PREFIX}' || n,
                   CASE (n / 5) % 3 {" ".join(f"WHEN {i} THEN '{b}'" for i, b in enumerate(BRANDS))} END, '',
                   v.text, datetime('now', '-' || ((n * 7919) % {SECONDS}) || ' seconds'),
                   '', '', '{{}}', datetime('now'), '', '', ''
            FROM series JOIN bench_vocabulary v ON v.i = n % {len(texts)}
            """
        )
        cursor.execute("DROP TABLE bench_vocabulary")
        cursor.execute("ANALYZE")


def seed(cases: int) -> float:
    """Seed `cases` bench cases unless exactly that many are there; returns the seconds it took (0 when reused)."""
    from django.db import connection, transaction

    from cases.models import Case

    if _bench_count() == cases:
        return 0.0
    started = time.perf_counter()
    texts = vocabulary()
    with transaction.atomic():
        Case.objects.filter(external_id__startswith=PREFIX).delete()
        (_seed_postgresql if connection.vendor == "postgresql" else _seed_sqlite)(cases, texts)
    return time.perf_counter() - started


def search_times(queries: int) -> list[float]:
    """Milliseconds per search: the first cursor page of the API's list, each query in turn."""
    from cases.models import Case
    from cases.selectors import case_search
    from improvement.themes.selectors import case_browse_list

    times = []
    for number in range(queries):
        query = QUERIES[number % len(QUERIES)]
        started = time.perf_counter()
        rows = list(case_search(cases=case_browse_list(cases=Case.objects.all()), query=query)[:PAGE_ROWS])
        times.append((time.perf_counter() - started) * 1000)
        del rows
    return times


def _summary(name: str, times: list[float]) -> float:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"{name}: {len(times)} searches, p50 {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms, "
        f"max {ordered[-1]:.1f} ms"
    )
    return p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=160)
    parser.add_argument("--queries-without-index", type=int, default=32)
    args = parser.parse_args()
    if not (SHARED_DATA / "airline_tweets.csv").exists():
        sys.exit(f"{SHARED_DATA} is missing: the bench draws its texts from the shared data sets.")
    _setup_django()
    from django.db import connection

    vendor = connection.vendor
    seconds = seed(args.cases)
    print(f"{vendor}: {args.cases:,} cases ({'reused' if not seconds else f'seeded in {seconds:.1f} s'})")
    search_times(len(QUERIES))  # warm the cache
    with_index = _summary("with the GIN index" if vendor == "postgresql" else "SQLite LIKE", search_times(args.queries))
    figures = f"p95_ms={with_index:.1f}"
    if vendor == "postgresql":
        import importlib

        index_sql = importlib.import_module("cases.migrations.0004_case_search_document")
        with connection.cursor() as cursor:
            cursor.execute(index_sql.DROP)
        try:
            without = _summary("without the index", search_times(args.queries_without_index))
        finally:
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(index_sql.CREATE)
            built = time.perf_counter() - started
        print(f"index rebuilt in {built:.1f} s")
        figures += f" p95_ms_without_index={without:.1f} index_build_s={built:.1f}"
    print(f"{figures} cases={args.cases} vendor={vendor}")


if __name__ == "__main__":
    main()
