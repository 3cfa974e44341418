"""The social team lead's pages: the active themes' overview and one theme's page."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Min

from dashboards.selectors.common import (
    DashboardFilters,
    daily_series,
    days_between,
    iso_dates,
    theme_daily_counts,
    window_sum,
)
from dashboards.selectors.fixes import shipped_fix_mark
from improvement.models import DailyThemeVolume, Theme, ThemeAlert
from improvement.themes.selectors import theme_representative_cases
from improvement.volumes.selectors import LONG_WINDOW_DAYS, theme_volumes, volume_theme_series, volume_total_series
from improvement.workflow.selectors import fix_list_visible, issue_list_visible

NEW_THEME_DAYS = 14
ALERT_RECENT_DAYS = 7


def lead_theme_overview(*, filters: DashboardFilters) -> dict:
    """Active themes, largest first, with their volume over the last 28 days to `filters.end`, the trend of the
    last 7 days against the 7 before, a 28-day sparkline, new/spiking/emerging badges, and the unassigned share."""
    window_start = filters.end - dt.timedelta(days=LONG_WINDOW_DAYS - 1)
    days = days_between(window_start, filters.end)
    counts = theme_daily_counts(filters=filters, start=window_start)
    themes = list(
        Theme.objects.filter(status=Theme.Status.ACTIVE)
        .only("id", "label", "keywords", "size", "status", "created_at")
        .order_by("-size", "id")
    )
    ids = [theme.pk for theme in themes]
    volumes = theme_volumes(
        theme_ids=ids, as_of=filters.end, brand=filters.brand or None, channel=filters.channel or None
    )
    first_days = dict(
        DailyThemeVolume.objects.filter(theme_id__in=ids)
        .values("theme_id")
        .annotate(first=Min("day"))
        .values_list("theme_id", "first")
        .order_by()
    )
    alerts: dict[int, set[str]] = defaultdict(set)
    for theme_id, kind in ThemeAlert.objects.filter(
        theme_id__in=ids,
        detected_on__gt=filters.end - dt.timedelta(days=ALERT_RECENT_DAYS),
        detected_on__lte=filters.end,
    ).values_list("theme_id", "kind"):
        alerts[theme_id].add(kind)
    total = sum(
        count
        for _, count in volume_total_series(
            start=window_start, end=filters.end, brand=filters.brand or None, channel=filters.channel or None
        )
    )
    rows = []
    for theme in themes:
        volume = volumes[theme.pk]
        first_day = first_days.get(theme.pk)
        rows.append(
            {
                "theme": theme,
                "volume": volume.last_28_days,
                "recent": volume.last_7_days,
                "previous": volume.previous_7_days,
                "trend": volume.trend,
                "series": daily_series(counts.get(theme.pk, {}), days),
                "is_new": first_day is not None and first_day > filters.end - dt.timedelta(days=NEW_THEME_DAYS),
                "is_spiking": ThemeAlert.Kind.SPIKING in alerts[theme.pk],
                "is_emerging": ThemeAlert.Kind.EMERGING in alerts[theme.pk],
            }
        )
    assigned = sum(row["volume"] for row in rows) + sum(
        window_sum(theme_counts, window_start, filters.end)
        for theme_id, theme_counts in counts.items()
        if theme_id not in set(ids)
    )
    return {
        "window_start": window_start,
        "window_end": filters.end,
        "dates": iso_dates(days),
        "themes": rows,
        "total_volume": total,
        "unassigned_volume": max(0, total - assigned),
        "unassigned_share": round(max(0, total - assigned) / total, 4) if total else 0.0,
    }


def theme_page_data(*, theme: Theme, filters: DashboardFilters, user: User | AnonymousUser) -> dict:
    """A theme's daily volume over the period, its sample cases, the issues and shipped fixes the user may see,
    and its recent history."""
    days = days_between(filters.start, filters.end)
    series = [
        count
        for _, count in volume_theme_series(
            theme_ids=[theme.pk],
            start=filters.start,
            end=filters.end,
            brand=filters.brand or None,
            channel=filters.channel or None,
        )
    ]
    issues = list(issue_list_visible(user=user).filter(themes=theme).order_by("-created_at", "-id")[:20])
    shipped = list(
        fix_list_visible(user=user).filter(issue__themes=theme, shipped_on__isnull=False).order_by("shipped_on", "id")
    )
    return {
        "dates": iso_dates(days),
        "series": series,
        "sum": sum(series),
        "sample_cases": theme_representative_cases(theme=theme),
        "issues": issues,
        "fixes": [shipped_fix_mark(fix) for fix in shipped],
        "events": list(theme.events.select_related("actor").order_by("-created_at", "-id")[:10]),
    }
