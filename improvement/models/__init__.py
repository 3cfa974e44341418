"""Improvement models: departments, themes and their clustering runs (issues and fixes join later)."""

from __future__ import annotations

from improvement.models.departments import Department
from improvement.models.impact import FixImpact as FixImpact
from improvement.models.impact import ThemeAlert as ThemeAlert
from improvement.models.issues import (
    FixTicket as FixTicket,
)  # noqa: E501
from improvement.models.issues import (
    ImprovementIssue as ImprovementIssue,
)
from improvement.models.issues import (
    IssueEvent as IssueEvent,
)
from improvement.models.themes import CaseTheme, ClusteringRun, Theme, ThemeEvent
from improvement.models.volumes import DailyThemeVolume, DailyTotalVolume

__all__ = [
    "CaseTheme",
    "ClusteringRun",
    "DailyThemeVolume",
    "DailyTotalVolume",
    "Department",
    "Theme",
    "ThemeEvent",
]
