from __future__ import annotations

import os
import subprocess
import sys

import pytest

from config.env import env_bool, env_int, env_list, env_str
from tests.conftest import REPOSITORY_ROOT


def test_env_helpers_fall_back_to_defaults_when_unset(monkeypatch):
    monkeypatch.delenv("FIXLOOP_UNSET", raising=False)

    assert env_str("FIXLOOP_UNSET", "x") == "x"
    assert env_bool("FIXLOOP_UNSET", True) is True
    assert env_int("FIXLOOP_UNSET", 7) == 7
    assert env_list("FIXLOOP_UNSET", ["a"]) == ["a"]


def test_env_helpers_parse_values(monkeypatch):
    monkeypatch.setenv("FIXLOOP_FLAG", "Off")
    monkeypatch.setenv("FIXLOOP_NUMBER", " 42 ")
    monkeypatch.setenv("FIXLOOP_HOSTS", "a.example.com, ,b.example.com")

    assert env_bool("FIXLOOP_FLAG", True) is False
    assert env_int("FIXLOOP_NUMBER", 0) == 42
    assert env_list("FIXLOOP_HOSTS", []) == ["a.example.com", "b.example.com"]


def test_env_bool_rejects_a_value_that_is_not_a_boolean(monkeypatch):
    monkeypatch.setenv("FIXLOOP_FLAG", "maybe")

    with pytest.raises(ValueError, match="FIXLOOP_FLAG must be a boolean"):
        env_bool("FIXLOOP_FLAG")


def _settings_process(**environment: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DEBUG, settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER)",
        ],
        cwd=REPOSITORY_ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_settings_refuse_to_start_without_secret_key_when_debug_is_off():
    result = _settings_process(CELERY_BROKER_URL="")

    assert result.returncode == 1
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_settings_default_to_sqlite_eager_and_debug_off():
    result = _settings_process(SECRET_KEY="k", CELERY_BROKER_URL="")

    assert result.stdout.strip() == "False django.db.backends.sqlite3 True"


def test_settings_switch_to_postgresql_and_a_real_broker_from_the_environment():
    result = _settings_process(
        SECRET_KEY="k", DATABASE_URL="postgres://u@127.0.0.1:5432/x", CELERY_BROKER_URL="redis://127.0.0.1:6379/0"
    )

    assert result.stdout.strip() == "False django.db.backends.postgresql False"
