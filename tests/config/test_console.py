"""The console of an eager run (`make run`): no line per task, no broker warning."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings

from core.jobs import registered_task

pytestmark = pytest.mark.skipif(
    bool(settings.CELERY_BROKER_URL), reason="with a broker, the worker's per-task lines are wanted"
)


def test_an_eager_task_logs_no_line_of_its_own_and_no_missing_hostname_warning(db, caplog):
    caplog.set_level(logging.DEBUG)

    result = registered_task("cases.case_embed_pending_task").delay()

    assert result.get() == 0
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.INFO] == []


def test_eager_settings_name_an_in_memory_broker_host_and_quiet_the_task_trace():
    assert settings.CELERY_BROKER_WRITE_URL == "memory://localhost/"
    assert settings.LOGGING["loggers"]["celery.app.trace"] == {"level": "WARNING"}
