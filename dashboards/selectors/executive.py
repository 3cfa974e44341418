"""The executive dashboard: total and per-theme volumes, growth, theme share over time, fixes on the theme
timelines, measured impacts, contacts avoided and the department scorecard."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import User
from django.core.paginator import Paginator

from dashboards.selectors.common import (
    DashboardFilters,
    daily_series,
    days_between,
    iso_dates,
    theme_daily_counts,
    window_sum,
)
from dashboards.selectors.fixes import (
    department_scorecard,
    fix_impact_filter_shares,
    fix_impact_series,
    impact_summary,
    shipped_fix_mark,
)
from improvement.impact.estimator.joint import FixAvoided, avoided_draws, avoided_total
from improvement.models import FixImpact, FixTicket, Theme
from improvement.volumes.selectors import LONG_WINDOW_DAYS, volume_change, volume_total_series
from improvement.workflow.selectors import fix_list_visible

TOP_THEME_COUNT = 10
SHARE_THEME_COUNT = 8
SHARE_BUCKET_DAYS = 7
GROWTH_WINDOW_DAYS = LONG_WINDOW_DAYS
GROWTH_MINIMUM_PREVIOUS = 5
THEME_LINE_COUNT = 8
FIX_PAGE_SIZE = 20


@dataclass(frozen=True)
class _ThemeVolumes:
    """The period's days and, per theme counted in it, its cases per day, total and label; largest theme first."""

    days: list[dt.date]
    counts: dict[int, dict[dt.date, int]]
    totals: dict[int, int]
    labels: dict[int, str]
    by_volume: list[int]

    def label(self, theme_id: int) -> str:
        return self.labels.get(theme_id, f"Theme {theme_id}")

    def series(self, theme_id: int) -> list[int]:
        return daily_series(self.counts.get(theme_id, {}), self.days)


def executive_dashboard(*, filters: DashboardFilters, user: User, fixes_page: int = 1) -> dict:
    """Everything the executive dashboard shows, as JSON-ready values (ISO dates), in a bounded number of queries.

    Volumes honour the period, brand and channel. The measured fixes (`FIX_PAGE_SIZE` a page, page `fixes_page`,
    clamped to the last), contacts avoided and its department bars count the fixes shipped in the period; with a
    brand or channel, each fix's contacts avoided is its share of them (`fix_impact_filter_shares`). The theme lines'
    fix marks and the scorecard cover all time.
    """
    days = days_between(filters.start, filters.end)
    total = [
        count
        for _, count in volume_total_series(
            start=filters.start, end=filters.end, brand=filters.brand or None, channel=filters.channel or None
        )
    ]
    counts = theme_daily_counts(filters=filters)
    fixes = list(fix_list_visible(user=user).select_related("impact").prefetch_related("issue__themes").order_by("id"))
    # Themes only a fix touches still need their label, for the fix marks on the timelines.
    fix_theme_ids = {theme.pk for fix in fixes for theme in fix.issue.themes.all()}
    labels = dict(Theme.objects.filter(pk__in=set(counts) | fix_theme_ids).values_list("pk", "label"))
    totals = {theme_id: sum(theme_counts.values()) for theme_id, theme_counts in counts.items()}
    volumes = _ThemeVolumes(
        days=days,
        counts=counts,
        totals=totals,
        labels=labels,
        by_volume=sorted(totals, key=lambda theme_id: (-totals[theme_id], theme_id)),
    )
    shipped = [fix for fix in fixes if fix.shipped_on is not None]
    return {
        "filters": filters.as_query(),
        "dates": iso_dates(days),
        "total": {"series": total, "sum": sum(total)},
        **_top_themes(volumes, end=filters.end),
        "theme_share": _theme_share(volumes, total=total),
        "theme_lines": _theme_lines(volumes, shipped=shipped),
        **_impacts_and_contacts_avoided(shipped, filters=filters, fixes_page=fixes_page),
        "department_scorecard": department_scorecard(fixes=fixes),
    }


