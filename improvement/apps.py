from __future__ import annotations

from django.apps import AppConfig


class ImprovementConfig(AppConfig):
    name = "improvement"
    verbose_name = "Improvement"
