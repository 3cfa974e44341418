"""Crash-recovery settings: the broker redelivers a dead worker's task before long, never a live one's."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

from config.celery_app import app as celery_app
from core.jobs import registered_task
from tests.conftest import REPOSITORY_ROOT


def _our_tasks() -> dict:
    registered_task("cases.case_embed_task")  # imports every app's tasks
    return {name: task for name, task in celery_app.tasks.items() if not name.startswith("celery.")}


def test_the_visibility_timeout_is_half_an_hour_and_reaches_the_broker():
    assert settings.CELERY_BROKER_VISIBILITY_TIMEOUT == 1800
    assert celery_app.conf.broker_transport_options["visibility_timeout"] == 1800


def test_every_task_is_killed_before_the_broker_would_deliver_it_again():
    too_long = {
        name: task.time_limit
        for name, task in _our_tasks().items()
        if (task.time_limit or settings.CELERY_TASK_TIME_LIMIT) >= settings.CELERY_BROKER_VISIBILITY_TIMEOUT
    }

    assert too_long == {}
    assert settings.CELERY_TASK_TIME_LIMIT < settings.CELERY_BROKER_VISIBILITY_TIMEOUT


def test_the_beat_schedule_sweeps_for_lost_work_every_two_minutes():
    sweeps = {
        name: (entry["task"], entry["schedule"])
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if name in {"cases-embedding-backlog", "themes-assignment-backlog", "themes-stale-clustering-runs"}
    }

    assert sweeps == {
        "cases-embedding-backlog": ("cases.case_embed_backlog_task", 120),
        "themes-assignment-backlog": ("improvement.theme_assign_backlog_task", 120),
        "themes-stale-clustering-runs": ("improvement.clustering_run_fail_stale_task", 120),
    }
    assert {task for task, _ in sweeps.values()} <= set(_our_tasks())


def test_a_heartbeat_timeout_shorter_than_three_heartbeats_is_refused():
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=REPOSITORY_ROOT,
        env={
            **os.environ,
            "SECRET_KEY": "x",
            "CLUSTERING_RUN_HEARTBEAT_SECONDS": "30",
            "CLUSTERING_RUN_HEARTBEAT_TIMEOUT_SECONDS": "60",
        },
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert "CLUSTERING_RUN_HEARTBEAT_TIMEOUT_SECONDS must be at least 3 heartbeats long." in result.stderr
