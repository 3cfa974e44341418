"""Ingest throughput: the bulk API and the CSV import, embedding excluded.

Runs on a throwaway test database created beside the one DATABASE_URL names (PostgreSQL; a temporary
SQLite file when unset) and dropped afterwards, with CASES_EMBED_ON_INGEST=0 so no embedding is queued.
The cases are the airline tweets of ../shared/data/airline_tweets.csv, copied `--copies` times with fresh ids.

- API: POST /api/cases/bulk/ through DRF's test client (in-process, the full view, serializer, service and
  database path), 5,000 cases per request; the JSON bodies are encoded before the clock starts.
- CSV: `case_import_file` on an airline-format file of the same copies (streamed, batches of 2,000).

Prints, last, `api_cases_per_s=... csv_cases_per_s=...` and a line per path with `cases_per_s=...`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fixloop .venv/bin/python bench/ingest.py --copies 4
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CSV = REPOSITORY_ROOT.parent / "shared" / "data" / "airline_tweets.csv"
REQUEST_SIZE = 5_000


def _setup_django() -> None:
    sys.path.insert(0, str(REPOSITORY_ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("SECRET_KEY", "fixloop-bench-only")
    os.environ["CASES_EMBED_ON_INGEST"] = "0"
    os.environ.setdefault("HTTPS_ONLY", "0")
    if not os.environ.get("DATABASE_URL"):
        os.environ.setdefault("SQLITE_PATH", str(Path(tempfile.mkdtemp()) / "bench.sqlite3"))
    import django

    django.setup()


def _airline_rows(path: Path, copies: int, prefix: str) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    copied = []
    for copy in range(copies):
        for row in rows:
            copied.append({**row, "tweet_id": f"{prefix}{copy}-{row['tweet_id']}"})
    return copied


def _api_items(rows: list[dict[str, str]]) -> list[dict]:
    import datetime

    items = []
    for row in rows:
        received_at = datetime.datetime.strptime(row["tweet_created"], "%Y-%m-%d %H:%M:%S %z")
        items.append(
            {
                "external_id": row["tweet_id"],
                "channel": "twitter",
                "brand": row["airline"],
                "author_handle": row["name"],
                "text": row["text"],
                "received_at": received_at.isoformat(),
                "raw_payload": row,
            }
        )
    return items


def bench_api(rows: list[dict[str, str]]) -> tuple[int, int, float]:
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    user = get_user_model().objects.create_superuser("bench-admin", "bench@example.com", "bench-password")
    client = APIClient()
    client.force_authenticate(user)
    items = _api_items(rows)
    bodies = [
        json.dumps({"cases": items[start : start + REQUEST_SIZE]}).encode()
        for start in range(0, len(items), REQUEST_SIZE)
    ]
    # Warm up (imports, URL resolution, first connection), as a running server would be.
    warm_up = {**items[0], "external_id": "warm-up"}
    client.post("/api/cases/bulk/", {"cases": [warm_up]}, format="json")
    created = duplicates = 0
    started = time.perf_counter()
    for body in bodies:
        response = client.post("/api/cases/bulk/", body, content_type="application/json")
        assert response.status_code == 200, response.content[:500]
        created += response.json()["created"]
        duplicates += response.json()["duplicates"]
    return created, duplicates, time.perf_counter() - started


def bench_csv(rows: list[dict[str, str]]) -> tuple[int, int, float]:
    from cases.services.file_import import case_import_file

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "airline_copies.csv"
        with path.open("w", newline="", encoding="utf-8") as target:
            writer = csv.DictWriter(target, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        started = time.perf_counter()
        summary = case_import_file(path=path, file_format="airline")
        elapsed = time.perf_counter() - started
    return summary.created, summary.duplicates, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--copies", type=int, default=4, help="Copies of the airline file, each with fresh ids.")
    arguments = parser.parse_args()
    _setup_django()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        print(
            f"database: {connection.vendor} {connection.settings_dict['NAME']}; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        api_rows = _airline_rows(arguments.csv, arguments.copies, "api-")
        created, duplicates, elapsed = bench_api(api_rows)
        api_rate = len(api_rows) / elapsed
        print(
            f"api: {len(api_rows):,} cases in {elapsed:.2f}s, created {created:,}, duplicates {duplicates:,}, "
            f"cases_per_s={api_rate:,.0f}"
        )
        csv_rows = _airline_rows(arguments.csv, arguments.copies, "csv-")
        created, duplicates, elapsed = bench_csv(csv_rows)
        csv_rate = len(csv_rows) / elapsed
        print(
            f"csv: {len(csv_rows):,} rows in {elapsed:.2f}s, created {created:,}, duplicates {duplicates:,}, "
            f"cases_per_s={csv_rate:,.0f}"
        )
        print(f"api_cases_per_s={api_rate:.0f} csv_cases_per_s={csv_rate:.0f}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
