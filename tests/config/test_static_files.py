"""Static files: plain names served from the apps by default, hashed and compressed names with STATIC_MANIFEST."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPOSITORY_ROOT


def _static_settings(**environment: str) -> str:
    clean = {key: value for key, value in os.environ.items() if key != "STATIC_MANIFEST"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.STORAGES['staticfiles']['BACKEND'], settings.WHITENOISE_USE_FINDERS)",
        ],
        cwd=REPOSITORY_ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "k", **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_by_default_static_files_keep_plain_names_so_a_fresh_checkout_serves_them_without_collectstatic():
    assert _static_settings() == "whitenoise.storage.CompressedStaticFilesStorage True"


def test_static_manifest_serves_hashed_compressed_names_for_immutable_caching():
    assert _static_settings(STATIC_MANIFEST="1") == "whitenoise.storage.CompressedManifestStaticFilesStorage True"


def test_make_run_turns_the_manifest_on_for_collectstatic_and_gunicorn_alike():
    run_target = (REPOSITORY_ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "STATIC_MANIFEST=$${STATIC_MANIFEST:-1};" in run_target.splitlines()[1]
    assert "collectstatic" in run_target and "gunicorn" in run_target


def test_a_static_manifest_that_is_not_a_boolean_stops_the_settings():
    clean = {key: item for key, item in os.environ.items() if key != "STATIC_MANIFEST"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=REPOSITORY_ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "k", "STATIC_MANIFEST": "maybe"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "STATIC_MANIFEST must be a boolean" in result.stderr
