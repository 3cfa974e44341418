"""Fault test: the bulk ingest API while its own PostgreSQL cluster is stopped and started again.

A private cluster (initdb, port 5499) serves a real gunicorn; the client retries each batch until it is
answered 200. Every (channel, external_id) must be stored exactly once afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPOSITORY_ROOT
from tests.utils import wait_until

pytestmark = pytest.mark.worker

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
PORT = 5499
HTTP_PORT = 8131
DATABASE_URL = f"postgres://postgres@127.0.0.1:{PORT}/fixloop_outage"
BATCHES = 10
BATCH_SIZE = 50
OUTAGE_AFTER_BATCH = 3


def _as_postgres(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True, text=True)


class PrivateCluster:
    """A throwaway PostgreSQL cluster of this test's own, stopped and started at will."""

    def __init__(self, data: Path) -> None:
        self.data = data

    def start(self) -> None:
        _as_postgres(
            str(POSTGRES_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            f"-p {PORT} -k {self.data} -c listen_addresses=127.0.0.1",
            "-l",
            str(self.data / "server.log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        """An immediate stop: every connection is cut, as in a crash or a failover."""
        _as_postgres(str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")


@pytest.fixture
def private_cluster() -> Iterator[PrivateCluster]:
    if os.geteuid() != 0 or not (POSTGRES_BIN / "initdb").exists() or shutil.which("runuser") is None:
        pytest.skip("a private PostgreSQL cluster needs root, runuser and PostgreSQL 15's initdb")
    data = Path(tempfile.mkdtemp(prefix="fixloop-outage-"))
    shutil.chown(data, "postgres", "postgres")
    _as_postgres(str(POSTGRES_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
    cluster = PrivateCluster(data)
    cluster.start()
    try:
        _as_postgres(str(POSTGRES_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(PORT), "fixloop_outage")
        yield cluster
    finally:
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(POSTGRES_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
        )
        shutil.rmtree(data, ignore_errors=True)


def _server_environment() -> dict[str, str]:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "fixloop-outage-test",
        "HTTPS_ONLY": "0",
        "DATABASE_URL": DATABASE_URL,
        "CASES_EMBED_ON_INGEST": "0",
    }
    environment.pop("CELERY_BROKER_URL", None)  # the ingest's follow-up counts run in process
    return environment


def _manage(*arguments: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments, "--verbosity", "0"],
        cwd=REPOSITORY_ROOT,
        env=_server_environment(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _batch(number: int) -> list[dict]:
    return [
        {
            "external_id": f"outage-{number}-{index}",
            "channel": "twitter",
            "brand": "Parcelly",
            "text": f"@Parcelly parcel {number}-{index} never arrived",
            "received_at": "2026-11-20T09:30:00Z",
        }
        for index in range(BATCH_SIZE)
    ]


def _post(token: str, cases: list[dict]) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{HTTP_PORT}/api/cases/bulk/",
        data=json.dumps({"cases": cases}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Token {token}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, {}


def _stored_keys() -> tuple[int, int]:
    with_rows = _manage(
        "shell",
        "-c",
        "from cases.models import Case; "
        "keys = list(Case.objects.values_list('channel', 'external_id')); "
        "print(len(keys), len(set(keys)))",
    )
    total, distinct = with_rows.split()
    return int(total), int(distinct)


def test_every_case_is_stored_exactly_once_across_a_database_outage(private_cluster):
    _manage("migrate", "--noinput")
    token = _manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; from rest_framework.authtoken.models import Token; "
        "print(Token.objects.create(user=User.objects.create_superuser('ops', '', 'x')).key)",
    ).strip()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{HTTP_PORT}", "--workers", "1"],
        cwd=REPOSITORY_ROOT,
        env=_server_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_until(lambda: _post(token, [])[0] in {200, 400}, timeout=60)
        created = 0
        outage_answers: list[int] = []
        for number in range(BATCHES):
            if number == OUTAGE_AFTER_BATCH:
                private_cluster.stop()
                stopped_at = time.monotonic()
                outage_answers.append(_post(token, _batch(number))[0])
                private_cluster.start()
            answer, body = _post(token, _batch(number))
            retries = 0
            while answer != 200 and retries < 30:
                time.sleep(1)
                retries += 1
                answer, body = _post(token, _batch(number))
            assert answer == 200, body
            created += body["created"]
            if number == OUTAGE_AFTER_BATCH:
                recovered_after = time.monotonic() - stopped_at
        # A client unsure whether its last batches landed sends them again: each is a duplicate now.
        answer, again = _post(token, _batch(OUTAGE_AFTER_BATCH - 1) + _batch(OUTAGE_AFTER_BATCH))
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert outage_answers == [503]
    assert created == BATCHES * BATCH_SIZE
    assert (answer, again["created"], again["duplicates"]) == (200, 0, 2 * BATCH_SIZE)
    assert _stored_keys() == (BATCHES * BATCH_SIZE, BATCHES * BATCH_SIZE)
    print(
        f"ingest_outage cases={BATCHES * BATCH_SIZE} stored={_stored_keys()[0]} "
        f"outage_answer={outage_answers[0]} batch_stored_after_restart_seconds={recovered_after:.1f}"
    )
