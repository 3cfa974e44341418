"""Improvement models: departments, themes and their clustering runs (issues and fixes join later)."""
from __future__ import annotations

from improvement.models.departments import Department
from improvement.models.themes import CaseTheme, ClusteringRun, Theme, ThemeEvent
from improvement.models.volumes import DailyThemeVolume, DailyTotalVolume
from improvement.models.issues import FixTicket as FixTicket, ImprovementIssue as ImprovementIssue, IssueEvent as IssueEvent  # noqa: E501
from improvement.models.impact import FixImpact as FixImpact, ThemeAlert as ThemeAlert

__all__ = [
    "CaseTheme", "ClusteringRun", "DailyThemeVolume", "DailyTotalVolume", "Department", "Theme", "ThemeEvent",
]