def executive_filter_captions(*, filters: DashboardFilters) -> dict[str, str]:
    """Which of the page's filters each figure honours, in words: volumes, fixes (list, contacts avoided and its
    department bars), and the all-time parts (scorecard, fix marks)."""
    period = f"{filters.start.day} {filters.start:%b %Y} – {filters.end.day} {filters.end:%b %Y}"
    segment = ", ".join(
        part
        for part in (
            f"brand {filters.brand}" if filters.brand else "",
            f"channel {filters.channel}" if filters.channel else "",
        )
        if part
    )
    volumes = f"Contacts received {period}; {segment or 'all brands and channels'}."
    fixes = f"Fixes shipped {period}; " + (
        f"{segment}: each fix's contacts avoided is scaled to that share of its themes' contacts after shipping "
        "(impact is measured on all brands and channels together)."
        if segment
        else "all brands and channels."
    )
    return {"volumes": volumes, "fixes": fixes, "all_time": "All time; the page's filters do not apply."}


def _rounded(change: float | None) -> float | None:
    return None if change is None else round(change, 4)


def _top_themes(volumes: _ThemeVolumes, *, end: dt.date) -> dict:
    """The largest themes, the fastest growing ones and the two windows their growth compares.

    Growth is the last `GROWTH_WINDOW_DAYS` days to `end` against the as many before (half the period at most);
    a theme needs `GROWTH_MINIMUM_PREVIOUS` cases in the earlier window to rank, so new themes don't top it.
    """
    window = min(GROWTH_WINDOW_DAYS, max(1, len(volumes.days) // 2))
    recent_start = end - dt.timedelta(days=window - 1)
    previous_start, previous_end = recent_start - dt.timedelta(days=window), recent_start - dt.timedelta(days=1)
    growth = {
        theme_id: (window_sum(counts, recent_start, end), window_sum(counts, previous_start, previous_end))
        for theme_id, counts in volumes.counts.items()
    }

    def theme_row(theme_id: int) -> dict:
        recent, previous = growth[theme_id]
        return {
            "theme_id": theme_id,
            "label": volumes.label(theme_id),
            "volume": volumes.totals[theme_id],
            "recent": recent,
            "previous": previous,
            "growth": _rounded(volume_change(current=recent, previous=previous)),
            "series": volumes.series(theme_id),
        }

    growing = [theme_id for theme_id in volumes.by_volume if growth[theme_id][1] >= GROWTH_MINIMUM_PREVIOUS]
    growing.sort(
        key=lambda theme_id: (-volume_change(current=growth[theme_id][0], previous=growth[theme_id][1]), theme_id)
    )
    return {
        "top_themes_by_volume": [theme_row(theme_id) for theme_id in volumes.by_volume[:TOP_THEME_COUNT]],
        "top_themes_by_growth": [theme_row(theme_id) for theme_id in growing[:TOP_THEME_COUNT]],
        "growth_windows": {
            "recent": [recent_start.isoformat(), end.isoformat()],
            "previous": [previous_start.isoformat(), previous_end.isoformat()],
        },
    }


def _bucketed(series: list[int]) -> list[int]:
    """Daily counts summed per `SHARE_BUCKET_DAYS` days (the last bucket may be shorter)."""
    return [sum(series[index : index + SHARE_BUCKET_DAYS]) for index in range(0, len(series), SHARE_BUCKET_DAYS)]


def _theme_share(volumes: _ThemeVolumes, *, total: list[int]) -> dict:
    """Weekly cases of the largest themes, of all other themes together, and of cases in no theme."""
    days = volumes.days
    share_themes = volumes.by_volume[:SHARE_THEME_COUNT]
    assigned_daily = [sum(volumes.counts[theme_id].get(day, 0) for theme_id in volumes.counts) for day in days]
    top_daily = [sum(volumes.counts[theme_id].get(day, 0) for theme_id in share_themes) for day in days]
    series = [
        {"label": volumes.label(theme_id), "theme_id": theme_id, "counts": _bucketed(volumes.series(theme_id))}
        for theme_id in share_themes
    ]
    series.append(
        {
            "label": "Other themes",
            "theme_id": None,
            "counts": _bucketed([all_ - top for all_, top in zip(assigned_daily, top_daily, strict=True)]),
        }
    )
    # Cases in no theme are the total less the themed ones, floored at 0 should the two daily tables disagree.
    series.append(
        {
            "label": "Unassigned",
            "theme_id": None,
            "counts": _bucketed([max(0, t - a) for t, a in zip(total, assigned_daily, strict=True)]),
        }
    )
    return {"bucket_starts": iso_dates(days[::SHARE_BUCKET_DAYS]), "bucket_days": SHARE_BUCKET_DAYS, "series": series}


def _theme_lines(volumes: _ThemeVolumes, *, shipped: list[FixTicket]) -> list[dict]:
    """The daily line of each theme a shipped fix touched, largest first, with those fixes marked on it."""
    marks_by_theme: dict[int, list[dict]] = defaultdict(list)
    for fix in shipped:
        for theme in fix.issue.themes.all():
            marks_by_theme[theme.pk].append(shipped_fix_mark(fix))
    marked = sorted(marks_by_theme, key=lambda theme_id: (-volumes.totals.get(theme_id, 0), theme_id))
    return [
        {
            "theme_id": theme_id,
            "label": volumes.label(theme_id),
            "series": volumes.series(theme_id),
            "fixes": marks_by_theme[theme_id],
        }
        for theme_id in marked[:THEME_LINE_COUNT]
    ]


def _joint_total(draws: np.ndarray, rows: list[int]) -> dict[str, float]:
    """The median and 95% interval of the fixes' summed joint draws (improvement/impact/estimator/joint.py)."""
    total = avoided_total(draws=draws, rows=rows)
    return {"estimate": round(total.median, 1), "low": round(total.low, 1), "high": round(total.high, 1)}


def _impacts_and_contacts_avoided(shipped: list[FixTicket], *, filters: DashboardFilters, fixes_page: int) -> dict:
    """The measured fixes shipped in the period, newest first (one page of them), and the contacts they avoided
    overall and per department, scaled to the brand's and channel's share where one is chosen."""
    measured = [
        fix
        for fix in sorted(shipped, key=lambda fix: (fix.shipped_on, fix.pk), reverse=True)
        if getattr(fix, "impact", None) is not None and filters.start <= fix.shipped_on <= filters.end
    ]
    shares = fix_impact_filter_shares(measured, filters=filters)
    counted: list[FixAvoided] = []
    rows_by_department: dict[str, list[int]] = defaultdict(list)
    for fix in measured:
        impact = fix.impact
        # A too-early verdict has no settled estimate yet: it is charted but not counted as avoided.
        if impact.verdict != FixImpact.Verdict.TOO_EARLY:
            share = shares[fix.pk]
            rows_by_department[fix.department.name].append(len(counted))
            counted.append(
                FixAvoided(
                    theme_ids=tuple(impact.theme_ids),
                    estimate=impact.contacts_avoided * share,
                    low=impact.contacts_avoided_low * share,
                    high=impact.contacts_avoided_high * share,
                    tail=impact.interval_tail,
                    high_tail=impact.interval_worse_tail,
                )
            )
    # Fixes on one theme share its counterfactual draws; different themes draw independently.
    draws = avoided_draws(fixes=counted)
    page = Paginator(measured, FIX_PAGE_SIZE).get_page(fixes_page)
    impacts = [
        {
            "fix_id": fix.pk,
            "issue_id": fix.issue_id,
            "issue_title": fix.issue.title,
            "department": fix.department.name,
            "shipped_on": fix.shipped_on.isoformat(),
            "status": fix.status,
            "filter_share": round(shares[fix.pk], 4),
            **impact_summary(fix.impact),
            **fix_impact_series(fix.impact),
        }
        for fix in page.object_list
    ]
    return {
        "fix_impacts": impacts,
        "fix_impact_pages": {
            "page": page.number,
            "pages": page.paginator.num_pages,
            "per_page": FIX_PAGE_SIZE,
            "count": len(measured),
        },
        "contacts_avoided": {
            "overall": _joint_total(draws, list(range(len(counted)))),
            "fix_count": len(counted),
            "by_department": [
                {"department": name, "fix_count": len(rows), **_joint_total(draws, rows)}
                for name, rows in sorted(rows_by_department.items())
            ],
        },
    }
