"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
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
