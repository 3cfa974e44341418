"""Every model of the improvement app (one app label, so migrations stay put), one module per domain."""

from __future__ import annotations

from improvement.models.alerts import ThemeAlert
from improvement.models.curation import CurationJob
from improvement.models.departments import Department
from improvement.models.impact import FixImpact
from improvement.models.issues import ChatDelivery, FixTicket, ImprovementIssue, IssueCaseLink, IssueEvent
from improvement.models.themes import CaseTheme, ClusteringRun, Theme, ThemeEvent, ThemeGroup
from improvement.models.volumes import DailyThemeVolume, DailyTotalVolume

__all__ = [
    "CaseTheme",
    "ChatDelivery",
    "ClusteringRun",
    "CurationJob",
    "DailyThemeVolume",
    "DailyTotalVolume",
    "Department",
    "FixImpact",
    "FixTicket",
    "ImprovementIssue",
    "IssueCaseLink",
    "IssueEvent",
    "Theme",
    "ThemeAlert",
    "ThemeEvent",
    "ThemeGroup",
]
