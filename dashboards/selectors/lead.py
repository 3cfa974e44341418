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
from improvement.models import DailyThemeVolume, Theme, ThemeAlert, ThemeGroup
from improvement.themes.selectors import theme_representative_cases, theme_strongly_negative_shares
from improvement.volumes.selectors import (
    LONG_WINDOW_DAYS,
    RECENT_WINDOW_DAYS,
    TREND_DECIMALS,
    theme_volumes,
    volume_change,
    volume_theme_series,
    volume_total_series,
)
from improvement.workflow.selectors import fix_list_visible, issue_list_visible

NEW_THEME_DAYS = 14
ALERT_RECENT_DAYS = 7
# The columns the themes table sorts by (a leading "-" is descending), and the order it has when none is chosen.
LEAD_THEME_SORT_KEYS = ("volume", "trend", "recent", "label", "size")
LEAD_THEME_DEFAULT_SORT = "-volume"
LEAD_THEME_SORT_LABELS = {
    "volume": "contacts in the window",
    "trend": "trend",
    "recent": "contacts in the last 7 days",
    "label": "theme name",
    "size": "cases in the theme",
}


def lead_theme_sort_label(sort: str) -> str:
    """The order in words, e.g. "contacts in the window, largest first"."""
    key = sort.removeprefix("-")
    if key == "label":
        return f"{LEAD_THEME_SORT_LABELS[key]}, {'Z to A' if sort.startswith('-') else 'A to Z'}"
    return f"{LEAD_THEME_SORT_LABELS[key]}, {'largest' if sort.startswith('-') else 'smallest'} first"


def _sorted_rows(rows: list[dict], sort: str) -> list[dict]:
    key = sort.removeprefix("-")
    descending = sort.startswith("-")
    if key == "trend":
        # A theme with no cases the week before has no trend: last, whichever way the column is sorted.
        known = [row for row in rows if row["trend"] is not None]
        unknown = [row for row in rows if row["trend"] is None]
        known.sort(key=lambda row: row["theme"].pk)
        known.sort(key=lambda row: row["trend"], reverse=descending)
        return known + unknown
    value = {
        "volume": lambda row: row["volume"],
        "recent": lambda row: row["recent"],
        "size": lambda row: row["theme"].size,
        "label": lambda row: row["theme"].label.casefold(),
    }[key]
    rows = sorted(rows, key=lambda row: row["theme"].pk)
    return sorted(rows, key=value, reverse=descending)


def lead_theme_overview(
    *, filters: DashboardFilters, chosen_start: bool = False, sort: str = LEAD_THEME_DEFAULT_SORT, snoozed: bool = False
) -> dict:
    """Active themes with their volume over the window, the trend of the 7 days to `filters.end` against the 7
    before, a daily sparkline of the window, new/spiking/emerging badges, and the unassigned share.

    The window is `filters.start` to `filters.end` when the user chose the start (`chosen_start`), else the last
    28 days to `filters.end`. Rows are ordered by `sort` (one of LEAD_THEME_SORT_KEYS, "-" first for descending;
    ties by id; themes without a trend last when sorting by trend); raises ValueError on another.
    Snoozed themes are left out, or (`snoozed`) are the only ones shown; `snoozed_count` counts them either way.
    """
    if sort.removeprefix("-") not in LEAD_THEME_SORT_KEYS:
        raise ValueError(f"unknown sort {sort!r}")
    window_start = filters.start if chosen_start else filters.end - dt.timedelta(days=LONG_WINDOW_DAYS - 1)
    days = days_between(window_start, filters.end)
    counts = theme_daily_counts(filters=filters, start=window_start)
    active = Theme.objects.filter(status=Theme.Status.ACTIVE)
    shown = active.exclude(snooze_kind="") if snoozed else active.filter(snooze_kind="")
    themes = list(
        shown.only(
            "id", "label", "keywords", "size", "status", "created_at", "group_id", "is_seeded", "snooze_kind",
            "snoozed_until", "escalated_at",
        ).order_by("-size", "id")
    )  # fmt: skip
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
    negative_shares = theme_strongly_negative_shares(theme_ids=ids)
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
                "volume": (
                    window_sum(counts.get(theme.pk, {}), window_start, filters.end)
                    if chosen_start
                    else volume.last_28_days
                ),
                "recent": volume.last_7_days,
                "previous": volume.previous_7_days,
                "trend": volume.trend,
                "strongly_negative_share": negative_shares[theme.pk],
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
        "window_is_chosen": chosen_start,
        "trend_start": filters.end - dt.timedelta(days=RECENT_WINDOW_DAYS - 1),
        "sort": sort,
        "sort_label": lead_theme_sort_label(sort),
        "dates": iso_dates(days),
        "themes": _sorted_rows(rows, sort),
        "groups": lead_theme_group_tree(rows=_sorted_rows(rows, sort)),
        "total_volume": total,
        "unassigned_volume": max(0, total - assigned),
        "unassigned_share": round(max(0, total - assigned) / total, 4) if total else 0.0,
        "snoozed": snoozed,
        "snoozed_count": active.exclude(snooze_kind="").count(),
    }


def lead_theme_group_tree(*, rows: list[dict]) -> dict:
    """The theme rows as a tree: each group (by name) with its active themes' rows in the table's order and their
    volume, last 7 days, the 7 before and trend summed (the one trend, volume_change, of the sums); then the themes
    in no group."""
    by_group: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        by_group[row["theme"].group_id or 0].append(row)
    groups = []
    for group in ThemeGroup.objects.order_by("name", "id"):
        members = by_group.get(group.pk, [])
        recent = sum(row["recent"] for row in members)
        previous = sum(row["previous"] for row in members)
        change = volume_change(current=recent, previous=previous)
        groups.append(
            {
                "group": group,
                "rows": members,
                "volume": sum(row["volume"] for row in members),
                "recent": recent,
                "previous": previous,
                "trend": None if change is None else round(change, TREND_DECIMALS),
            }
        )
    return {"groups": groups, "ungrouped": by_group.get(0, [])}


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
        "events": list(theme.events.select_related("actor", "group").order_by("-created_at", "-id")[:10]),
        "group": theme.group if theme.group_id else None,
    }
