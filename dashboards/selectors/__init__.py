"""Reads behind the dashboard pages, one module per page or job.

The names are re-exported here so `from dashboards.selectors import X` keeps working; code in this package imports
from the sub-modules directly (never from here, which would make an import cycle).
"""

from __future__ import annotations

from dashboards.selectors.common import (
    DEFAULT_RANGE_DAYS,
    DashboardFilters,
    dashboard_filter_choices,
    dashboard_filters_resolve,
    landing_url_name_for,
    owner_departments,
)
from dashboards.selectors.executive import (
    FIX_PAGE_SIZE,
    GROWTH_MINIMUM_PREVIOUS,
    GROWTH_WINDOW_DAYS,
    SHARE_BUCKET_DAYS,
    SHARE_THEME_COUNT,
    THEME_LINE_COUNT,
    TOP_THEME_COUNT,
    executive_dashboard,
)
from dashboards.selectors.exports import export_fix_rows, export_issue_rows, export_theme_rows
from dashboards.selectors.fixes import ACCEPTED_STATUSES, fix_impact_series, owner_impacts
from dashboards.selectors.lead import ALERT_RECENT_DAYS, NEW_THEME_DAYS, lead_theme_overview, theme_page_data

__all__ = [
    "ACCEPTED_STATUSES",
    "ALERT_RECENT_DAYS",
    "DEFAULT_RANGE_DAYS",
    "FIX_PAGE_SIZE",
    "GROWTH_MINIMUM_PREVIOUS",
    "GROWTH_WINDOW_DAYS",
    "NEW_THEME_DAYS",
    "SHARE_BUCKET_DAYS",
    "SHARE_THEME_COUNT",
    "THEME_LINE_COUNT",
    "TOP_THEME_COUNT",
    "DashboardFilters",
    "dashboard_filter_choices",
    "dashboard_filters_resolve",
    "executive_dashboard",
    "export_fix_rows",
    "export_issue_rows",
    "export_theme_rows",
    "fix_impact_series",
    "landing_url_name_for",
    "lead_theme_overview",
    "owner_departments",
    "owner_impacts",
    "theme_page_data",
]
