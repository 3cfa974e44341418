"""The Celery application; tasks are discovered in the tasks.py of each app and of each improvement domain."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("fixloop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    ["cases", "improvement.themes", "improvement.volumes", "improvement.workflow", "improvement.impact"]
)
