"""The Makefile targets the README shows: `make import`, `make manage`, `make reset` (run for real on temp SQLite)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def make(*arguments: str, tmp_path: Path, **environment: str) -> subprocess.CompletedProcess:
    # An up-to-date stamp of our own: the targets must not reinstall into (or write to) the shared .venv.
    stamp = tmp_path / "installed-requirements"
    if not stamp.exists():
        shutil.copy(REPOSITORY_ROOT / "requirements.txt", stamp)
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(environment)
    return subprocess.run(
        ["make", "--no-print-directory", *arguments, f"STAMP={stamp}"],
        cwd=REPOSITORY_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_make_import_without_a_file_prints_its_usage_and_fails(tmp_path):
    result = make("import", tmp_path=tmp_path)

    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        'usage: make import FILE=contacts.csv FORMAT=generic|airline|twcs [ARGS="--map text=body,received_at=created '
        '--brand B --channel email --encoding cp1252"]'
    )


def test_make_import_runs_import_cases_with_the_key_the_venv_and_the_arguments(tmp_path):
    result = make("-n", "import", "FILE=export.csv", "FORMAT=twcs", "ARGS=--brand Parcelly", tmp_path=tmp_path)

    assert result.stdout.splitlines()[-1] == (
        'export SECRET_KEY="$(cat .secret_key)" HTTPS_ONLY=${HTTPS_ONLY:-0}; '
        '.venv/bin/python manage.py import_cases "export.csv" --format twcs --brand Parcelly'
    )


@pytest.mark.slow
def test_make_import_loads_a_tiny_file_into_a_temp_sqlite_database(tmp_path):
    database = str(tmp_path / "fixloop.sqlite3")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "external_id,text,received_at,channel,brand\n"
        "g1,my parcel never arrived,2026-11-20T09:30:00Z,chat,Parcelly\n"
        "b1,,2026-11-20T09:31:00Z,chat,Parcelly\n",
        encoding="utf-8",
    )
    migrated = make("manage", "ARGS=migrate --noinput -v 0", tmp_path=tmp_path, SQLITE_PATH=database)
    assert migrated.returncode == 0, migrated.stderr

    result = make(
        "import",
        f"FILE={contacts}",
        "FORMAT=generic",
        "ARGS=--no-embed -v 0",
        tmp_path=tmp_path,
        SQLITE_PATH=database,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "rows in the file: 2 (read: 2; unreadable: 0); created: 1; duplicates: 0; rejected: 1",
        "  line 3: text is required",
    ]


def test_make_reset_deletes_the_sqlite_file_and_says_what_next(tmp_path):
    database = tmp_path / "fixloop.sqlite3"
    database.write_bytes(b"")

    result = make("reset", tmp_path=tmp_path, SQLITE_PATH=str(database))

    assert result.returncode == 0
    assert result.stdout == f"Deleted {database}; the next make run migrates it and seeds the demo again.\n"
    assert not database.exists()


def test_make_reset_refuses_a_postgresql_database_saying_how_to_start_over(tmp_path):
    result = make("reset", tmp_path=tmp_path, DATABASE_URL="postgres://postgres@127.0.0.1:5432/fixloop")

    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "make reset deletes the SQLite file only; with DATABASE_URL set, drop and recreate that database "
        "(dropdb NAME && createdb NAME), then make run"
    )
