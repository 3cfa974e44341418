"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from tests.factories import DepartmentOwnerFactory, ExecutiveFactory, StaffAdminFactory, TeamLeadFactory

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPOSITORY_ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def fresh_throttle_counts() -> None:
    """Each test starts with no API requests counted against the throttles (they count in the default cache)."""
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def team_lead(db):
    return TeamLeadFactory(username="lead-user")


@pytest.fixture
def executive(db):
    return ExecutiveFactory(username="exec-user")


@pytest.fixture
def department_owner(db):
    return DepartmentOwnerFactory(username="owner-user")


@pytest.fixture
def staff_admin(db):
    return StaffAdminFactory(username="admin-user")


@pytest.fixture
def shared_data() -> Path:
    """The folder of real data sets laid beside the checkout: skipped without it, except in CI where it must be."""
    if not SHARED_DATA.is_dir():
        message = f"{SHARED_DATA} is missing: the real-data tests need ../shared/data beside the checkout"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_DATA


def _database_url_for_test_database() -> str:
    """DATABASE_URL pointing at the database pytest-django created for this run."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def celery_worker_process(transactional_db) -> Iterator[Callable[..., None]]:
    """Start a real `celery worker` process on a private queue against the test database.

    Yields `send(task_name, *args)`, which puts a task on that queue through the broker. Needs
    PostgreSQL and a broker (DATABASE_URL and CELERY_BROKER_URL); skipped on the embedded default,
    whose in-memory test database no other process can see.
    """
    if not settings.CELERY_BROKER_URL or connection.vendor != "postgresql":
        pytest.skip("a real worker needs CELERY_BROKER_URL and a PostgreSQL DATABASE_URL")
    from config.celery_app import app as celery_app

    queue = f"fixloop-test-{uuid.uuid4().hex[:12]}"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "fixloop-worker-test",
        "DATABASE_URL": _database_url_for_test_database(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    log_path = REPOSITORY_ROOT / "test-artifacts" / f"{queue}.log"
    log_path.parent.mkdir(exist_ok=True)
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "--queues",
                queue,
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=REPOSITORY_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def send(task_name: str, *args) -> None:
        celery_app.send_task(task_name, args=list(args), queue=queue)

    try:
        yield send
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        print(f"worker log: {log_path}\n{log_path.read_text()[-3000:]}")


@dataclass
class WorkerPool:
    """Real `celery worker` processes on one private queue, against the test database, to start and kill -9."""

    queue: str
    environment: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)
    log_paths: list[Path] = field(default_factory=list)

    def start(self, *, beat: bool = False, **overrides: str) -> subprocess.Popen:
        """Start one more worker (with `beat`, running the beat schedule too); `overrides` are environment variables."""
        log_path = REPOSITORY_ROOT / "test-artifacts" / f"{self.queue}-{len(self.processes)}.log"
        log_path.parent.mkdir(exist_ok=True)
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--queues", self.queue]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel", "INFO"]
        if beat:
            command += ["--beat", "--schedule", str(log_path.with_suffix(".beat"))]
        with log_path.open("w") as log:
            process = subprocess.Popen(
                command,
                cwd=REPOSITORY_ROOT,
                env={**self.environment, **overrides},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        self.log_paths.append(log_path)
        return process

    def send(self, task_name: str, *args) -> None:
        from config.celery_app import app as celery_app

        celery_app.send_task(task_name, args=list(args), queue=self.queue)

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL, as a crash or the OOM killer would: no cleanup, no acknowledgement."""
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def returned(self, task_name: str) -> list[str]:
        """The return values the workers logged for that task, in log order (a killed task logs none)."""
        pattern = re.compile(rf"Task {re.escape(task_name)}\[[^\]]+\] succeeded in [0-9.]+s: (.*)$")
        return [
            match.group(1)
            for log_path in self.log_paths
            for line in log_path.read_text().splitlines()
            if (match := pattern.search(line))
        ]

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=30)


@pytest.fixture
def celery_workers(transactional_db) -> Iterator[WorkerPool]:
    """A WorkerPool on a private queue (also its default queue, so follow-ups and beat's tasks stay on it).

    Needs PostgreSQL and a broker, like celery_worker_process; every worker still alive is stopped afterwards.
    """
    if not settings.CELERY_BROKER_URL or connection.vendor != "postgresql":
        pytest.skip("real workers need CELERY_BROKER_URL and a PostgreSQL DATABASE_URL")
    queue = f"fixloop-test-{uuid.uuid4().hex[:12]}"
    pool = WorkerPool(
        queue=queue,
        environment={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "fixloop-worker-test",
            "DATABASE_URL": _database_url_for_test_database(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_DEFAULT_QUEUE": queue,
        },
    )
    try:
        yield pool
    finally:
        pool.stop_all()
        for log_path in pool.log_paths:
            print(f"worker log: {log_path}\n{log_path.read_text()[-3000:]}")
